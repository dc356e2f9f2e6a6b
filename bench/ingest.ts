/**
 * Ingest benchmark: events/s for batched recordEvents over HTTP, and in the same run the
 * ceiling of writing the same events straight through the store port (no HTTP, no GraphQL).
 *
 *   npm run bench:ingest                      # embedded SQLite store
 *   npm run bench:ingest -- --batch 500 --clients 4 --rounds 3
 *   npm run bench:ingest -- --store cassandra [--consistency LOCAL_QUORUM]
 *
 * Input: the two real 2015 GH Archive hours (15,129 events), replayed `rounds` times with ids
 * made unique per round so every event is a real insert.
 *
 * With `--store cassandra` (CASSANDRA_CONTACT_POINTS, default 127.0.0.1:9042, and CASSANDRA_LOCAL_DC,
 * default datacenter1) the run also measures, for the same rows at the same consistency, the raw
 * cassandra-driver ceiling (bench/cassandra-raw.ts). Every phase uses a scratch keyspace of its own,
 * dropped when the phase ends. BENCHMARKS.md records results.
 */
import "reflect-metadata";
import { mkdtempSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { fingerprintOf, normalizeEvent, isRejection, type EventDraft } from "../src/domain/event.js";
import { githubDefaultRules, weightOf } from "../src/domain/scoring.js";
import { readArchive } from "../src/sources/github/archive.js";
import { fromGitHubEvent } from "../src/sources/github/mapping.js";
import {
  createCassandraStore,
  createClient,
  type CassandraStoreOptions,
  type ConsistencyName,
} from "../src/store/cassandra/index.js";
import type { EventStore } from "../src/store/port.js";
import { SqliteStore } from "../src/store/sqlite/sqlite-store.js";
import { startChildServer, waitForExit } from "../test/support/child-server.js";
import { measureRawCeiling } from "./cassandra-raw.js";

type Appendable = Parameters<EventStore["append"]>[0][number];

const CONSISTENCIES = ["LOCAL_QUORUM", "QUORUM", "LOCAL_ONE", "ONE", "ALL"] as const;

const { values } = parseArgs({
  options: {
    batch: { type: "string", default: "1000" },
    clients: { type: "string", default: "4" },
    rounds: { type: "string", default: "2" },
    store: { type: "string", default: "sqlite" },
    consistency: { type: "string", default: "LOCAL_QUORUM" },
  },
});
const batchSize = Number(values.batch);
const clients = Number(values.clients);
const rounds = Number(values.rounds);
if (values.store !== "sqlite" && values.store !== "cassandra")
  throw new Error(`--store must be sqlite or cassandra, not ${values.store}`);
const consistency = CONSISTENCIES.find((c) => c === values.consistency);
if (consistency === undefined) throw new Error(`--consistency must be one of ${CONSISTENCIES.join(", ")}`);
const DATA = join(import.meta.dirname, "../../shared/data/github-events");

async function loadDrafts(): Promise<EventDraft[]> {
  const base: EventDraft[] = [];
  for (const file of ["2015-01-01-0.json.gz", "2015-01-01-1.json.gz"]) {
    for await (const line of readArchive(join(DATA, file)))
      if (line.kind === "event") base.push(fromGitHubEvent(line.event));
  }
  const drafts: EventDraft[] = [];
  for (let round = 0; round < rounds; round++)
    for (const d of base) drafts.push({ ...d, id: `${d.id}-r${round}` });
  return drafts;
}

function batches<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The drafts as the ingest service hands them to the store: normalized, scored, fingerprinted. */
function storeReady(drafts: readonly EventDraft[]): Appendable[] {
  const rules = githubDefaultRules();
  return drafts.map((draft) => {
    const event = normalizeEvent(draft, {
      maxPayloadBytes: 65_536,
      latestOccurredAtMs: Date.now() + 86_400_000,
    });
    if (isRejection(event)) throw new Error(event.reason);
    return { ...event, points: weightOf(rules, event.type), fingerprint: fingerprintOf(event), ranked: true };
  });
}

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
async function cassandraStoreCeiling(options: CassandraStoreOptions, ready: readonly Appendable[]) {
  const store = await createCassandraStore(options);
  try {
    return await appendRate(store, ready);
  } finally {
    await store.client.execute(`DROP KEYSPACE IF EXISTS ${options.keyspace}`);
    await store.close();
  }
}

async function dropKeyspace(options: CassandraStoreOptions): Promise<void> {
  const client = createClient(options);
  try {
    await client.connect();
    await client.execute(`DROP KEYSPACE IF EXISTS ${options.keyspace}`);
  } finally {
    await client.shutdown();
  }
}

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

async function benchCassandra(drafts: readonly EventDraft[], level: ConsistencyName): Promise<void> {
  const contactPoints = (process.env["CASSANDRA_CONTACT_POINTS"] ?? "127.0.0.1:9042").split(",");
  const localDataCenter = process.env["CASSANDRA_LOCAL_DC"] ?? "datacenter1";
  const run = `bench_${Date.now().toString(36)}`;
  const options = (suffix: string): CassandraStoreOptions => ({
    contactPoints,
    localDataCenter,
    keyspace: `${run}_${suffix}`,
    consistency: level,
  });
  const ready = storeReady(drafts);
  console.log(`cassandra ${contactPoints.join(",")} (${localDataCenter}), consistency ${level}`);

  // Writes to `${run}_raw`.
  const raw = await measureRawCeiling({ ...options("raw"), keyspace: run }, ready);
  console.log(`raw driver, log rows only (128 in flight):       ${fmt(raw.plainEventsPerSecond)}`);
  console.log(`raw driver, LWT gate + log rows (128 in flight): ${fmt(raw.gatedEventsPerSecond)}`);

  const ceiling = await cassandraStoreCeiling(options("store"), ready);
  console.log(`store port ceiling (CassandraStore.append, batches of ${batchSize}): ${fmt(ceiling)}`);

  const http = options("http");
  try {
    const result = await overHttp(drafts, {
      EVENTSCORE_STORE: "cassandra",
      CASSANDRA_CONTACT_POINTS: contactPoints.join(","),
      CASSANDRA_LOCAL_DC: localDataCenter,
      CASSANDRA_KEYSPACE: http.keyspace,
      CASSANDRA_CONSISTENCY: level,
    });
    console.log(`recordEvents over HTTP (GraphQL, child process server): ${fmt(result.rate)}`);
    console.log(
      `  = ${((result.rate / ceiling) * 100).toFixed(0)}% of the store ceiling, ` +
        `${((result.rate / raw.gatedEventsPerSecond) * 100).toFixed(0)}% of the raw gated ceiling; ` +
        `server peak RSS ${result.rssMiB.toFixed(0)} MiB`,
    );
  } finally {
    await dropKeyspace(http);
  }
}

const drafts = await loadDrafts();
console.log(
  `events: ${drafts.length} (2015-01-01 hours 0-1 x ${rounds}), batch ${batchSize}, ${clients} HTTP clients, store ${values.store}`,
);
if (values.store === "sqlite") await benchSqlite(drafts);
else await benchCassandra(drafts, consistency);
