/**
 * Partition sizes from the statements the store issues (bench/hot-partitions.ts): bytes written,
 * every write counted, and live bytes, each row counted once as its last write left it (a set only
 * grows; a deleted row is gone). Rows that are rewritten every batch (type_counts, board_values,
 * rollups) write far more than they hold, so the two differ by orders of magnitude there; what a
 * partition holds once compacted is the live figure.
 */
import type { KeyedStatement } from "../src/store/cassandra/partition-batches.js";

/** Where a statement's row key and its set column are, by the statement's table and verb. */
interface RowShape {
  /** Param indexes of the row's primary key, in order. */
  readonly key: readonly number[];
  /** Param index of a set that writes add to (users of a rollup, quarters of a day). */
  readonly added?: number;
  /** Param index of a list of clustering values, each a row deleted (board_shards). */
  readonly deletes?: number;
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

/** The shapes of shard/statements.ts's writes, by table, as `VERB table`. */
const SHAPES: Record<string, RowShape> = {
  "INSERT event_claims": { key: [0, 1] },
  "INSERT events_by_user_day": { key: range(0, 4) },
  "INSERT events_by_user_quarter": { key: range(0, 5) },
  "INSERT days_by_user": { key: [0, 1] },
  "UPDATE days_by_user": { key: [2, 3], added: 1 },
  "INSERT report_cell_buckets": { key: range(0, 8) },
  // Params: timestamp, events, points, fence, added users, users_count, then the key (cql/011).
  "UPDATE report_rollup_buckets": { key: range(6, 12), added: 4 },
  "INSERT board_shards": { key: range(0, 6) },
  "DELETE board_shards": { key: [1, 2, 3, 4, 6], deletes: 5 },
  "INSERT board_values": { key: range(0, 4) },
  "INSERT type_counts": { key: range(0, 4) },
};

export function sizeOf(value: unknown): number {
  if (typeof value === "string") return Buffer.byteLength(value);
  if (Array.isArray(value)) return value.reduce<number>((n, v) => n + sizeOf(v), 4);
  if (Buffer.isBuffer(value)) return value.length;
  return 8;
}

/** Row overhead per write, roughly (timestamps, lengths, flags). */
const ROW_OVERHEAD = 24;

export class PartitionSizes {
  readonly written = new Map<string, number>();
  /** Per partition, per row key: the row's bytes and the elements of its set. */
  private readonly rows = new Map<string, Map<string, { bytes: number; added: Set<string> }>>();

  add(table: string, statement: KeyedStatement): void {
    const partition = `${table} ${JSON.stringify(statement.partition)}`;
    const bytes = statement.params.reduce<number>((n, v) => n + sizeOf(v), ROW_OVERHEAD);
    this.written.set(partition, (this.written.get(partition) ?? 0) + bytes);
    const verb = statement.query.trimStart().split(/\s/, 1)[0]!;
    const shape = SHAPES[`${verb} ${table}`];
    if (shape === undefined) throw new Error(`partition sizes: no row shape for ${verb} ${table}`);
    let rows = this.rows.get(partition);
    if (!rows) this.rows.set(partition, (rows = new Map()));
    const key = shape.key.map((i) => statement.params[i]);
    if (shape.deletes !== undefined) {
      for (const value of statement.params[shape.deletes] as unknown[]) {
        const [w, b, m, s, user] = key;
        rows.delete(JSON.stringify([w, b, m, s, value, user]));
      }
      return;
    }
    const id = JSON.stringify(key);
    const row = rows.get(id) ?? { bytes: 0, added: new Set<string>() };
    if (shape.added === undefined) row.bytes = bytes;
    else {
      row.bytes = bytes - sizeOf(statement.params[shape.added]);
      for (const element of statement.params[shape.added] as unknown[]) row.added.add(String(element));
    }
    rows.set(id, row);
  }

  /** Live bytes of each partition. */
  live(): Map<string, number> {
    const sizes = new Map<string, number>();
    for (const [partition, rows] of this.rows) {
      let bytes = 0;
      for (const row of rows.values()) {
        bytes += row.bytes;
        for (const element of row.added) bytes += Buffer.byteLength(element) + ROW_OVERHEAD;
      }
      sizes.set(partition, bytes);
    }
    return sizes;
  }
}
