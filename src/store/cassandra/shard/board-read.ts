import type { RankPosition } from "../../../domain/cursor.js";
import type { Standing } from "../../port.js";
import { rankPage, startingInside, type RankCounter, type RankedValue } from "../../ranking.js";
import { toNumber, toText } from "../context.js";
import type { LogFedContext } from "./context.js";

export interface BoardRef {
  readonly window: string;
  readonly bucket: string;
  readonly metric: string;
}

/**
 * One page of a leaderboard: the first `limit` rows after `after` of every shard, merged in board
 * order (value descending, user id ascending). Every shard holds each of its users once, at the
 * user's value (its only writer moved it there), so the merge is the board and nothing needs healing.
 */
export async function readBoardPage(
  ctx: LogFedContext,
  board: BoardRef,
  shards: number,
  after: RankPosition | null,
  limit: number,
): Promise<Standing[]> {
  if (limit <= 0 || shards === 0) return [];
  const pages = await Promise.all(range(shards).map((shard) => shardPage(ctx, board, shard, after, limit)));
  const rows = pages.flat().sort(byBoardOrder).slice(0, limit);
  return rankPage(rows, after, boardCounter(ctx, board, shards));
}

/**
 * The `limit` rows just above `before`, in board order: every shard's nearest rows above it, read
 * backwards, merged, and the last `limit` kept. Ranked as a page that may start inside a tie.
 */
export async function readBoardPageBefore(
  ctx: LogFedContext,
  board: BoardRef,
  shards: number,
  before: RankPosition,
  limit: number,
): Promise<Standing[]> {
  if (limit <= 0 || shards === 0) return [];
  const pages = await Promise.all(
    range(shards).map(async (shard) => {
      const key = [board.window, board.bucket, board.metric, shard];
      const tie = await readRows(ctx, ctx.sql.boardBeforeInTie, [...key, before.value, before.userId], limit);
      const above = await readRows(ctx, ctx.sql.boardAbove, [...key, before.value], limit - tie.length);
      return [...tie, ...above];
    }),
  );
  const rows = pages.flat().sort(byBoardOrder).slice(-limit);
  return rankPage(rows, startingInside(rows[0]?.value), boardCounter(ctx, board, shards));
}

/**
 * A rank is 1 + the users above, summed over the shards: each shard's board_values (cql/005)
 * sums its users per value above, so the server reads the shard's distinct values above, not
 * its users.
 */
export function boardCounter(ctx: LogFedContext, board: BoardRef, shards: number): RankCounter {
  return {
    countAbove: (value) => sumOverShards(ctx, ctx.sql.boardUsersAbove, board, shards, [value]),
    countEqual: (value) => sumOverShards(ctx, ctx.sql.boardUsersAt, board, shards, [value]),
  };
}

/** Users on the board: every shard's sum of users per value. */
export function boardSize(ctx: LogFedContext, board: BoardRef, shards: number): Promise<number> {
  return sumOverShards(ctx, ctx.sql.boardUsers, board, shards, []);
}

/** The board's users per value, every shard merged, value descending. */
export async function boardHistogram(
  ctx: LogFedContext,
  board: BoardRef,
  shards: number,
): Promise<{ value: number; users: number }[]> {
  const merged = new Map<number, number>();
  await Promise.all(
    range(shards).map(async (shard) => {
      const result = await ctx.client.execute(
        ctx.sql.boardValuesOf,
        [board.window, board.bucket, board.metric, shard],
        { prepare: true, isIdempotent: true, fetchSize: 5000 },
      );
      for await (const row of result) {
        if (row["value"] === null) continue;
        const value = toNumber(row["value"]);
        merged.set(value, (merged.get(value) ?? 0) + toNumber(row["users"]));
      }
    }),
  );
  return [...merged].map(([value, users]) => ({ value, users })).sort((a, b) => b.value - a.value);
}

async function sumOverShards(
  ctx: LogFedContext,
  query: string,
  board: BoardRef,
  shards: number,
  extra: readonly number[],
): Promise<number> {
  const counts = await Promise.all(
    range(shards).map(async (shard) => {
      const result = await ctx.client.execute(
        query,
        [board.window, board.bucket, board.metric, shard, ...extra],
        { prepare: true, isIdempotent: true },
      );
      const n = result.first()?.["n"];
      return n === null || n === undefined ? 0 : toNumber(n);
    }),
  );
  return counts.reduce((sum, n) => sum + n, 0);
}

async function shardPage(
  ctx: LogFedContext,
  board: BoardRef,
  shard: number,
  after: RankPosition | null,
  limit: number,
): Promise<RankedValue[]> {
  const key = [board.window, board.bucket, board.metric, shard];
  const read = (query: string, params: unknown[], n: number): Promise<RankedValue[]> =>
    readRows(ctx, query, params, n);
  if (after === null) return read(ctx.sql.boardFromTop, key, limit);
  const tie = await read(ctx.sql.boardAfterInTie, [...key, after.value, after.userId], limit);
  const below = await read(ctx.sql.boardBelow, [...key, after.value], limit - tie.length);
  return [...tie, ...below];
}

/** At most `n` rows of one board query, in the order the query reads them. */
async function readRows(
  ctx: LogFedContext,
  query: string,
  params: unknown[],
  n: number,
): Promise<RankedValue[]> {
  if (n <= 0) return [];
  const result = await ctx.client.execute(query, params, {
    prepare: true,
    isIdempotent: true,
    fetchSize: n,
    autoPage: false,
  });
  return result.rows
    .slice(0, n)
    .map((row) => ({ userId: toText(row["user_id"]), value: toNumber(row["value"]) }));
}

function byBoardOrder(a: RankedValue, b: RankedValue): number {
  if (a.value !== b.value) return b.value - a.value;
  // Cassandra orders text by its UTF-8 bytes; so must the merge of its pages.
  return Buffer.compare(Buffer.from(a.userId, "utf8"), Buffer.from(b.userId, "utf8"));
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
