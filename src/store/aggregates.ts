import { periodsContaining, type Period, type Window } from "../domain/time.js";
import type { StoredEvent } from "./port.js";
import { reportCellId, reportCellKeys, type ReportCellKey } from "./report-cells.js";

/** The leaderboard metric that ranks by points; any other metric is an event type or a scope. */
export const POINTS_METRIC = "*";

/**
 * A board limited to one group (for GitHub, the org) or one category (the repo owner), ranked by
 * the points of the events in it. Its metric starts with "@", which no event type can (types
 * start with a letter), so scoped boards live beside the global ones in the same tables.
 */
export interface BoardScope {
  readonly kind: "group" | "category";
  readonly name: string;
}

export function scopeMetric(scope: BoardScope): string {
  return `@${scope.kind === "group" ? "g" : "c"}/${scope.name}`;
}

export function isScopeMetric(metric: string): boolean {
  return metric.startsWith("@");
}

/** The metric of a board: points (type and scope null), the count of a type, or a scope's points. */
export function metricOf(type: string | null, scope: BoardScope | null): string {
  if (scope !== null) {
    if (type !== null) throw new Error("a scoped board ranks by points: give a type or a scope, not both");
    return scopeMetric(scope);
  }
  return type ?? POINTS_METRIC;
}

/** The key of one board: the window and bucket of its period, and its metric. */
export interface BoardKey {
  readonly window: string;
  readonly bucket: string;
  readonly metric: string;
}

export function boardKeyOf(period: Period, type: string | null, scope: BoardScope | null): BoardKey {
  return { window: period.window, bucket: period.bucket, metric: metricOf(type, scope) };
}

/** The scoped boards a ranked event counts in: each of its groups, and its category. */
export function scopeMetricsOf(event: {
  readonly groups: readonly string[];
  readonly category: string | null;
}): string[] {
  const metrics = event.groups.map((name) => scopeMetric({ kind: "group", name }));
  if (event.category !== null) metrics.push(scopeMetric({ kind: "category", name: event.category }));
  return metrics;
}

export interface TypeCountDelta {
  readonly userId: string;
  readonly window: Window;
  readonly bucket: string;
  readonly type: string;
  events: number;
  points: number;
}

export interface LeaderboardDelta {
  readonly window: Window;
  readonly bucket: string;
  readonly metric: string;
  readonly userId: string;
  value: number;
}

export interface ReportCellDelta extends ReportCellKey {
  events: number;
  points: number;
}

export interface AggregateDeltas {
  readonly typeCounts: TypeCountDelta[];
  readonly leaderboard: LeaderboardDelta[];
  readonly reportCells: ReportCellDelta[];
}

/**
 * Folds newly inserted events into the increments every aggregate needs, one per key, so that
 * a batch of many events by few users costs few writes. Both adapters apply these deltas.
 */
export function aggregateDeltas(events: readonly StoredEvent[]): AggregateDeltas {
  const typeCounts = new Map<string, TypeCountDelta>();
  const leaderboard = new Map<string, LeaderboardDelta>();
  const reportCells = new Map<string, ReportCellDelta>();
  const bump = (window: Window, bucket: string, metric: string, userId: string, value: number): void => {
    const key = `${window}\u0000${bucket}\u0000${metric}\u0000${userId}`;
    const existing = leaderboard.get(key);
    if (existing) existing.value += value;
    else leaderboard.set(key, { window, bucket, metric, userId, value });
  };
  for (const event of events) {
    for (const key of reportCellKeys(event)) {
      countIn(reportCells, reportCellId(key), () => ({ ...key, events: 0, points: 0 }), event.points);
    }
    for (const { window, bucket } of periodsContaining(event.occurredAt)) {
      const { userId, type } = event;
      const id = `${userId}\u0000${window}\u0000${bucket}\u0000${type}`;
      countIn(typeCounts, id, () => ({ userId, window, bucket, type, events: 0, points: 0 }), event.points);
      if (event.ranked) {
        bump(window, bucket, POINTS_METRIC, event.userId, event.points);
        bump(window, bucket, event.type, event.userId, 1);
        for (const metric of scopeMetricsOf(event)) bump(window, bucket, metric, event.userId, event.points);
      }
    }
  }
  return {
    typeCounts: [...typeCounts.values()],
    leaderboard: [...leaderboard.values()],
    reportCells: [...reportCells.values()],
  };
}

/** Counts one event of `points` in the delta `id`, made by `fresh` (at zero) when it is the first. */
function countIn<D extends { events: number; points: number }>(
  deltas: Map<string, D>,
  id: string,
  fresh: () => D,
  points: number,
): void {
  let delta = deltas.get(id);
  if (delta === undefined) deltas.set(id, (delta = fresh()));
  delta.events += 1;
  delta.points += points;
}
