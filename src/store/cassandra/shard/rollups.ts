import type { ReportCell, ReportRollup } from "../../port.js";
import type { ReportCellKey } from "../../report-cells.js";

/** A report_rollups row (cql/007): one (type, group) of one day and scope on this shard. */
export interface ReportRollupKey {
  readonly day: string;
  readonly scope: "all" | "group";
  readonly type: string;
  /** "" for none. */
  readonly group: string;
}

/**
 * A rollup's sums as stored, with the fence of their last write. Its users are not part of the
 * state: the writer only adds to the row's set (cql/007), so it never needs to read it.
 */
export interface ReportRollupState {
  readonly events: number;
  readonly points: number;
  readonly fence: number;
}

/** The new sums of a row, and the users this batch adds to its set. */
export interface ReportRollupWrite extends ReportRollupKey, ReportRollupState {
  readonly addedUsers: ReadonlySet<string>;
}

export const NO_ROLLUP: ReportRollupState = { events: 0, points: 0, fence: 0 };

/** The rollup a report cell sums into: the cell without its category and user. */
export function rollupKeyOf(cell: ReportCellKey): ReportRollupKey {
  return { day: cell.day, scope: cell.scope, type: cell.type, group: cell.group };
}

/** A day of one scope in a rollup partition (a month): the slice the writer reads and caches whole. */
export function rollupPartitionId(key: { readonly day: string; readonly scope: string }): string {
  return `${key.day}\u0000${key.scope}`;
}

export function rollupId(key: ReportRollupKey): string {
  return `${rollupPartitionId(key)}\u0000${key.type}\u0000${key.group}`;
}

/**
 * Folds the records of a batch into the rollups they touch, each record once per cell key, and
 * only into a row whose stored fence is below the record's (the same rule as the report cells:
 * a record already counted in a row is not counted again on replay). A row's users are only ever
 * added to, and adding a user twice is adding it once, so a replay or a zombie that adds the users
 * of records that are counted anyway changes nothing.
 */
export class RollupPlanner {
  private readonly rows = new Map<string, { key: ReportRollupKey; state: MutableRollup; stored: number }>();

  constructor(private readonly stored: (key: ReportRollupKey) => ReportRollupState | null) {}

  add(cell: ReportCellKey, points: number, fence: number): void {
    const key = rollupKeyOf(cell);
    const id = rollupId(key);
    let row = this.rows.get(id);
    if (row === undefined) {
      const before = this.stored(key) ?? NO_ROLLUP;
      row = { key, state: { ...before, addedUsers: new Set() }, stored: before.fence };
      this.rows.set(id, row);
    }
    if (fence <= row.state.fence) return;
    row.state.events += 1;
    row.state.points += points;
    row.state.addedUsers.add(cell.userId);
    row.state.fence = fence;
  }

  /** The rows this batch changed. */
  writes(): ReportRollupWrite[] {
    return [...this.rows.values()]
      .filter((row) => row.state.fence > row.stored)
      .map(({ key, state }) => ({ ...key, ...state }));
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
