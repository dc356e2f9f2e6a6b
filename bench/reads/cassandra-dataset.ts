/**
 * Loads the read benchmark's dataset into a Cassandra keyspace through the production write path
 * (the log-fed store's shard writers: claims, fences, boards, report cells; the Kafka log replaced
 * by test/support/in-process-log.ts, which numbers each shard's records as Kafka would), or reuses
 * a keyspace that a previous run completed. The keyspace name carries the dataset's shape and a hash
 * of the CQL migrations, so a changed schema loads a new keyspace. `upgrade` names a completed
 * keyspace of an older schema to bring forward instead, as a deployment would: migrate, then
 * `eventscore rebuild` (minutes instead of a load's hour on a busy machine).
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createClient } from "../../src/store/cassandra/index.js";
import { CassandraLogFedStore } from "../../src/store/cassandra/log-fed-store.js";
import { AGGREGATES_VERSION } from "../../src/store/cassandra/shard/layout.js";
import { InProcessLog } from "../../test/support/in-process-log.js";
import { generate, type DatasetShape } from "./dataset.js";

const DIR = join(import.meta.dirname, "../../data/bench");
const CQL = join(import.meta.dirname, "../../cql");

export interface CassandraTarget {
  readonly contactPoints: string[];
  readonly localDataCenter: string;
  /** Log partitions (KAFKA_PARTITIONS of the server that reads it). */
  readonly shards: number;
}

export interface PreparedKeyspace {
  readonly keyspace: string;
  /** Events/s of the load, when this run loaded it; null when it was reused. */
  readonly loadRate: number | null;
}

export async function prepareCassandra(
  shape: DatasetShape,
  target: CassandraTarget,
  upgrade?: string,
): Promise<PreparedKeyspace> {
  if (upgrade !== undefined) return upgraded(upgrade, target);
  const keyspace = `bench_reads_${shape.events}e_${shape.users}u_${shape.days}d_s${shape.seed}_p${target.shards}_${schemaHash()}`;
  // Written only after the last batch is applied: a load cut short is loaded again from scratch.
  const done = join(DIR, `${keyspace}.done`);
  if (existsSync(done)) return { keyspace, loadRate: null };
  const options = { contactPoints: target.contactPoints, localDataCenter: target.localDataCenter, keyspace };
  const client = createClient(options);
  await client.connect();
  try {
    await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
    const store = new CassandraLogFedStore(client, options, { ownsClient: false });
    await store.migrate();
    const log = new InProcessLog(store, target.shards);
    const started = performance.now();
    let loaded = 0;
    for (const batch of generate(shape)) {
      await log.append(batch);
      loaded += batch.length;
      if (loaded % 50_000 === 0) {
        const rate = loaded / ((performance.now() - started) / 1000);
        console.log(`  loaded ${loaded.toLocaleString("en-US")} events (${Math.round(rate)} events/s)`);
      }
    }
    const loadRate = loaded / ((performance.now() - started) / 1000);
    mkdirSync(DIR, { recursive: true });
    writeFileSync(done, `${new Date().toISOString()} ${loaded} events\n`);
    return { keyspace, loadRate };
  } finally {
    await client.shutdown();
  }
}

/** An older bench keyspace, migrated to this schema and rebuilt once (meta 'aggregates' records it). */
async function upgraded(keyspace: string, target: CassandraTarget): Promise<PreparedKeyspace> {
  const options = { contactPoints: target.contactPoints, localDataCenter: target.localDataCenter, keyspace };
  const client = createClient(options);
  await client.connect();
  try {
    const store = new CassandraLogFedStore(client, options, { ownsClient: false });
    await store.migrate();
    const meta = await client.execute(`SELECT value FROM ${keyspace}.meta WHERE name = 'aggregates'`);
    const version = Number(meta.rows[0]?.["value"] ?? 0);
    if (version < AGGREGATES_VERSION) {
      const started = performance.now();
      const read = await store.rebuild();
      console.log(
        `  rebuilt ${read.toLocaleString("en-US")} events in ${Math.round((performance.now() - started) / 1000)} s`,
      );
    }
    return { keyspace, loadRate: null };
  } finally {
    await client.shutdown();
  }
}

function schemaHash(): string {
  const hash = createHash("sha256");
  for (const name of readdirSync(CQL)
    .filter((file) => file.endsWith(".cql"))
    .sort()) {
    hash.update(name).update(readFileSync(join(CQL, name)));
  }
  return hash.digest("hex").slice(0, 8);
}

/** The users at the bottom of the all-time points board (lowest value, last by id), from the dataset itself. */
export function bottomUsersOf(shape: DatasetShape, count: number): string[] {
  const points = new Map<string, number>();
  for (const batch of generate(shape)) {
    for (const event of batch) points.set(event.userId, (points.get(event.userId) ?? 0) + event.points);
  }
  return [...points]
    .sort(([a, x], [b, y]) => x - y || Buffer.compare(Buffer.from(b), Buffer.from(a)))
    .slice(0, count)
    .map(([userId]) => userId);
}
