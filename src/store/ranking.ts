import type { RankPosition } from "../domain/cursor.js";
import type { Standing } from "./port.js";

export interface RankedValue {
  readonly userId: string;
  readonly value: number;
}

export interface RankCounter {
  /** Users in the leaderboard with a value strictly greater than `value`. */
  countAbove(value: number): Promise<number>;
  /** Users in the leaderboard with exactly `value`. */
  countEqual(value: number): Promise<number>;
}

/**
 * Competition rank (port.ts, Standing): 1 + the number of users with a strictly greater value.
 * The one place that says so; every store and reader ranks through it.
 */
export function rankOf(usersAbove: number): number {
  return 1 + usersAbove;
}

/** Users' places on one board, in their order: null for a user not on it (no value). */
export function placesOf(
  userIds: readonly string[],
  values: readonly (number | null)[],
  rank: (value: number) => number,
): (Standing | null)[] {
  return userIds.map((userId, i) => {
    const value = values[i] ?? null;
    return value === null ? null : { userId, value, rank: rank(value) };
  });
}

/**
 * Gives competition ranks (1, 2, 2, 4) to one page of a leaderboard that is already in order.
 *
 * One count query fixes the rank of the first row (none for the first page: its first row is the
 * top); later ranks follow from the page itself.
 * Only when the page resumes inside a group of tied users (the cursor's value equals the first
 * row's) is the size of that group asked for, since part of it lies on earlier pages.
 */
export async function rankPage(
  rows: readonly RankedValue[],
  after: RankPosition | null,
  counter: RankCounter,
): Promise<Standing[]> {
  const first = rows[0];
  if (first === undefined) return [];
  const standings: Standing[] = [];
  let groupValue = first.value;
  // A page from the top starts at the board's highest value: nobody is above it.
  let groupRank = rankOf(after === null ? 0 : await counter.countAbove(first.value));
  let groupSize = 0;
  let groupStartedEarlier = after !== null && after.value === first.value;
  for (const row of rows) {
    if (row.value !== groupValue) {
      const size = groupStartedEarlier ? await counter.countEqual(groupValue) : groupSize;
      groupRank += size;
      groupValue = row.value;
      groupSize = 0;
      groupStartedEarlier = false;
    }
    groupSize += 1;
    standings.push({ userId: row.userId, value: row.value, rank: groupRank });
  }
  return standings;
}

/** A board's users per value, value descending. */
export type Histogram = readonly { readonly value: number; readonly users: number }[];

/**
 * The users with a value strictly greater than a given one, from a board's histogram: a running
 * sum over the bins, found by binary search.
 */
export function usersAboveOf(histogram: Histogram): (value: number) => number {
  const values = histogram.map((bin) => bin.value);
  // above[i]: users with a value strictly greater than values[i].
  const above: number[] = [];
  let running = 0;
  for (const bin of histogram) {
    above.push(running);
    running += bin.users;
  }
  return (value) => {
    // The first bin whose value is at most `value` (values descend).
    let lo = 0;
    let hi = values.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (values[mid]! > value) lo = mid + 1;
      else hi = mid;
    }
    return lo < values.length ? above[lo]! : running;
  };
}

/**
 * The `after` to give rankPage() for rows that may start inside a group of tied users whose
 * start is not known (a page read backwards from a user): it makes rankPage() ask the size of the
 * first group instead of counting it on the page.
 */
export function startingInside(firstValue: number | undefined): RankPosition | null {
  return firstValue === undefined ? null : { value: firstValue, userId: "" };
}
