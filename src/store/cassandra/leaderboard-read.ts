import type { RankPosition } from "../../domain/cursor.js";
import type { Period } from "../../domain/time.js";
import { POINTS_METRIC } from "../aggregates.js";
import type { LeaderboardQuery, Standing } from "../port.js";
import { rankPage, type RankCounter, type RankedValue } from "../ranking.js";
import { toNumber, toText, type StoreContext } from "./context.js";
import { boardParams, counterValues, moveStatements } from "./leaderboard-write.js";

/** Extra rows read per page beyond the limit, to absorb stale rows without another round trip. */
const SLACK = 8;
/** Whole-page retries after healing rows that moved into the page being read. */
const MAX_RESTARTS = 3;

export async function readLeaderboard(ctx: StoreContext, query: LeaderboardQuery): Promise<Standing[]> {
  if (query.limit <= 0) return [];
  const key = boardParams(await ctx.generations.active(), boardKey(query.period, query.type));
  let rows: RankedValue[] = [];
  for (let attempt = 0; attempt <= MAX_RESTARTS; attempt++) {
    const page = await validPage(ctx, key, query.after, query.limit);
    rows = page.rows;
    if (!page.healedIntoPage) break;
  }
  return rankPage(rows, query.after, rankCounter(ctx, key));
}

export async function readStanding(
  ctx: StoreContext,
  userId: string,
  period: Period,
  type: string | null,
): Promise<Standing | null> {
  const key = boardParams(await ctx.generations.active(), boardKey(period, type));
  const values = await counterValues(ctx, key, [userId]);
  const value = values.get(userId);
  if (value === undefined) return null;
  const above = await rankCounter(ctx, key).countAbove(value);
  return { userId, value, rank: above + 1 };
}

function boardKey(period: Period, type: string | null): { window: string; bucket: string; metric: string } {
  return { window: period.window, bucket: period.bucket, metric: type ?? POINTS_METRIC };
}

/**
 * Reads sorted rows after `after` until `limit` of them agree with the counters. A row that
 * disagrees is stale (its user moved on, or a writer stopped before updating it): it is moved to
 * the counter's value. Values only grow, so the moved row lands above; if that is inside the
 * page being read, the caller reads the page again.
 */
async function validPage(
  ctx: StoreContext,
  key: readonly unknown[],
  after: RankPosition | null,
  limit: number,
): Promise<{ rows: RankedValue[]; healedIntoPage: boolean }> {
  const valid: RankedValue[] = [];
  let position = after;
  let healedIntoPage = false;
  for (;;) {
    const want = limit - valid.length + SLACK;
    const candidates = await sortedAfter(ctx, key, position, want);
    if (candidates.length === 0) break;
    const values = await counterValues(
      ctx,
      key,
      candidates.map((c) => c.userId),
    );
    for (const candidate of candidates) {
      const truth = values.get(candidate.userId) ?? null;
      if (truth === candidate.value) {
        if (valid.length < limit) valid.push(candidate);
        continue;
      }
      const heal = moveStatements(ctx, key, candidate.userId, candidate.value, truth);
      await ctx.client.batch(heal, { prepare: true, logged: false, isIdempotent: true });
      if (
        truth !== null &&
        (after === null || isBefore({ value: truth, userId: candidate.userId }, after) === false)
      ) {
        healedIntoPage = true;
      }
    }
    const last = candidates[candidates.length - 1] as RankedValue;
    position = { value: last.value, userId: last.userId };
    if (valid.length >= limit || candidates.length < want) break;
  }
  return { rows: valid, healedIntoPage };
}

/** True when `a` comes before `b` in leaderboard order (value desc, user id asc), or equals it. */
function isBefore(a: RankPosition, b: RankPosition): boolean {
  return a.value > b.value || (a.value === b.value && a.userId <= b.userId);
}

/** Up to `count` sorted rows strictly after a position: the rest of its tie, then lower values. */
async function sortedAfter(
  ctx: StoreContext,
  key: readonly unknown[],
  after: RankPosition | null,
  count: number,
): Promise<RankedValue[]> {
  const page = async (query: string, params: unknown[], n: number): Promise<RankedValue[]> => {
    if (n <= 0) return [];
    const result = await ctx.client.execute(query, params, { prepare: true, fetchSize: n, autoPage: false });
    return result.rows
      .slice(0, n)
      .map((row) => ({ userId: toText(row["user_id"]), value: toNumber(row["value"]) }));
  };
  if (after === null) return page(ctx.cql.sortedFromTop, [...key], count);
  const tie = await page(ctx.cql.sortedAfterInTie, [...key, after.value, after.userId], count);
  const below = await page(ctx.cql.sortedBelow, [...key, after.value], count - tie.length);
  return [...tie, ...below];
}

/**
 * Exact counts for ranks. Above a value: the distinct users with a row above it. A stale row
 * is always below its user's true value, so a user with a stale row above `value` is above it
 * anyway and is counted once. Equal to a value: rows at it whose counter agrees.
 * Both read O(rank) rows, like an index range count would.
 */
function rankCounter(ctx: StoreContext, key: readonly unknown[]): RankCounter {
  const usersWhere = async (query: string, value: number): Promise<string[]> => {
    const users: string[] = [];
    const result = await ctx.client.execute(query, [...key, value], {
      prepare: true,
      isIdempotent: true,
      fetchSize: 5000,
    });
    for await (const row of result) users.push(toText(row["user_id"]));
    return users;
  };
  return {
    countAbove: async (value) => new Set(await usersWhere(ctx.cql.sortedAbove, value)).size,
    countEqual: async (value) => {
      const users = await usersWhere(ctx.cql.sortedEqual, value);
      const truth = await counterValues(ctx, key, users);
      return users.filter((user) => truth.get(user) === value).length;
    },
  };
}
