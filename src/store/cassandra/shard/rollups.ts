import type { ReportCell, ReportRollup } from "../../port.js";
import type { ReportCellKey } from "../../report-cells.js";

/**
 * A report_rollups row (cql/007): one (type, group) of one day, or of one whole month (cql/010),
 * and scope on this shard.
 */
export interface ReportRollupKey {
  /** The day (YYYY-MM-DD), or the month (YYYY-MM) of a month row: its clustering `day` (cql/010). */
  readonly day: string;
  readonly scope: "all" | "group";
  readonly type: string;
  /** "" for none. */
  readonly group: string;
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

/** The day rollup a report cell sums into: the cell without its category and user. */
export function rollupKeyOf(cell: ReportCellKey): ReportRollupKey {
  return { day: cell.day, scope: cell.scope, type: cell.type, group: cell.group };
}

/** The month rollup (cql/010) a report cell also sums into: its day row's, for the whole month. */
export function monthRollupKeyOf(cell: ReportCellKey): ReportRollupKey {
  return { ...rollupKeyOf(cell), day: monthOf(cell.day) };
}

/** The rows a report cell sums into: its day's and its month's. */
export function rollupKeysOf(cell: ReportCellKey): ReportRollupKey[] {
  return [rollupKeyOf(cell), monthRollupKeyOf(cell)];
}

/** The partition (cql/007) of a day or month row: its month. */
export function monthOf(dayOrMonth: string): string {
  return dayOrMonth.slice(0, 7);
}

/** A day (or month row) of one scope in a rollup partition: the slice the writer reads and caches whole. */
export function rollupPartitionId(key: { readonly day: string; readonly scope: string }): string {
  return `${key.day}\u0000${key.scope}`;
}

export function rollupId(key: ReportRollupKey): string {
  return `${rollupPartitionId(key)}\u0000${key.type}\u0000${key.group}`;
}

/**
 * Folds the records of a batch into the rollups they touch (each cell's day and month row), each
 * record once per row, and only into a row whose stored fence is below the record's (the same rule
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
