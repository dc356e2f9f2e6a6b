/**
 * The raw cassandra-driver ceiling for ingest: the same event rows written straight with the driver
 * at the store's consistency, without the store's gate, counters or leaderboards. bench/ingest.ts can
 * import `measureRawCeiling` to print it next to the GraphQL figure; run alone it uses synthetic
 * events and also times the store itself:
 *
 *   CASSANDRA_CONTACT_POINTS=127.0.0.1:9042 npx tsx bench/cassandra-raw.ts --events 20000 --batch 500
 *
 * Rows go to a scratch keyspace (`<keyspace>_raw`), dropped at the end.
 */
import cassandra from "cassandra-driver";
import { parseArgs } from "node:util";
import { fingerprintOf, type ActivityEvent } from "../src/domain/event.js";
import { dayOf } from "../src/domain/time.js";
import {
  createCassandraStore,
  createClient,
  runMigrations,
  type CassandraStoreOptions,
} from "../src/store/cassandra/index.js";
import type { EventStore } from "../src/store/port.js";

type Appendable = Parameters<EventStore["append"]>[0][number];

export interface RawCeiling {
  /** Plain prepared INSERTs of the log rows: what the cluster takes without any bookkeeping. */
  readonly plainEventsPerSecond: number;
  /** The same plus the idempotency LWT per event: the floor of any exactly-once design. */
  readonly gatedEventsPerSecond: number;
}

export async function measureRawCeiling(
  options: CassandraStoreOptions,
  events: readonly Appendable[],
  concurrency = 128,
): Promise<RawCeiling> {
  const scratch = { ...options, keyspace: `${options.keyspace}_raw` };
  const client = createClient(scratch);
  await client.connect();
  try {
    await runMigrations(client, {
      keyspace: scratch.keyspace,
      replication: options.replication ?? defaultReplication,
    });
    const ks = scratch.keyspace;
    const insert = `INSERT INTO ${ks}.events_by_user_day (user_id, day, occurred_at, event_id, type, repo, category,
      groups, payload, points, ranked, fingerprint) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
    const gate = `INSERT INTO ${ks}.event_ids (event_id, fingerprint, applied) VALUES (?, ?, true) IF NOT EXISTS`;
    const rows = events.map((e) => [
      e.userId,
      dayOf(e.occurredAt),
      e.occurredAt,
      e.id,
      e.type,
      e.repo,
      e.category,
      [...e.groups],
      e.payload,
      e.points,
      e.ranked,
      e.fingerprint,
    ]);
    const time = async (work: () => Promise<unknown>): Promise<number> => {
      const started = process.hrtime.bigint();
      await work();
      return events.length / (Number(process.hrtime.bigint() - started) / 1e9);
    };
    const run = (query: string, params: unknown[][]) =>
      cassandra.concurrent.executeConcurrent(client, query, params, { concurrencyLevel: concurrency });
    const plain = await time(() => run(insert, rows));
    await client.execute(`TRUNCATE ${ks}.events_by_user_day`);
    const gated = await time(async () => {
      await run(
        gate,
        events.map((e) => [e.id, e.fingerprint]),
      );
      await run(insert, rows);
    });
    return { plainEventsPerSecond: plain, gatedEventsPerSecond: gated };
  } finally {
    await client.execute(`DROP KEYSPACE IF EXISTS ${scratch.keyspace}`);
    await client.shutdown();
  }
}

const defaultReplication = { class: "SimpleStrategy", replicationFactor: 1 } as const;

function syntheticEvents(count: number, prefix: string): Appendable[] {
  const types = ["PushEvent", "IssuesEvent", "WatchEvent", "PullRequestEvent"];
  return Array.from({ length: count }, (_, i) => {
    const base: ActivityEvent = {
      id: `${prefix}-${i}`,
      userId: `user-${i % 500}`,
      type: types[i % types.length] as string,
      occurredAt: new Date(Date.UTC(2024, 0, 1) + i * 61_000),
      repo: `org/repo-${i % 50}`,
      category: "org",
      groups: ["org"],
      payload: null,
    };
    return { ...base, points: (i % 5) + 1, ranked: true, fingerprint: fingerprintOf(base) };
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { events: { type: "string", default: "20000" }, batch: { type: "string", default: "500" } },
  });
  const count = Number(values.events);
  const batchSize = Number(values.batch);
  const options: CassandraStoreOptions = {
    contactPoints: (process.env["CASSANDRA_CONTACT_POINTS"] ?? "127.0.0.1:9042").split(","),
    localDataCenter: process.env["CASSANDRA_LOCAL_DC"] ?? "datacenter1",
    keyspace: process.env["CASSANDRA_KEYSPACE"] ?? "eventscore_bench",
  };
  const events = syntheticEvents(count, `bench-${Date.now()}`);
  const store = await createCassandraStore(options);
  const started = process.hrtime.bigint();
  for (let i = 0; i < events.length; i += batchSize) await store.append(events.slice(i, i + batchSize));
  const storeRate = count / (Number(process.hrtime.bigint() - started) / 1e9);
  await store.client.execute(`DROP KEYSPACE IF EXISTS ${options.keyspace}`);
  await store.close();
  const raw = await measureRawCeiling(options, events);
  const fmt = (n: number) => `${Math.round(n).toLocaleString("en-US")} events/s`;
  console.log(`store.append (batches of ${batchSize}): ${fmt(storeRate)}`);
  console.log(`raw driver, log rows only:             ${fmt(raw.plainEventsPerSecond)}`);
  console.log(`raw driver, LWT gate + log rows:       ${fmt(raw.gatedEventsPerSecond)}`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
