import type { KeyedStatement } from "../partition-batches.js";
import type { BoardStep } from "./plan.js";
import type { ShardCql } from "./statements.js";

/** A board_values partition (cql/005) as stored: users per value, and the fence of its last write. */
export interface BoardValues {
  readonly fence: number;
  readonly users: ReadonlyMap<number, number>;
}

export interface BoardKey {
  readonly window: string;
  readonly bucket: string;
  readonly metric: string;
}

/** A write of one board_values partition: the values whose count changed (0: delete) and the new fence. */
export interface BoardValuesWrite extends BoardKey {
  readonly fence: number;
  readonly changed: ReadonlyMap<number, number>;
  /** The partition after the write, for the writer's cache. */
  readonly after: BoardValues;
}

export const NO_BOARD_VALUES: BoardValues = { fence: 0, users: new Map() };

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
    { key: BoardKey; storedFence: number; fence: number; users: Map<number, number>; changed: Set<number> }
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
    board.fence = Math.max(board.fence, step.fence);
  }
  const writes: BoardValuesWrite[] = [];
  for (const board of work.values()) {
    if (board.changed.size === 0) continue;
    const changed = new Map<number, number>();
    for (const value of board.changed) {
      const users = board.users.get(value) ?? 0;
      if (users < 0)
        throw new Error(`board_values: ${boardKeyId(board.key)} would hold ${users} users at ${value}`);
      changed.set(value, users);
      if (users === 0) board.users.delete(value);
    }
    writes.push({
      ...board.key,
      fence: board.fence,
      changed,
      after: { fence: board.fence, users: board.users },
    });
  }
  return writes;
}

/** The statements of one shard's board_values writes; each partition's go in one batch (atomic). */
export function boardValueStatements(
  sql: ShardCql,
  shard: number,
  writes: readonly BoardValuesWrite[],
): KeyedStatement[] {
  return writes.flatMap((write) => {
    const partition = [write.window, write.bucket, write.metric, shard];
    return [
      ...[...write.changed].map(([value, users]) =>
        users === 0
          ? { query: sql.boardValueDelete, params: [write.fence, ...partition, value], partition }
          : { query: sql.boardValueInsert, params: [...partition, value, users, write.fence], partition },
      ),
      { query: sql.boardValuesFence, params: [...partition, write.fence, write.fence], partition },
    ];
  });
}
