import { fnv1aOf } from "./cell-buckets.js";

/**
 * Buckets of a day's rollups of one scope and shard in report_rollup_buckets (cql/011 says why 16
 * and 256). Stored rows are placed by them: changing either strands them, so they may only change
 * with a new layout and a rebuild.
 */
export const DAY_ROLLUP_BUCKETS = 16;
/** Buckets of a month's rollup rows of one scope and shard: a month's sets grow all month. */
export const MONTH_ROLLUP_BUCKETS = 256;

/** Whether a rollup period is a whole month (YYYY-MM) rather than a day (YYYY-MM-DD). */
export function isMonthPeriod(period: string): boolean {
  return period.length === 7;
}

/** The bucket count of a period's partitions: a day's or a month's. */
export function rollupBucketsOf(period: string): number {
  return isMonthPeriod(period) ? MONTH_ROLLUP_BUCKETS : DAY_ROLLUP_BUCKETS;
}

/** Every bucket of a day's (or a month's) partitions, for readers. */
export function allRollupBuckets(period: string): number[] {
  return Array.from({ length: rollupBucketsOf(period) }, (_, bucket) => bucket);
}

/**
 * The bucket of a user in a rollup row (day or month, type, group): FNV-1a of (user, type, group)
 * mod the period's bucket count. Each user of a row is in exactly one bucket of it, so the
 * buckets' sets are disjoint and their sizes (users_count) add up to the row's distinct users. The
 * type and group are hashed with the user, not the user alone: the busiest user is one element in
 * each of thousands of rows, and a bucket of the user's id would keep all of them in one partition.
 * A function of the row's key and the user only, so every writer (first, replay, zombie) agrees.
 */
export function rollupBucketOf(key: {
  readonly day: string;
  readonly userId: string;
  readonly type: string;
  readonly group: string;
}): number {
  return fnv1aOf([key.userId, key.type, key.group]) % rollupBucketsOf(key.day);
}
