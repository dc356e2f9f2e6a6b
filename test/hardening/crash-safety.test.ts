import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startChildServer, waitForExit, type ChildServer } from "../support/child-server.js";
import { postGraphQL } from "../support/server.js";
import { expectAggregatesMatch, loadBatch, readLog, type LoadEvent } from "./ledger.js";
import { RECORD } from "./support.js";

interface RecordReply {
  recordEvents: { accepted: number; duplicates: number; rejected: { index: number; code: string }[] };
}

const WORKERS = 6;
const BATCH = 25;

describe("crash safety on the embedded store", { timeout: 180_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "eventscore-crash-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("keeps every acknowledged event, counted exactly once everywhere, across SIGKILL under concurrent load", async () => {
    const env = { EVENTSCORE_SQLITE_PATH: join(dir, "events.db") };
    const first = await startChildServer(env);
    const sent = new Map<string, LoadEvent[]>(); // every batch that left the client, by key
    const acknowledged = new Set<string>(); // ids of events in batches the server answered for
    let stop = false;

    const send = async (server: ChildServer, events: LoadEvent[]) =>
      postGraphQL<RecordReply>(server.url, RECORD, { events });

    const writer = async (worker: number): Promise<void> => {
      for (let batch = 0; !stop; batch++) {
        const events = loadBatch(worker, batch, BATCH);
        sent.set(`${worker}/${batch}`, events);
        // Only a failed request means the server died under us (this batch may or may not be
        // stored); a failed check must fail the test, so it stays outside the catch.
        const reply = await send(first, events).catch(() => null);
        if (reply === null) return;
        const result = reply.data?.recordEvents;
        if (result === undefined) continue;
        expect(result.rejected).toEqual([]);
        expect(result.accepted + result.duplicates).toBe(BATCH);
        events.forEach((e) => acknowledged.add(e.id));
        // Now and then re-send an acknowledged batch under load: it must change nothing.
        if (batch % 5 === 4) {
          const again = await send(first, loadBatch(worker, batch - 2, BATCH)).catch(() => null);
          if (again === null) return;
          if (again.data)
            expect(again.data.recordEvents).toEqual({ accepted: 0, duplicates: BATCH, rejected: [] });
        }
      }
    };
    const writers = Array.from({ length: WORKERS }, (_, worker) => writer(worker));
    while (acknowledged.size < 1500) await new Promise((resolve) => setTimeout(resolve, 10));
    first.process.kill("SIGKILL");
    stop = true;
    await Promise.all(writers);
    await waitForExit(first.process);

    const second = await startChildServer(env);
    try {
      const sentIds = new Map([...sent.values()].flat().map((e) => [e.id, e]));
      const log = await readLog(second.url);
      // Every acknowledged event survived, with the content it was sent with; nothing else appeared.
      for (const id of acknowledged) expect(log.has(id), `acknowledged ${id} lost`).toBe(true);
      for (const [id, stored] of log) {
        const original = sentIds.get(id);
        expect(original, `${id} was never sent`).toBeDefined();
        expect({ ...stored, points: undefined }).toEqual({
          ...original,
          occurredAt: new Date(original!.occurredAt).toISOString(),
          points: undefined,
        });
      }
      // Scores, breakdowns and leaderboards agree with the log: each stored event counted once.
      await expectAggregatesMatch(second.url, log);

      // A client retries whatever it was not sure about: afterwards exactly what was sent is
      // stored, and counted once.
      let duplicates = 0;
      for (const events of sent.values()) {
        const reply = await send(second, events);
        expect(reply.data?.recordEvents.rejected).toEqual([]);
        duplicates += reply.data!.recordEvents.duplicates;
      }
      expect(duplicates).toBeGreaterThanOrEqual(acknowledged.size);
      const after = await readLog(second.url);
      expect(new Set(after.keys())).toEqual(new Set(sentIds.keys()));
      await expectAggregatesMatch(second.url, after);
    } finally {
      second.process.kill("SIGTERM");
      expect(await waitForExit(second.process)).toBe(0);
    }
  });
});
