import { mapConcurrent } from "./concurrency.js";
import type { Client } from "./options.js";

/**
 * Statements per batch. Every batch here touches few partitions (see MAX_PARTITIONS) that share
 * their replicas, so it costs no batch log; keeping it small keeps it under the server's batch
 * size warning (5 KiB by default).
 */
export const BATCH_ROWS = 40;

/**
 * Partitions per batch, at most. Cassandra warns about unlogged batches that span more than 10
 * partitions (`unlogged_batch_across_partitions_warn_threshold`).
 */
export const MAX_PARTITIONS = 10;

/**
 * Estimated bytes of values per batch packed by replicas, under the server's batch size warning
 * (`batch_size_warn_threshold`, 5 KiB); a single statement above it goes alone.
 */
export const BATCH_BYTES = 4096;

export interface Statement {
  readonly query: string;
  readonly params: unknown[];
}

/** A statement and the partition it writes, as the values of its partition key columns. */
export interface KeyedStatement extends Statement {
  /** Partition key values in column order: strings are `text`, numbers `int` (the shard). */
  readonly partition: readonly (string | number)[];
}

/** Which hosts hold a partition (the serialized partition key), or null when unknown. */
export type ReplicaLookup = (routingKey: Buffer) => readonly { readonly address: string }[] | null;

/** Groups items by partition key, then cuts each group into batches of at most BATCH_ROWS. */
export function batchesByPartition<T>(items: readonly T[], partitionOf: (item: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = partitionOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  const batches: T[][] = [];
  for (const group of groups.values()) {
    for (let i = 0; i < group.length; i += BATCH_ROWS) batches.push(group.slice(i, i + BATCH_ROWS));
  }
  return batches;
}

/**
 * The partition key as Cassandra hashes it (the driver's routing key): one component alone is
 * its serialized value; a composite key is each component as [u16 length][bytes][0].
 */
export function routingKey(partition: readonly (string | number)[]): Buffer {
  const [only] = partition;
  if (partition.length === 1 && only !== undefined) return componentBytes(only);
  const parts = partition.map(componentBytes);
  const key = Buffer.allocUnsafe(parts.reduce((sum, part) => sum + part.length + 3, 0));
  let at = 0;
  for (const part of parts) {
    at = key.writeUInt16BE(part.length, at);
    at += part.copy(key, at);
    at = key.writeUInt8(0, at);
  }
  return key;
}

function componentBytes(value: string | number): Buffer {
  if (typeof value === "string") return Buffer.from(value, "utf8");
  const buffer = Buffer.allocUnsafe(4);
  buffer.writeInt32BE(value);
  return buffer;
}

/**
 * Packs statements into unlogged batches of partitions that have the same replicas: at most
 * BATCH_ROWS statements and MAX_PARTITIONS partitions each, a partition's statements in as few
 * batches as possible. Every partition's part of a batch is applied atomically on each replica;
 * the batch as a whole is not atomic, exactly as separate requests are not. Because all its
 * partitions share their replicas, the driver (token-aware, routing by the first statement)
 * sends the batch to a replica of every partition: one request instead of one per partition,
 * with no extra hop. When the replicas of a partition are unknown (no token metadata), it gets
 * batches of its own.
 */
export function packByReplicas(
  statements: readonly KeyedStatement[],
  replicasOf: ReplicaLookup,
  /** Never cut a partition's statements into two batches (they must apply atomically). */
  keepPartitionsWhole = false,
): Statement[][] {
  // Partitions by table (query) and key; replica sets named by their sorted addresses, once each.
  const partitions = new Map<string, Map<string, { replicas: string; statements: Statement[] }>>();
  const names = new Map<readonly { readonly address: string }[], string>();
  for (const statement of statements) {
    // The key's values name the partition within its table; its routing key (for the replicas)
    // is built once per partition, not per statement: that was most of the packing's cost.
    const id = JSON.stringify(statement.partition);
    let table = partitions.get(statement.query);
    if (!table) partitions.set(statement.query, (table = new Map()));
    const plain = { query: statement.query, params: statement.params };
    const existing = table.get(id);
    if (existing) {
      existing.statements.push(plain);
      continue;
    }
    const hosts = replicasOf(routingKey(statement.partition));
    let replicas = hosts === null || hosts.length === 0 ? `partition ${id}` : names.get(hosts);
    if (replicas === undefined && hosts !== null) {
      replicas = hosts
        .map((host) => host.address)
        .sort()
        .join(" ");
      names.set(hosts, replicas);
    }
    table.set(id, { replicas: replicas ?? `partition ${id}`, statements: [plain] });
  }
  const open = new Map<string, { rows: Statement[]; partitions: number; bytes: number }>();
  const batches: Statement[][] = [];
  for (const { replicas, statements: rows } of [...partitions.values()].flatMap((t) => [...t.values()])) {
    for (const piece of keepPartitionsWhole ? [wholePiece(rows)] : piecesOf(rows)) {
      const batch = open.get(replicas);
      if (
        batch &&
        batch.rows.length + piece.rows.length <= BATCH_ROWS &&
        batch.partitions < MAX_PARTITIONS &&
        batch.bytes + piece.bytes <= BATCH_BYTES
      ) {
        batch.rows.push(...piece.rows);
        batch.partitions += 1;
        batch.bytes += piece.bytes;
      } else {
        if (batch) batches.push(batch.rows);
        open.set(replicas, { rows: piece.rows, partitions: 1, bytes: piece.bytes });
      }
    }
  }
  for (const batch of open.values()) batches.push(batch.rows);
  return batches;
}

/** One partition's statements cut into pieces of at most BATCH_ROWS rows and BATCH_BYTES. */
function piecesOf(rows: readonly Statement[]): { rows: Statement[]; bytes: number }[] {
  const pieces: { rows: Statement[]; bytes: number }[] = [];
  let current: { rows: Statement[]; bytes: number } | null = null;
  for (const row of rows) {
    const bytes = row.params.reduce<number>((sum, value) => sum + sizeOf(value), 0);
    if (current === null || current.rows.length >= BATCH_ROWS || current.bytes + bytes > BATCH_BYTES) {
      current = { rows: [], bytes: 0 };
      pieces.push(current);
    }
    current.rows.push(row);
    current.bytes += bytes;
  }
  return pieces;
}

function wholePiece(rows: Statement[]): { rows: Statement[]; bytes: number } {
  return {
    rows,
    bytes: rows.reduce((sum, row) => sum + row.params.reduce<number>((n, v) => n + sizeOf(v), 0), 0),
  };
}

/** The serialized size of a value, roughly: text by its UTF-8 bytes, lists by their items. */
function sizeOf(value: unknown): number {
  if (typeof value === "string") return Buffer.byteLength(value, "utf8");
  if (Array.isArray(value)) return value.reduce<number>((sum, item) => sum + sizeOf(item), 4);
  return 8;
}

/** The replica lookup of a client for one keyspace (token-aware metadata of the driver). */
export function replicaLookup(client: Client, keyspace: string): ReplicaLookup {
  return (key) => client.getReplicas(keyspace, key) ?? null;
}

/**
 * Runs idempotent writes as unlogged batches packed by replicas; the driver may retry them once
 * on a timeout (the retry policy of options.ts). `whole` keeps each partition's statements in one
 * batch, so that they apply atomically.
 */
export async function writeIdempotentBatches(
  client: Client,
  keyspace: string,
  concurrency: number,
  statements: readonly KeyedStatement[],
  whole = false,
): Promise<void> {
  const batches = packByReplicas(statements, replicaLookup(client, keyspace), whole);
  await mapConcurrent(batches, concurrency, async (batch) => {
    const [only] = batch;
    if (batch.length === 1 && only)
      await client.execute(only.query, only.params, { prepare: true, isIdempotent: true });
    else await client.batch(batch, { prepare: true, logged: false, isIdempotent: true });
  });
}
