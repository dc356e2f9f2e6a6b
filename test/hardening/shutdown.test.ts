import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startChildServer, waitForExit, type ChildServer } from "../support/child-server.js";
import { expectGracefulStop, sigtermDuringWork } from "../support/drain.js";
import { postGraphQL } from "../support/server.js";
import { events, RECORD } from "./support.js";

describe("graceful shutdown on SIGTERM", { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "eventscore-shutdown-"));
  const children: ChildServer[] = [];
  afterAll(() => {
    // A failed run must not leave a server behind.
    for (const { process } of children)
      if (process.exitCode === null && process.signalCode === null) process.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  it("stops taking work, finishes the in-flight mutation, closes subscriptions with 1001 and exits 0", async () => {
    const env = { EVENTSCORE_SQLITE_PATH: join(dir, "events.db"), EVENTSCORE_SHUTDOWN_TIMEOUT_MS: "30000" };
    const child = await startChildServer(env);
    children.push(child);

    const batch = events("drain", 200);
    const outcome = await sigtermDuringWork(
      child,
      JSON.stringify({ query: RECORD, variables: { events: batch } }),
    );
    expectGracefulStop(outcome, child, 200);

    // What was acknowledged during the drain is stored.
    const again = await startChildServer(env);
    children.push(again);
    try {
      const score = await postGraphQL<{ score: { events: number } }>(
        again.url,
        `{ score(userId: "alice") { events } }`,
      );
      expect(score.data?.score.events).toBe(200);
    } finally {
      again.process.kill("SIGTERM");
      expect(await waitForExit(again.process)).toBe(0);
    }
  });
});
