import { periodsContaining, type Window } from "../../../domain/time.js";
import { isScopeMetric, POINTS_METRIC, scopeMetricsOf } from "../../aggregates.js";
import type { LogRecord, StoredEvent } from "../../port.js";
import { reportCellId, reportCellKeys, type ReportCellKey } from "../../report-cells.js";
import { fenceOf } from "./fence.js";
import {
  RollupPlanner,
  type ReportRollupKey,
  type ReportRollupState,
  type ReportRollupWrite,
} from "./rollups.js";

/** The counts of one event type in one (user, window, bucket). */
export interface TypeCounts {
  readonly events: number;
  readonly points: number;
  /** Only events that enter leaderboards (users that are not bots). */
  readonly rankedEvents: number;
  readonly rankedPoints: number;
}

/** A `type_counts` partition as stored: its rows and the fence of its last write (0: none). */
export interface TypeCountsPartition {
  readonly fence: number;
  readonly types: ReadonlyMap<string, TypeCounts>;
}

export interface PeriodKey {
  readonly userId: string;
  readonly window: Window;
  readonly bucket: string;
}

/** A write of one whole `type_counts` partition: the changed rows and the new fence. */
export interface TypeCountsWrite extends PeriodKey {
  readonly fence: number;
  readonly changed: ReadonlyMap<string, TypeCounts>;
  /** The partition after the write, for the cache and for live pushes. */
  readonly after: TypeCountsPartition;
}

/**
 * A user's move on one board shard: delete the rows of every value the user has held since the
 * stored state (a zombie writer may have left any of them), insert the final one.
 */
export interface BoardMove extends PeriodKey {
  readonly metric: string;
  readonly fence: number;
  readonly deletes: readonly number[];
  readonly insert: number;
}

/**
 * One record's move of one user on one board: the user leaves `from` (null: was not on the
 * board) for `to`. board_values counts it when the record's fence is above the board shard's.
 */
export interface BoardStep {
  readonly window: Window;
  readonly bucket: string;
  readonly metric: string;
  readonly fence: number;
  readonly userId: string;
  readonly from: number | null;
  readonly to: number;
}

/** A report cell as stored, with the fence of its last write. */
export interface ReportCellState {
  readonly events: number;
  readonly points: number;
  readonly fence: number;
}

export interface ReportCellWrite extends ReportCellKey, ReportCellState {}

export interface AggregatePlan {
  readonly typeCounts: TypeCountsWrite[];
  readonly boardMoves: BoardMove[];
  /** Every counted record's moves on boards, in offset order. */
  readonly boardSteps: BoardStep[];
  readonly reportCells: ReportCellWrite[];
  /** The report_rollup_buckets rows (cql/011) the cells sum into, each in its users' bucket. */
  readonly reportRollups: ReportRollupWrite[];
  /**
   * The log rows to write, each placed (cql/008): records already counted in their day are left
   * out, since their rows were written before their counts (write step (a) before (b)).
   */
  readonly logRows: PlacedRecord[];
}

/** A record's log row: in events_by_user_day (quarter null) or the day's quarter of an hour. */
export interface PlacedRecord {
  readonly record: LogRecord;
  readonly quarter: number | null;
}

/** How many events of a user's day stay in its events_by_user_day partition (cql/008). */
export const DEFAULT_DAY_SPLIT_EVENTS = 100_000;
const QUARTER_MS = 900_000;
const DAY_MS = 86_400_000;

/** The quarter of an hour (0-95) of a time's UTC day. */
export function quarterOf(at: Date): number {
  const ms = ((at.getTime() % DAY_MS) + DAY_MS) % DAY_MS;
  return Math.floor(ms / QUARTER_MS);
}

/** What the planner needs to know of the stored rows that a batch touches. */
export interface StoredState {
  typeCounts(key: PeriodKey): TypeCountsPartition;
  reportCell(key: ReportCellKey): ReportCellState | null;
  reportRollup(key: ReportRollupKey): ReportRollupState | null;
}

const NO_COUNTS: TypeCounts = { events: 0, points: 0, rankedEvents: 0, rankedPoints: 0 };

/**
 * A row's counts after one more event (undefined: the row had none). An unranked event counts in the
 * row's events and points, not in its ranked ones.
 */
export function countedIn(
  counts: TypeCounts | undefined,
  event: Pick<StoredEvent, "points" | "ranked">,
): TypeCounts {
  const old = counts ?? NO_COUNTS;
  return {
    events: old.events + 1,
    points: old.points + event.points,
    rankedEvents: old.rankedEvents + (event.ranked ? 1 : 0),
    rankedPoints: old.rankedPoints + (event.ranked ? event.points : 0),
  };
}

export function periodKeyId(key: PeriodKey): string {
  return `${key.userId}\u0000${key.window}\u0000${key.bucket}`;
}

/** A board value and whether the user is on the board at all (has a ranked event). */
export interface Standing {
  readonly member: boolean;
  readonly value: number;
}

/**
 * A user's value on a board from the rows of their `type_counts` partition: the ranked points of
 * the event types (POINTS_METRIC), the ranked count of one type, or the ranked points of a scope's
 * row (a metric starting with "@", see aggregates.ts).
 */
export function standingOf(types: ReadonlyMap<string, TypeCounts>, metric: string): Standing {
  if (isScopeMetric(metric)) {
    const counts = types.get(metric) ?? NO_COUNTS;
    return { member: counts.rankedEvents > 0, value: counts.rankedPoints };
  }
  if (metric !== POINTS_METRIC) {
    const counts = types.get(metric) ?? NO_COUNTS;
    return { member: counts.rankedEvents > 0, value: counts.rankedEvents };
  }
  let rankedEvents = 0;
  let rankedPoints = 0;
  for (const [type, counts] of types) {
    if (isScopeMetric(type)) continue;
    rankedEvents += counts.rankedEvents;
    rankedPoints += counts.rankedPoints;
  }
  return { member: rankedEvents > 0, value: rankedPoints };
}

interface PartitionWork {
  readonly key: PeriodKey;
  readonly storedFence: number;
  readonly types: Map<string, TypeCounts>;
  readonly changed: Map<string, TypeCounts>;
  fence: number;
  /** Per metric: the stored standing and every value reached in this batch, in order. */
  readonly boards: Map<string, { readonly before: Standing; readonly values: number[]; fence: number }>;
}

/**
 * Folds the counted records of one batch (in offset order) into the rows they touch. A record
 * counts in a row only when its fence is above the row's stored fence, so a batch that was
 * applied before, in whole or in part, changes nothing it already changed. Pure: the caller
 * loads the stored state and writes the plan.
 */
export function planAggregates(
  records: readonly LogRecord[],
  epoch: number,
  stored: StoredState,
  daySplitEvents = DEFAULT_DAY_SPLIT_EVENTS,
): AggregatePlan {
  const partitions = new Map<string, PartitionWork>();
  const cells = new Map<string, ReportCellWrite>();
  const rollups = new RollupPlanner((key) => stored.reportRollup(key));
  const steps: BoardStep[] = [];
  const logRows: PlacedRecord[] = [];
  for (const record of records) {
    const fence = fenceOf(record.offset, epoch);
    const { event } = record;
    for (const { window, bucket } of periodsContaining(event.occurredAt)) {
      const key: PeriodKey = { userId: event.userId, window, bucket };
      const id = periodKeyId(key);
      let work = partitions.get(id);
      if (!work) {
        const state = stored.typeCounts(key);
        work = {
          key,
          storedFence: state.fence,
          types: new Map(state.types),
          changed: new Map(),
          fence: state.fence,
          boards: new Map(),
        };
        partitions.set(id, work);
      }
      if (fence <= work.storedFence) continue;
      if (window === "DAY") {
        // The user's events of the day before this one, in log order: the same for every writer
        // that replays the log, so the row goes where the first writer put it.
        const before = eventsOf(work.types);
        logRows.push({ record, quarter: before >= daySplitEvents ? quarterOf(event.occurredAt) : null });
      }
      // A scope (group, category) is counted as a row of its own in the user's partition, so
      // that its board value derives from type_counts like every other board's.
      const scopes = scopeMetricsOf(event);
      const metrics = event.ranked ? [event.type, POINTS_METRIC, ...scopes] : [];
      for (const metric of metrics) {
        if (!work.boards.has(metric)) {
          work.boards.set(metric, { before: standingOf(work.types, metric), values: [], fence });
        }
      }
      for (const row of [event.type, ...scopes]) {
        const counts = countedIn(work.types.get(row), event);
        work.types.set(row, counts);
        work.changed.set(row, counts);
      }
      work.fence = fence;
      for (const metric of metrics) {
        const board = work.boards.get(metric)!;
        const from =
          board.values.length > 0 ? board.values[board.values.length - 1]! : memberValue(board.before);
        const to = standingOf(work.types, metric).value;
        board.values.push(to);
        board.fence = fence;
        if (from !== to) steps.push({ window, bucket, metric, fence, userId: event.userId, from, to });
      }
    }
    for (const key of reportCellKeys(event)) {
      rollups.add(key, event.points, fence);
      const id = reportCellId(key);
      const current = cells.get(id) ?? {
        ...key,
        ...(stored.reportCell(key) ?? { events: 0, points: 0, fence: 0 }),
      };
      if (fence <= current.fence) {
        cells.set(id, current);
        continue;
      }
      cells.set(id, { ...key, events: current.events + 1, points: current.points + event.points, fence });
    }
  }
  const storedCells = (write: ReportCellWrite): boolean =>
    write.fence > (stored.reportCell(write)?.fence ?? 0);
  return {
    typeCounts: [...partitions.values()]
      .filter((work) => work.changed.size > 0)
      .map((work) => ({
        ...work.key,
        fence: work.fence,
        changed: work.changed,
        after: { fence: work.fence, types: work.types },
      })),
    boardMoves: [...partitions.values()].flatMap((work) =>
      [...work.boards].flatMap(([metric, board]) => boardMove(work.key, metric, board) ?? []),
    ),
    boardSteps: steps,
    reportCells: [...cells.values()].filter(storedCells),
    reportRollups: rollups.writes(),
    logRows,
  };
}

/** Events counted in a type_counts partition: its type rows, not its scope rows. */
function eventsOf(types: ReadonlyMap<string, TypeCounts>): number {
  let events = 0;
  for (const [type, counts] of types) if (!isScopeMetric(type)) events += counts.events;
  return events;
}

function memberValue(standing: Standing): number | null {
  return standing.member ? standing.value : null;
}

/**
 * The move of a user on one board in a batch, or null when the batch left the user where the stored
 * state has them (events of no points on a points board): the row is in place, as a board value
 * never falls, so no writer that has counted fewer records can have deleted it.
 */
function boardMove(
  key: PeriodKey,
  metric: string,
  board: { readonly before: Standing; readonly values: readonly number[]; readonly fence: number },
): BoardMove | null {
  const insert = board.values[board.values.length - 1]!;
  if (board.before.member && board.values.every((value) => value === board.before.value)) return null;
  const passed = new Set(board.before.member ? [board.before.value, ...board.values] : board.values);
  passed.delete(insert);
  return { ...key, metric, fence: board.fence, deletes: [...passed], insert };
}
