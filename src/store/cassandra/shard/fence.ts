/**
 * Fences: the write timestamp of every row an aggregator writes (docs/cassandra.md, "Fences").
 *
 * fence(offset, epoch) = epoch * 2^40 + offset + 1. A row written after folding in the log record
 * at `offset` carries that fence, both as its Cassandra write timestamp and, where a row must say
 * how far it has counted, as a `fence` column. Offsets only grow within a log partition, and
 * every row has one owning partition, so:
 *  - a record is counted into a row only when its fence is above the row's fence (replays skip);
 *  - any writer that folds the same records into the same row writes the same value with the
 *    same fence, and Cassandra keeps the highest timestamp, so a late write from a zombie writer
 *    can never move a value backwards.
 * The epoch is raised by a rebuild: everything written in a later epoch wins over everything
 * written in an earlier one, whatever the offsets, so a rebuild can delete all that came before
 * it with one timestamp (epochStart(e) - 1) and no old writer can undo it.
 * Exact in a double up to epoch 8191 with offsets below 2^40 (a trillion records per partition).
 */
const OFFSET_SPAN = 2 ** 40;
export const MAX_EPOCH = 8191;

export function fenceOf(offset: number, epoch: number): number {
  return epoch * OFFSET_SPAN + offset + 1;
}

/** The lowest fence of an epoch: every write of earlier epochs is below it. */
export function epochStart(epoch: number): number {
  return epoch * OFFSET_SPAN;
}
