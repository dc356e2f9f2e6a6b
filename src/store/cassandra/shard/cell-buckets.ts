import type { ReportCellKey } from "../../report-cells.js";

/**
 * Buckets per (day, scope, shard) of report_cell_buckets (cql/009 says why 32). Stored rows are
 * placed by it: changing it strands them, so it may only change with a new layout and a rebuild.
 */
export const CELL_BUCKETS = 32;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * FNV-1a (32 bits) of some key parts, each followed by 0xffff so that ("ab", "c") and ("a", "bc")
 * hash apart. The parts' UTF-16 code units are hashed, not their bytes: no encoding per key, and
 * just as stable. Not Kafka's murmur2, which places users on shards: a hash correlated with the
 * shard would leave buckets of a shard empty.
 */
export function fnv1aOf(parts: readonly string[]): number {
  let hash = FNV_OFFSET;
  for (const part of parts) {
    for (let i = 0; i < part.length; i++) {
      hash = Math.imul(hash ^ part.charCodeAt(i), FNV_PRIME);
    }
    hash = Math.imul(hash ^ 0xffff, FNV_PRIME);
  }
  return hash >>> 0;
}

/**
 * The bucket of a report cell: FNV-1a of its user, type, category and group, mod CELL_BUCKETS. A
 * function of the cell's key only, so every writer of a cell (first, replay, zombie) and every
 * reader agrees on it.
 */
export function cellBucketOf(key: Pick<ReportCellKey, "userId" | "type" | "category" | "group">): number {
  return fnv1aOf([key.userId, key.type, key.category, key.group]) % CELL_BUCKETS;
}
