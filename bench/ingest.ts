/**
 * Ingest benchmark: events/s for batched recordEvents over HTTP, and in the same run the
 * ceiling of writing the same events straight through the store port (no HTTP, no GraphQL).
 *
 *   npm run bench:ingest                      # embedded SQLite store
 *   npm run bench:ingest -- --batch 500 --clients 4 --rounds 3
 *
 * Input: the two real 2015 GH Archive hours (15,129 events), replayed `rounds` times with ids
 * made unique per round so every event is a real insert.
 *
 * The production path (Kafka log, aggregators, Cassandra) has its own benchmark: bench/pipeline.ts.
 * BENCHMARKS.md records results.
 */
import "reflect-metadata";
import { mkdtempSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { EventDraft } from "../src/domain/event.js";
import type { EventStore, StoredEvent } from "../src/store/port.js";
import { batches, loadDrafts, storeReady } from "./github-data.js";
import { SqliteStore } from "../src/store/sqlite/sqlite-store.js";
import { startChildServer, waitForExit } from "../test/support/child-server.js";

type Appendable = StoredEvent;

const { values } = parseArgs({
  options: {
    batch: { type: "string", default: "1000" },
    clients: { type: "string", default: "4" },
    rounds: { type: "string", default: "2" },
  },
});
const batchSize = Number(values.batch);
const clients = Number(values.clients);
const rounds = Number(values.rounds);

/** Sequential appends of `batch` events: the server's group commit also keeps one append in flight. */
async function appendRate(store: EventStore, ready: readonly Appendable[]): Promise<number> {
  const started = performance.now();
  for (const batch of batches(ready, batchSize)) await store.append(batch);
  return ready.length / ((performance.now() - started) / 1000);
}

async function sqliteCeiling(ready: readonly Appendable[], dir: string): Promise<number> {
  const store = new SqliteStore({ path: join(dir, "ceiling.db"), synchronous: "FULL" });
  await store.migrate();
  const rate = await appendRate(store, ready);
  await store.close();
  return rate;
}

/** CassandraStore.append on a fresh keyspace (migrated before the clock starts), then dropped. */
async function overHttp(
  drafts: readonly EventDraft[],
  env: Record<string, string>,
): Promise<{ rate: number; rssMiB: number }> {
  const server = await startChildServer({
    ...env,
    EVENTSCORE_MAX_BATCH_SIZE: String(Math.max(batchSize, 1000)),
  });
  const bodies = batches(drafts, batchSize).map((batch) =>
    JSON.stringify({
      query: "mutation ($e: [EventInput!]!) { recordEvents(events: $e) { accepted duplicates } }",
      variables: { e: batch.map((d) => ({ ...d, occurredAt: d.occurredAt.toISOString() })) },
    }),
  );
  let next = 0;
  let accepted = 0;
  const started = performance.now();
  try {
    await Promise.all(
      Array.from({ length: clients }, async () => {
        while (next < bodies.length) {
          const body = bodies[next++]!;
          const response = await fetch(server.url, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body,
          });
          const result = (await response.json()) as { data?: { recordEvents: { accepted: number } } };
          accepted += result.data?.recordEvents.accepted ?? 0;
        }
      }),
    );
  } catch (error) {
    server.process.kill("SIGKILL");
    throw error;
  }
  const seconds = (performance.now() - started) / 1000;
  const status = await readFile(`/proc/${server.process.pid}/status`, "utf8");
  const rssMiB = Number(status.match(/VmHWM:\s+(\d+)/)?.[1] ?? 0) / 1024;
  server.process.kill("SIGTERM");
  await waitForExit(server.process);
  if (accepted !== drafts.length) throw new Error(`accepted ${accepted} of ${drafts.length}`);
  return { rate: accepted / seconds, rssMiB };
}

const fmt = (rate: number): string => `${Math.round(rate).toLocaleString("en-US")} events/s`;

async function benchSqlite(drafts: readonly EventDraft[]): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "eventscore-bench-"));
  try {
    const ceiling = await sqliteCeiling(storeReady(drafts), dir);
    console.log(`store port ceiling (SqliteStore.append, synchronous=FULL): ${fmt(ceiling)}`);
    const http = await overHttp(drafts, { EVENTSCORE_SQLITE_PATH: join(dir, "http.db") });
    console.log(`recordEvents over HTTP (GraphQL, child process server): ${fmt(http.rate)}`);
    console.log(
      `  = ${((http.rate / ceiling) * 100).toFixed(0)}% of the store ceiling; server peak RSS ${http.rssMiB.toFixed(0)} MiB`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const drafts = await loadDrafts(rounds);
console.log(
  `events: ${drafts.length} (2015-01-01 hours 0-1 x ${rounds}), batch ${batchSize}, ${clients} HTTP clients`,
);
await benchSqlite(drafts);
