import { compareUtf8 } from "../../../domain/utf8-order.js";
import type { RankedValue } from "../../ranking.js";

/**
 * How many of a board shard's best users board_values keeps beside its histogram (cql/006): a
 * leaderboard's first pages, and `around` near the top, are read from these cells instead of
 * board_shards, whose top rows are where users move most and tombstones gather (24,601 per read
 * measured at 200,000 events).
 */
export const BOARD_TOP_SIZE = 128;

/**
 * The best min(BOARD_TOP_SIZE, users) users of one board shard, in board order; null when not
 * known (a shard written before cql/006, until `eventscore rebuild`), so readers use board_shards.
 */
export type BoardTop = readonly RankedValue[] | null;

/** Board order: value descending, then user id by its UTF-8 bytes, as Cassandra orders text. */
export function byBoardOrder(a: RankedValue, b: RankedValue): number {
  if (a.value !== b.value) return b.value - a.value;
  return compareUtf8(a.userId, b.userId);
}

/**
 * The top after one user moves from `from` (null: new on the shard) to `to`, given how many
 * users the shard held before. Exact because a board value never falls (weights are not
 * negative): every user outside the top stays below its last entry, so the new top is the best
 * of the old one and the mover. A fall, or a top that does not match the shard's size, makes the
 * top unknown rather than wrong.
 */
export function moveInTop(
  top: BoardTop,
  usersBefore: number,
  move: { readonly userId: string; readonly from: number | null; readonly to: number },
): BoardTop {
  if (top === null) return null;
  const mover = { userId: move.userId, value: move.to };
  const at = top.findIndex((entry) => entry.userId === move.userId);
  if (at >= 0) {
    if (move.to < top[at]!.value) return null;
    return insertInOrder([...top.slice(0, at), ...top.slice(at + 1)], mover);
  }
  if (top.length !== Math.min(BOARD_TOP_SIZE, usersBefore)) return null;
  if (top.length < BOARD_TOP_SIZE) {
    // The top holds every user of the shard, so a user missing from it must be new.
    return move.from === null ? insertInOrder([...top], mover) : null;
  }
  if (byBoardOrder(mover, top[top.length - 1]!) >= 0) return top;
  return insertInOrder(top.slice(0, BOARD_TOP_SIZE - 1), mover);
}

/**
 * Puts one entry into a list already in board order, found by binary search: every board step
 * of an apply moves a user in a top of up to 128, so sorting the top again each time would cost
 * hundreds of comparisons per step.
 */
function insertInOrder(sorted: RankedValue[], entry: RankedValue): RankedValue[] {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (byBoardOrder(sorted[mid]!, entry) < 0) lo = mid + 1;
    else hi = mid;
  }
  sorted.splice(lo, 0, entry);
  return sorted;
}

/** The best min(BOARD_TOP_SIZE, n) of a shard's users, from all of them (rebuild). */
export function topOf(users: readonly RankedValue[]): RankedValue[] {
  return [...users].sort(byBoardOrder).slice(0, BOARD_TOP_SIZE);
}

/**
 * The rows after `after` (null: from the top) that a page of `limit` needs, when the top holds
 * them all: `limit` of them, or fewer when the top is the whole shard. Null: read board_shards.
 */
export function pageFromTop(top: BoardTop, after: RankedValue | null, limit: number): RankedValue[] | null {
  if (top === null) return null;
  const rows = after === null ? top : top.filter((entry) => byBoardOrder(entry, after) > 0);
  if (rows.length >= limit) return rows.slice(0, limit);
  return top.length < BOARD_TOP_SIZE ? [...rows] : null;
}

/**
 * The `limit` rows just above `before`, when the top holds them all: it does when it is the whole
 * shard or when `before` is not below its last entry. Null: read board_shards.
 */
export function pageBeforeFromTop(top: BoardTop, before: RankedValue, limit: number): RankedValue[] | null {
  if (top === null) return null;
  const last = top[top.length - 1];
  if (top.length === BOARD_TOP_SIZE && last !== undefined && byBoardOrder(before, last) > 0) return null;
  return top.filter((entry) => byBoardOrder(entry, before) < 0).slice(-limit);
}

/** The top cell: per entry its value (float64 LE), its user id's length (uint16 LE) and UTF-8 bytes. */
export function encodeTop(top: BoardTop): Buffer | null {
  if (top === null) return null;
  const ids = top.map((entry) => Buffer.from(entry.userId, "utf8"));
  const buffer = Buffer.allocUnsafe(ids.reduce((size, id) => size + 10 + id.length, 0));
  let at = 0;
  top.forEach((entry, i) => {
    const id = ids[i]!;
    buffer.writeDoubleLE(entry.value, at);
    buffer.writeUInt16LE(id.length, at + 8);
    id.copy(buffer, at + 10);
    at += 10 + id.length;
  });
  return buffer;
}

export function decodeTop(cell: Buffer): RankedValue[] {
  const top: RankedValue[] = [];
  for (let at = 0; at < cell.length;) {
    if (at + 10 > cell.length) throw new Error(`board_values: a top cell cut at byte ${at}`);
    const length = cell.readUInt16LE(at + 8);
    if (at + 10 + length > cell.length) throw new Error(`board_values: a top cell cut at byte ${at}`);
    top.push({ value: cell.readDoubleLE(at), userId: cell.toString("utf8", at + 10, at + 10 + length) });
    at += 10 + length;
  }
  return top;
}
