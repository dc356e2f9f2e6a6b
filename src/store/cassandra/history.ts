import type { types as DriverTypes } from "cassandra-driver";
import { dayOf } from "../../domain/time.js";
import { compareUtf8 } from "../../domain/utf8-order.js";
import type { HistoryQuery, StoredEvent } from "../port.js";
import { toNumber, toText, toTextOrNull } from "./context.js";
import type { Client } from "./options.js";

/** History needs only the client and its two statements. */
export interface HistoryContext {
  readonly client: Client;
  readonly cql: {
    readonly historyDays: string;
    readonly historyPage: string;
    readonly historyQuarterPage: string;
  };
}

/** A day with events: its events_by_user_day partition, and the quarters a heavy day spilled into. */
interface DayPartitions {
  readonly day: string;
  /** Quarters of an hour (cql/008) holding the day's events past its threshold, newest first. */
  readonly quarters: readonly number[];
}

const QUARTER_MS = 900_000;

type Row = DriverTypes.Row;

/** Day partitions read at once. Small: most pages are filled by the newest day or two. */
const DAYS_AT_ONCE = 4;
/** Rows fetched per page when a type filter may discard rows. */
const FILTERED_FETCH = 500;

/**
 * A user's events in [from, to), newest first, resuming strictly after `after`.
 *
 * `days_by_user` lists the days that hold events, so a range of years costs one read plus the
 * partitions that have data, not one read per empty day. Those day partitions are read newest
 * first, DAYS_AT_ONCE at a time, each for at most the rows still missing; the walk stops as soon
 * as the page is full. Every partition query carries the same tuple bounds: from the range start
 * up to the cursor (or the range end), which also makes the cursor work across partitions.
 * The type filter is applied in memory: rows are narrow and ALLOW FILTERING would scan anyway.
 */
export async function readHistory(ctx: HistoryContext, query: HistoryQuery): Promise<StoredEvent[]> {
  if (query.limit <= 0 || (query.types !== null && query.types.length === 0)) return [];
  const lower: [Date, string] = [query.from, ""];
  const upper: [Date, string] =
    query.after !== null && query.after.occurredAtMs < query.to.getTime()
      ? [new Date(query.after.occurredAtMs), query.after.eventId]
      : [query.to, ""];
  // The newest millisecond that can still qualify: with an empty id the bound is exclusive.
  const newestMs = upper[1] === "" ? upper[0].getTime() - 1 : upper[0].getTime();
  if (newestMs < query.from.getTime()) return [];
  const days = await daysWithEvents(ctx, query.userId, dayOf(query.from), dayOf(new Date(newestMs)));
  const types = query.types === null ? null : new Set(query.types);
  const events: StoredEvent[] = [];
  for (let i = 0; i < days.length && events.length < query.limit; i += DAYS_AT_ONCE) {
    const missing = query.limit - events.length;
    const group = days.slice(i, i + DAYS_AT_ONCE);
    const pages = await Promise.all(
      group.map((day) =>
        day.quarters.length === 0
          ? readDay(ctx, ctx.cql.historyPage, [query.userId, day.day, ...lower, ...upper], types, missing)
          : readHeavyDay(ctx, query.userId, day, lower, upper, types, missing),
      ),
    );
    for (const page of pages) events.push(...page);
  }
  return events.slice(0, query.limit);
}

async function daysWithEvents(
  ctx: HistoryContext,
  userId: string,
  fromDay: string,
  toDay: string,
): Promise<DayPartitions[]> {
  const days: DayPartitions[] = [];
  const result = await ctx.client.execute(ctx.cql.historyDays, [userId, fromDay, toDay], {
    prepare: true,
    isIdempotent: true,
    fetchSize: 5000,
  });
  // Iterating a ResultSet asynchronously fetches the following pages as needed.
  for await (const row of result) {
    const quarters = ((row["quarters"] as number[] | null) ?? []).map(Number).sort((a, b) => b - a);
    days.push({ day: toText(row["day"]), quarters });
  }
  return days;
}

/**
 * Up to `wanted` rows of a day that spilled into quarters: its events_by_user_day partition holds
 * its first events, of any time of the day, and each quarter the later ones of that quarter of an
 * hour. Quarters are read newest first until they give `wanted` rows (older quarters cannot beat
 * those), then merged with the day partition's newest `wanted` rows.
 */
async function readHeavyDay(
  ctx: HistoryContext,
  userId: string,
  day: DayPartitions,
  lower: [Date, string],
  upper: [Date, string],
  types: ReadonlySet<string> | null,
  wanted: number,
): Promise<StoredEvent[]> {
  const dayStart = Date.parse(`${day.day}T00:00:00Z`);
  const inRange = day.quarters.filter((quarter) => {
    const start = dayStart + quarter * QUARTER_MS;
    return start < upper[0].getTime() + 1 && start + QUARTER_MS > lower[0].getTime();
  });
  const first = readDay(ctx, ctx.cql.historyPage, [userId, day.day, ...lower, ...upper], types, wanted);
  const spilled: StoredEvent[] = [];
  for (const quarter of inRange) {
    const params = [userId, day.day, quarter, ...lower, ...upper];
    spilled.push(...(await readDay(ctx, ctx.cql.historyQuarterPage, params, types, wanted)));
    if (spilled.length >= wanted) break;
  }
  return [...(await first), ...spilled].sort(newestFirst).slice(0, wanted);
}

/** History order: occurredAt descending, then id descending by UTF-8 bytes, as Cassandra sorts. */
function newestFirst(a: StoredEvent, b: StoredEvent): number {
  const byTime = b.occurredAt.getTime() - a.occurredAt.getTime();
  return byTime !== 0 ? byTime : compareUtf8(b.id, a.id);
}

/** Up to `wanted` matching rows of one partition, paging only when the type filter skips rows. */
async function readDay(
  ctx: HistoryContext,
  query: string,
  params: unknown[],
  types: ReadonlySet<string> | null,
  wanted: number,
): Promise<StoredEvent[]> {
  const found: StoredEvent[] = [];
  let pageState: string | undefined;
  do {
    const fetchSize = types === null ? wanted : Math.max(wanted, FILTERED_FETCH);
    const result = await ctx.client.execute(query, params, {
      prepare: true,
      fetchSize,
      autoPage: false,
      ...(pageState !== undefined ? { pageState } : {}),
    });
    for (const row of result.rows) {
      if (types !== null && !types.has(toText(row["type"]))) continue;
      found.push(toStoredEvent(row));
      if (found.length >= wanted) return found;
    }
    pageState = result.pageState ?? undefined;
  } while (pageState !== undefined);
  return found;
}

export function toStoredEvent(row: Row): StoredEvent {
  // group_names (a frozen list) since cql/004; rows written before it kept groups.
  const groups: unknown = row["group_names"] ?? row["groups"];
  return {
    id: toText(row["event_id"]),
    userId: toText(row["user_id"]),
    type: toText(row["type"]),
    occurredAt: row["occurred_at"] as Date,
    repo: toTextOrNull(row["repo"]),
    category: toTextOrNull(row["category"]),
    groups: Array.isArray(groups) ? groups.map(toText) : [],
    payload: toTextOrNull(row["payload"]),
    points: toNumber(row["points"]),
    ranked: row["ranked"] === true,
    fingerprint: toText(row["fingerprint"]),
  };
}
