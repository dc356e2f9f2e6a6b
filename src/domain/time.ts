/**
 * Time buckets. Every bucket is UTC: a day is `YYYY-MM-DD`, a week is named by its
 * ISO Monday (`YYYY-MM-DD`), a month is `YYYY-MM`. ALL_TIME has the single bucket `*`.
 *
 * Aggregates are kept per bucket at ingest time (never summed over days at read time),
 * so a window query is one lookup on either store.
 */

export const WINDOWS = ["DAY", "WEEK", "MONTH", "ALL_TIME"] as const;
export type Window = (typeof WINDOWS)[number];

/** One aggregation bucket: a window kind plus the bucket that contains the reference time. */
export interface Period {
  readonly window: Window;
  readonly bucket: string;
}

export const ALL_TIME_BUCKET = "*";
const DAY_MS = 86_400_000;

export function dayOf(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** The Monday (UTC) that starts the ISO week containing `at`. */
export function isoWeekStartOf(at: Date): string {
  const midnight = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate());
  const daysSinceMonday = (new Date(midnight).getUTCDay() + 6) % 7;
  return dayOf(new Date(midnight - daysSinceMonday * DAY_MS));
}

export function monthOf(at: Date): string {
  return at.toISOString().slice(0, 7);
}

export function periodOf(window: Window, at: Date): Period {
  switch (window) {
    case "DAY":
      return { window, bucket: dayOf(at) };
    case "WEEK":
      return { window, bucket: isoWeekStartOf(at) };
    case "MONTH":
      return { window, bucket: monthOf(at) };
    case "ALL_TIME":
      return { window, bucket: ALL_TIME_BUCKET };
  }
}

/** The four buckets an event at `at` counts towards, in WINDOWS order (DAY first). Runs per event. */
export function periodsContaining(at: Date): readonly Period[] {
  // Every event of a batch asks this, and most share a handful of days: the periods of a day are
  // computed once (three date formats each) and shared, frozen.
  const dayNumber = Math.floor(at.getTime() / DAY_MS);
  let periods = periodsByDay.get(dayNumber);
  if (periods === undefined) {
    const day = dayOf(at);
    periods = Object.freeze([
      { window: "DAY", bucket: day },
      { window: "WEEK", bucket: isoWeekStartOf(at) },
      { window: "MONTH", bucket: day.slice(0, 7) },
      { window: "ALL_TIME", bucket: ALL_TIME_BUCKET },
    ] as const satisfies readonly Period[]);
    if (periodsByDay.size >= PERIOD_CACHE_DAYS) periodsByDay.clear();
    periodsByDay.set(dayNumber, periods);
  }
  return periods;
}

const PERIOD_CACHE_DAYS = 4096;
const periodsByDay = new Map<number, readonly Period[]>();

/** Half-open time range [from, to) that a period covers; ALL_TIME has none. */
export function periodRange(period: Period): { from: Date; to: Date } | null {
  switch (period.window) {
    case "DAY": {
      const from = new Date(`${period.bucket}T00:00:00.000Z`);
      return { from, to: new Date(from.getTime() + DAY_MS) };
    }
    case "WEEK": {
      const from = new Date(`${period.bucket}T00:00:00.000Z`);
      return { from, to: new Date(from.getTime() + 7 * DAY_MS) };
    }
    case "MONTH": {
      const from = new Date(`${period.bucket}-01T00:00:00.000Z`);
      return { from, to: new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth() + 1, 1)) };
    }
    case "ALL_TIME":
      return null;
  }
}

/**
 * The UTC days that intersect [from, to), newest first. History queries fan out over
 * these day partitions. `to` is exclusive, so a range ending at midnight stops the day before.
 */
export function daysBetween(from: Date, to: Date): string[] {
  if (to.getTime() <= from.getTime()) return [];
  const days: string[] = [];
  const first = Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate());
  for (let t = first; t < to.getTime(); t += DAY_MS) days.push(dayOf(new Date(t)));
  return days.reverse();
}

/** The UTC days (YYYY-MM-DD) of a month (YYYY-MM), oldest first. */
export function daysOfMonth(month: string): string[] {
  const [year, number] = month.split("-").map(Number) as [number, number];
  // Day 0 of the next month is the last day of this one.
  const last = new Date(Date.UTC(year, number, 0)).getUTCDate();
  return Array.from({ length: last }, (_, i) => `${month}-${String(i + 1).padStart(2, "0")}`);
}

/** Days (YYYY-MM-DD) by their month (YYYY-MM), months and days oldest first. */
export function daysByMonth(days: readonly string[]): Map<string, string[]> {
  const byMonth = new Map<string, string[]>();
  for (const day of [...new Set(days)].sort()) {
    const month = day.slice(0, 7);
    const inMonth = byMonth.get(month);
    if (inMonth === undefined) byMonth.set(month, [day]);
    else inMonth.push(day);
  }
  return byMonth;
}
