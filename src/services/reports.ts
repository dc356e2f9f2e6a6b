import { daysBetween, daysByMonth, daysOfMonth, isoWeekStartOf } from "../domain/time.js";
import type { ReportCell, ReportRollup, ReportScope, ReportSource } from "../store/port.js";
import { ReadCoalescer } from "../store/read-coalescer.js";
import { DistinctUsers } from "../store/user-set.js";

export const REPORT_DIMENSIONS = ["DAY", "WEEK", "MONTH", "TYPE", "CATEGORY", "GROUP"] as const;
export type ReportDimension = (typeof REPORT_DIMENSIONS)[number];

export interface ReportFilter {
  readonly types: readonly string[] | null;
  readonly categories: readonly string[] | null;
  readonly groups: readonly string[] | null;
  readonly userIds: readonly string[] | null;
}

export interface ReportRequest {
  /** Midnight UTC of the first day (inclusive). */
  readonly from: Date;
  /** Midnight UTC of the day after the last (exclusive). */
  readonly to: Date;
  readonly groupBy: readonly ReportDimension[];
  readonly filter: ReportFilter;
}

/** One row: the values of the grouped dimensions (null when not grouped) and the measures. */
export interface ReportRow {
  /** The day, the ISO week's Monday or the month (YYYY-MM), when grouped by time. */
  readonly period: string | null;
  readonly type: string | null;
  readonly category: string | null;
  readonly group: string | null;
  readonly events: number;
  readonly users: number;
  readonly score: number;
}

export class InvalidReportError extends Error {}

type Dimensions = Pick<ReportRow, "period" | "type" | "category" | "group">;

interface Accumulator {
  readonly dims: Dimensions;
  events: number;
  score: number;
  /** Users by id: of cells, and of rollups that carry ids (Cassandra). Made when first needed. */
  users: Set<string> | null;
  /**
   * Users of rollups by their number in the store's dictionary (SQLite; a store uses one or the
   * other). Made when first needed: a report of counts has hundreds of rows and needs no set.
   */
  numbered: DistinctUsers | null;
  /** Users of rollups read as counts: each row's disjoint from every other's in this entry (RollupUsersRead). */
  counted: number;
}

const TIME_DIMENSIONS: readonly ReportDimension[] = ["DAY", "WEEK", "MONTH"];
const DAYS_READ_AT_ONCE = 8;

/**
 * Reports over the per-day report cells: filter, group by any of time (day, week or month),
 * type, category and group, and sum. Distinct users are exact because cells keep the user.
 *
 * Groups are a multi-valued dimension: an event with several groups counts once in each of
 * them when grouping or filtering by group, and once overall otherwise.
 */
export class ReportService {
  /**
   * Dashboards ask for the same report many times at once; concurrent askers of one report share
   * one computation that began after each of them asked (so a report never misses a write
   * acknowledged before it was asked for). Its rows are shared, read-only.
   */
  private readonly computing = new ReadCoalescer<readonly ReportRow[]>();

  constructor(
    private readonly source: ReportSource,
    readonly maxDays: number,
  ) {}

  /**
   * Reads the rollups (per type and group, with exact user sets or their sizes) when the request
   * needs neither categories nor users and the store keeps rollups; else every cell of each day.
   * `signal` ends the caller's wait once its client is gone or its deadline has passed; the work
   * stops between reads when every caller sharing it has gone.
   */
  async run(request: ReportRequest, signal?: AbortSignal): Promise<readonly ReportRow[]> {
    const days = this.checkedDays(request);
    return this.computing.read(reportKey(request), (shared) => this.compute(request, days, shared), signal);
  }

  private async compute(
    request: ReportRequest,
    days: readonly string[],
    signal: AbortSignal,
  ): Promise<ReportRow[]> {
    const byGroup = request.groupBy.includes("GROUP") || request.filter.groups !== null;
    const scope: ReportScope = byGroup ? "group" : "all";
    const accept = cellFilter(request.filter);
    const label = labeller(request.groupBy);
    const rows = new Map<string, Accumulator>();
    const entryOf = (dims: Dimensions): Accumulator => {
      const key = `${dims.period}\u0000${dims.type}\u0000${dims.category}\u0000${dims.group}`;
      let entry = rows.get(key);
      if (!entry) {
        entry = { dims, events: 0, score: 0, users: null, numbered: null, counted: 0 };
        rows.set(key, entry);
      }
      return entry;
    };
    const reads = usesRollups(request) ? rollupReads(this.source, request.groupBy, scope, days) : null;
    const steps = reads ?? cellReads(this.source, scope, days);
    for (const [index, read] of steps.entries()) {
      if (index > 0) {
        // A store that answers synchronously (SQLite) would run the whole report in microtasks:
        // giving the event loop a turn lets a closed connection or the deadline's timer be seen,
        // and other requests be served meanwhile.
        await new Promise((resolve) => setImmediate(resolve));
      }
      signal.throwIfAborted();
      const { rollups, cells } = await read();
      for (const rollup of rollups) {
        const cell = { ...rollup, category: null, userId: "" };
        if (!accept(cell)) continue;
        const entry = entryOf(label(cell));
        entry.events += rollup.events;
        entry.score += rollup.points;
        if ("count" in rollup.users) entry.counted += rollup.users.count;
        else if ("ids" in rollup.users) {
          const users = (entry.users ??= new Set());
          for (const id of rollup.users.ids) users.add(id);
        } else (entry.numbered ??= new DistinctUsers()).addEncoded(rollup.users.numbers);
      }
      for (const cell of cells) {
        if (!accept(cell)) continue;
        const entry = entryOf(label(cell));
        entry.events += cell.events;
        entry.score += cell.points;
        (entry.users ??= new Set()).add(cell.userId);
      }
    }
    signal.throwIfAborted();
    return [...rows.values()]
      .map(({ dims, events, score, users, numbered, counted }) => ({
        ...dims,
        events,
        users: (users?.size ?? 0) + (numbered?.size ?? 0) + counted,
        score,
      }))
      .sort(compareRows);
  }

  private checkedDays(request: ReportRequest): string[] {
    if (!isMidnight(request.from) || !isMidnight(request.to)) {
      throw new InvalidReportError("from and to must be dates (whole UTC days)");
    }
    if (request.to.getTime() <= request.from.getTime()) throw new InvalidReportError("to must be after from");
    const days = daysBetween(request.from, request.to).reverse();
    if (days.length > this.maxDays) {
      throw new InvalidReportError(
        `a report may span at most ${this.maxDays} days (EVENTSCORE_MAX_REPORT_DAYS); this one spans ${days.length}`,
      );
    }
    if (request.groupBy.filter((d) => TIME_DIMENSIONS.includes(d)).length > 1) {
      throw new InvalidReportError("group by at most one of DAY, WEEK and MONTH");
    }
    return days;
  }
}

/** Requests that ask for the same rows share a key: dimensions and filters are sets. */
function reportKey(request: ReportRequest): string {
  const set = (values: readonly string[] | null): string[] | null =>
    values === null ? null : [...new Set(values)].sort();
  const { filter } = request;
  return JSON.stringify([
    request.from.getTime(),
    request.to.getTime(),
    set(request.groupBy),
    set(filter.types),
    set(filter.categories),
    set(filter.groups),
    set(filter.userIds),
  ]);
}

/** One store read of a report: rollups, or cells. */
type Read = () => Promise<{ rollups: readonly ReportRollup[]; cells: readonly ReportCell[] }>;

/** Every cell of each day, DAYS_READ_AT_ONCE days a read. */
function cellReads(source: ReportSource, scope: ReportScope, days: readonly string[]): Read[] {
  const reads: Read[] = [];
  for (let start = 0; start < days.length; start += DAYS_READ_AT_ONCE) {
    const chunk = days.slice(start, start + DAYS_READ_AT_ONCE);
    reads.push(async () => {
      const cells = await Promise.all(chunk.map((day) => source.reportCells(day, scope)));
      return { rollups: [], cells: cells.flat() };
    });
  }
  return reads;
}

/**
 * The rollup reads of a report, or null when the store keeps none. Whole months come as month rows
 * when the report groups by MONTH or by no time at all (a 366-day report reads 13 rows per type
 * instead of 366) and the store keeps them; the other days come a month at a time (one slice per
 * shard on Cassandra). Users are asked for as counts where every report row adds up rows of one
 * (day or month, type, group) only, the shards' disjoint users, so no set is read or joined.
 */
function rollupReads(
  source: ReportSource,
  groupBy: readonly ReportDimension[],
  scope: ReportScope,
  days: readonly string[],
): Read[] | null {
  const rollups = source.reportRollups?.bind(source);
  if (rollups === undefined) return null;
  const period = TIME_DIMENSIONS.find((d) => groupBy.includes(d)) ?? null;
  const oneRowPerKey = groupBy.includes("TYPE") && (scope === "all" || groupBy.includes("GROUP"));
  const byMonth = daysByMonth(days);
  const monthRollups = source.reportMonthRollups?.bind(source);
  const whole =
    monthRollups !== undefined && (period === "MONTH" || period === null)
      ? [...byMonth]
          .filter(([month, inMonth]) => inMonth.length === daysOfMonth(month).length)
          .map(([month]) => month)
      : [];
  const reads: Read[] = [];
  if (whole.length > 0) {
    const users = period === "MONTH" && oneRowPerKey ? "count" : "join";
    reads.push(async () => ({ rollups: await monthRollups!(whole, scope, users), cells: [] }));
  }
  const users = period === "DAY" && oneRowPerKey ? "count" : "join";
  for (const [month, inMonth] of byMonth) {
    if (whole.includes(month)) continue;
    reads.push(async () => ({ rollups: await rollups(inMonth, scope, users), cells: [] }));
  }
  return reads;
}

/** Rollups hold neither categories nor users: reports that need either read the cells. */
function usesRollups(request: ReportRequest): boolean {
  return (
    !request.groupBy.includes("CATEGORY") &&
    request.filter.categories === null &&
    request.filter.userIds === null
  );
}

function isMidnight(date: Date): boolean {
  return Number.isFinite(date.getTime()) && date.getTime() % 86_400_000 === 0;
}

function cellFilter(filter: ReportFilter): (cell: ReportCell) => boolean {
  const set = (values: readonly string[] | null): Set<string> | null =>
    values === null ? null : new Set(values);
  const types = set(filter.types);
  const categories = set(filter.categories);
  const groups = set(filter.groups);
  const users = set(filter.userIds);
  return (cell) =>
    (types === null || types.has(cell.type)) &&
    (categories === null || (cell.category !== null && categories.has(cell.category))) &&
    (groups === null || (cell.group !== null && groups.has(cell.group))) &&
    (users === null || users.has(cell.userId));
}

function labeller(groupBy: readonly ReportDimension[]) {
  const by = new Set(groupBy);
  return (cell: ReportCell): Dimensions => ({
    period: by.has("DAY")
      ? cell.day
      : by.has("WEEK")
        ? isoWeekStartOf(new Date(`${cell.day}T00:00:00Z`))
        : by.has("MONTH")
          ? cell.day.slice(0, 7)
          : null,
    type: by.has("TYPE") ? cell.type : null,
    category: by.has("CATEGORY") ? cell.category : null,
    group: by.has("GROUP") ? cell.group : null,
  });
}

function compareRows(a: ReportRow, b: ReportRow): number {
  for (const field of ["period", "type", "category", "group"] as const) {
    const x = a[field] ?? "";
    const y = b[field] ?? "";
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}
