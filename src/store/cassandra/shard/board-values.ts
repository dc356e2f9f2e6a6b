import type { BoardKey } from "../../aggregates.js";
import type { KeyedStatement } from "../partition-batches.js";
import type { BoardStep } from "./plan.js";
import type { ShardCql } from "./statements.js";
import { encodeTop, moveInTop, type BoardTop } from "./board-top.js";

/**
 * A board_values partition (cql/005, cql/006) as stored: users per value, the shard's best users,
 * and the fence of its last write.
 */
export interface BoardValues {
  readonly fence: number;
  readonly users: ReadonlyMap<number, number>;
  readonly top: BoardTop;
}

/** A write of one board_values partition: its whole histogram after the batch, and the new fence. */
export interface BoardValuesWrite extends BoardKey {
  readonly fence: number;
  /** The partition after the write, as written and for the writer's cache. */
  readonly after: BoardValues;
}

export const NO_BOARD_VALUES: BoardValues = { fence: 0, users: new Map(), top: [] };

export function boardKeyId(key: BoardKey): string {
  return `${key.window}\u0000${key.bucket}\u0000${key.metric}`;
}

/**
 * Folds the batch's board steps into the counts of the board shards they touch. A step counts
 * only when its record's fence is above the stored fence of its board shard (a replay finds the
 * fence at or above what it already counted). Pure: the writer loads `stored` and writes the plan.
 */
export function planBoardValues(
  steps: readonly BoardStep[],
  stored: (key: BoardKey) => BoardValues,
): BoardValuesWrite[] {
  const work = new Map<
    string,
    {
      key: BoardKey;
      storedFence: number;
      fence: number;
      users: Map<number, number>;
      size: number;
      top: BoardTop;
      changed: Set<number>;
    }
  >();
  for (const step of steps) {
    const id = boardKeyId(step);
    let board = work.get(id);
    if (board === undefined) {
      const state = stored(step);
      board = {
        key: { window: step.window, bucket: step.bucket, metric: step.metric },
        storedFence: state.fence,
        fence: state.fence,
        users: new Map(state.users),
        size: [...state.users.values()].reduce((sum, users) => sum + users, 0),
        top: state.top,
        changed: new Set(),
      };
      work.set(id, board);
    }
    if (step.fence <= board.storedFence) continue;
    if (step.from !== null) {
      board.users.set(step.from, (board.users.get(step.from) ?? 0) - 1);
      board.changed.add(step.from);
    }
    board.users.set(step.to, (board.users.get(step.to) ?? 0) + 1);
    board.changed.add(step.to);
    board.top = moveInTop(board.top, board.size, step);
    if (step.from === null) board.size += 1;
    board.fence = Math.max(board.fence, step.fence);
  }
  const writes: BoardValuesWrite[] = [];
  for (const board of work.values()) {
    if (board.changed.size === 0) continue;
    for (const value of board.changed) {
      const users = board.users.get(value) ?? 0;
      if (users < 0)
        throw new Error(`board_values: ${boardKeyId(board.key)} would hold ${users} users at ${value}`);
      if (users === 0) board.users.delete(value);
    }
    writes.push({
      ...board.key,
      fence: board.fence,
      after: { fence: board.fence, users: board.users, top: board.top },
    });
  }
  return writes;
}

/** One statement per board_values partition written: its whole histogram and top, at its fence. */
export function boardValueStatements(
  sql: ShardCql,
  shard: number,
  writes: readonly BoardValuesWrite[],
): KeyedStatement[] {
  return writes.map((write) => {
    const partition = [write.window, write.bucket, write.metric, shard];
    return {
      query: sql.boardValuesWrite,
      params: [
        ...partition,
        encodeHistogram(write.after.users),
        encodeTop(write.after.top),
        write.fence,
        write.fence,
      ],
      partition,
    };
  });
}

const PAIR_BYTES = 16;

/** The histogram cell (cql/005): (value, users) float64 little-endian pairs, value descending. */
export function encodeHistogram(users: ReadonlyMap<number, number>): Buffer {
  const values = [...users.keys()].sort((a, b) => b - a);
  const buffer = Buffer.allocUnsafe(values.length * PAIR_BYTES);
  values.forEach((value, i) => {
    buffer.writeDoubleLE(value, i * PAIR_BYTES);
    buffer.writeDoubleLE(users.get(value)!, i * PAIR_BYTES + 8);
  });
  return buffer;
}

/** The pairs of a histogram cell, value descending; an absent cell is an empty board. */
export function decodeHistogram(cell: Buffer | null | undefined): { value: number; users: number }[] {
  if (cell === null || cell === undefined) return [];
  if (cell.length % PAIR_BYTES !== 0) throw new Error(`board_values: a histogram of ${cell.length} bytes`);
  const bins: { value: number; users: number }[] = [];
  for (let at = 0; at < cell.length; at += PAIR_BYTES) {
    bins.push({ value: cell.readDoubleLE(at), users: cell.readDoubleLE(at + 8) });
  }
  return bins;
}
