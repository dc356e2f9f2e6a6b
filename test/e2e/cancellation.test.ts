import { afterEach, describe, expect, it } from "vitest";
import type { ReportRollup } from "../../src/store/port.js";
import { githubReadyEvents } from "../support/board-truth.js";
import { ForwardingStore } from "../support/forwarding-store.js";
import { startTestServer, type TestServer } from "../support/server.js";

const REPORT = `{ report(from: "2014-01-02", to: "2015-01-03", groupBy: [DAY, TYPE]) { rows { period type events users } } }`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A request whose client has gone, or whose deadline has passed, stops its store work: counted
 * at the real store, each day's read held up a little so that the report takes long enough to
 * leave in the middle of it.
 */
describe("cancellation of store work", () => {
  let server: TestServer | null = null;

  afterEach(async () => {
    await server?.stop();
    server = null;
  });

  async function serverCountingDays(env: Record<string, string> = {}): Promise<{ reads: () => number }> {
    let reads = 0;
    class SlowRollups extends ForwardingStore {
      protected override async rollups(
        read: () => Promise<ReportRollup[]>,
        days: readonly string[],
      ): Promise<ReportRollup[]> {
        reads += days.length;
        // 5 ms a day, read a month at a time (a report grouped by DAY reads no month rows): 366
        // days take about 2 s.
        await sleep(5 * days.length);
        return read();
      }
    }
    server = await startTestServer(env, { decorateStore: (store) => new SlowRollups(store) });
    expect(server.instance.app.store.reportRollups).toBeDefined();
    await server.instance.app.recorder.record(githubReadyEvents(1_000), "APPLIED");
    return { reads: () => reads };
  }

  it("stops reading days once the client has closed the connection", async () => {
    const { reads } = await serverCountingDays();
    const leave = new AbortController();
    const request = fetch(server!.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: REPORT }),
      signal: leave.signal,
    }).catch((error: unknown) => error);
    await sleep(100);
    leave.abort();
    await request;
    await sleep(50);
    const atLeave = reads();
    await sleep(400);
    // 366 days take about 2 s at this pace; reading stopped within one step (a month).
    expect(atLeave).toBeGreaterThan(0);
    expect(reads()).toBeLessThanOrEqual(atLeave + 31);
    expect(reads()).toBeLessThan(200);
  });

  it("stops reading days once the deadline has passed, and answers TIMEOUT", async () => {
    const { reads } = await serverCountingDays({ EVENTSCORE_REQUEST_TIMEOUT_MS: "200" });
    const response = await fetch(server!.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: REPORT }),
    });
    expect(response.status).toBe(504);
    expect(
      ((await response.json()) as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions.code,
    ).toBe("TIMEOUT");
    await sleep(50);
    const atTimeout = reads();
    await sleep(400);
    expect(reads()).toBeLessThanOrEqual(atTimeout + 31);
    expect(reads()).toBeLessThan(200);
  });

  it("still answers a report whose client waits", async () => {
    const { reads } = await serverCountingDays();
    const result = await server!.gql<{ report: { rows: unknown[] } }>(REPORT);
    expect(result.errors).toBeUndefined();
    expect(result.data!.report.rows.length).toBeGreaterThan(0);
    expect(reads()).toBe(366);
  });
});
