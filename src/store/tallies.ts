import { isScopeMetric } from "./aggregates.js";
import type { TypeTally, UserTally } from "./port.js";

/** One row of a user's type counts in one period, as either store keeps it. */
export interface TypeCountRow {
  readonly type: string;
  readonly events: number;
  readonly points: number;
}

/**
 * A user's totals from the rows of one period. Scope rows (metrics starting with "@", which the
 * Cassandra writer keeps beside the types for scoped boards) and empty rows are not event types,
 * so neither counts; the types are sorted by name (code-unit order, as UserTally says).
 */
export function tallyOf(userId: string, rows: Iterable<TypeCountRow>): UserTally {
  const byType: TypeTally[] = [];
  for (const row of rows) {
    if (row.events === 0 || isScopeMetric(row.type)) continue;
    byType.push({ type: row.type, count: row.events, points: row.points });
  }
  byType.sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
  let count = 0;
  let points = 0;
  for (const t of byType) {
    count += t.count;
    points += t.points;
  }
  return { userId, count, points, byType };
}
