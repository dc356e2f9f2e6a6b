import type { ReportCell, ReportRollup } from "../../port.js";
import type { ReportCellKey } from "../../report-cells.js";
import { rollupBucketOf } from "./rollup-buckets.js";

/**
 * A report_rollup_buckets row (cql/011): one (type, group) of one day, or of one whole month
 * (cql/010), scope and shard, holding the users of one bucket of that row.
 */
export interface ReportRollupKey {
  /** The day (YYYY-MM-DD), or the month (YYYY-MM) of a month row: the partition's `period`. */
  readonly day: string;
  readonly scope: "all" | "group";
  readonly type: string;
  /** "" for none. */
  readonly group: string;
  /** The bucket of the row's users this row holds (rollup-buckets.ts). */
  readonly bucket: number;
}

/**
 * A rollup as stored, with the fence of its last write. The sums and the users are one row,
 * written by one UPDATE, so the set holds exactly the users of the records the fence covers: the
 * writer reads it to keep `users_count` (cql/010) without counting a user twice.
 */
export interface ReportRollupState {
  readonly events: number;
  readonly points: number;
  readonly fence: number;
  readonly users: ReadonlySet<string>;
}

/** The new sums of a row, the users this batch adds to its set, and the set's size after. */
export interface ReportRollupWrite extends ReportRollupKey {
  readonly events: number;
  readonly points: number;
  readonly fence: number;
  readonly addedUsers: ReadonlySet<string>;
  readonly usersCount: number;
  /** The row's set after the write, for the writer's cache. */
  readonly users: ReadonlySet<string>;
}

export const NO_ROLLUP: ReportRollupState = { events: 0, points: 0, fence: 0, users: new Set() };

/** The rollup row of `day` (a day, or its month) that a report cell sums into: its user's bucket. */
function rollupKeyOf(cell: ReportCellKey, day: string): ReportRollupKey {
  const { scope, type, group } = cell;
  return { day, scope, type, group, bucket: rollupBucketOf({ day, userId: cell.userId, type, group }) };
}

/** The rows a report cell sums into: its day's and its month's (cql/010), each in its user's bucket. */
export function rollupKeysOf(cell: ReportCellKey): ReportRollupKey[] {
  return [rollupKeyOf(cell, cell.day), rollupKeyOf(cell, monthOf(cell.day))];
}

/** The month of a day or of a month row. */
export function monthOf(dayOrMonth: string): string {
  return dayOrMonth.slice(0, 7);
}

/** A rollup partition of this shard (cql/011): period, scope and bucket. The writer reads and caches it whole. */
export function rollupPartitionId(key: {
  readonly day: string;
  readonly scope: string;
  readonly bucket: number;
}): string {
  return `${key.day}\u0000${key.scope}\u0000${key.bucket}`;
}

export function rollupId(key: ReportRollupKey): string {
  return `${rollupPartitionId(key)}\u0000${key.type}\u0000${key.group}`;
}

/**
 * Folds the records of a batch into the rollups they touch (each cell's day and month row, in the
 * bucket of the cell's user), each record once per row, and only into a row whose stored fence is below the record's (the same rule
 * as the report cells: a record already counted in a row is not counted again on replay). A row's
 * users are only ever added to, and adding a user twice is adding it once; its count is the size
 * of the stored set joined with the batch's users, so a replay or a zombie counts no user twice.
 */
export class RollupPlanner {
  private readonly rows = new Map<
    string,
    { key: ReportRollupKey; state: MutableRollup; before: ReportRollupState }
  >();

  constructor(private readonly stored: (key: ReportRollupKey) => ReportRollupState | null) {}

  add(cell: ReportCellKey, points: number, fence: number): void {
    for (const key of rollupKeysOf(cell)) this.addTo(key, cell.userId, points, fence);
  }

  private addTo(key: ReportRollupKey, userId: string, points: number, fence: number): void {
    const id = rollupId(key);
    let row = this.rows.get(id);
    if (row === undefined) {
      const before = this.stored(key) ?? NO_ROLLUP;
      row = {
        key,
        state: { events: before.events, points: before.points, fence: before.fence, addedUsers: new Set() },
        before,
      };
      this.rows.set(id, row);
    }
    if (fence <= row.state.fence) return;
    row.state.events += 1;
    row.state.points += points;
    if (!row.before.users.has(userId)) row.state.addedUsers.add(userId);
    row.state.fence = fence;
  }

  /** The rows this batch changed. */
  writes(): ReportRollupWrite[] {
    return [...this.rows.values()]
      .filter((row) => row.state.fence > row.before.fence)
      .map(({ key, state, before }) => {
        const users =
          state.addedUsers.size === 0 ? before.users : new Set([...before.users, ...state.addedUsers]);
        return { ...key, ...state, usersCount: users.size, users };
      });
  }
}

interface MutableRollup {
  events: number;
  points: number;
  fence: number;
  readonly addedUsers: Set<string>;
}

/** Rollups summed from a day's cells: for a keyspace whose report_rollups are not kept yet. */
export function rollupsOfCells(cells: readonly ReportCell[]): ReportRollup[] {
  type Sum = Omit<ReportRollup, "users"> & { events: number; points: number; readonly ids: Set<string> };
  const rows = new Map<string, Sum>();
  for (const cell of cells) {
    const id = `${cell.type}\u0000${cell.group ?? ""}`;
    let row = rows.get(id);
    if (row === undefined) {
      row = { day: cell.day, type: cell.type, group: cell.group, events: 0, points: 0, ids: new Set() };
      rows.set(id, row);
    }
    row.events += cell.events;
    row.points += cell.points;
    row.ids.add(cell.userId);
  }
  return [...rows.values()].map(({ ids, ...row }) => ({ ...row, users: { ids: [...ids] } }));
}
