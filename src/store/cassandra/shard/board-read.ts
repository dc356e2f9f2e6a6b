import type { BoardKey } from "../../aggregates.js";
import type { RankPosition } from "../../../domain/cursor.js";
import type { Standing } from "../../port.js";
import {
  rankerOf,
  rankPage,
  startingInside,
  usersAboveOf,
  type Histogram,
  type RankCounter,
  type RankedValue,
} from "../../ranking.js";
import { toNumber, toText } from "../context.js";
import { decodeHistogram } from "./board-values.js";
import { byBoardOrder, decodeTop, pageBeforeFromTop, pageFromTop, type BoardTop } from "./board-top.js";
import type { LogFedContext } from "./context.js";

/**
 * One page of a leaderboard: the first `limit` rows after `after` of every shard, merged in board
 * order (value descending, user id ascending). Every shard holds each of its users once, at the
 * user's value (its only writer moved it there), so the merge is the board and nothing needs healing.
 */
export async function readBoardPage(
  ctx: LogFedContext,
  board: BoardKey,
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
  board: BoardKey,
  shards: number,
  before: RankPosition,
  limit: number,
): Promise<Standing[]> {
  if (limit <= 0 || shards === 0) return [];
  const pages = await Promise.all(
    range(shards).map(async (shard) => {
      const fromTop = pageBeforeFromTop(await readTop(ctx, board, shard), before, limit);
      if (fromTop !== null) return fromTop;
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
 * A rank is 1 + the users above: the board's histogram (every shard's board_values, cql/005,
 * merged) holds the users per value, so the server reads the board's distinct values, not its
 * users. Read once, when a count is first asked, and shared by every count of the call: one
 * partition read per shard costs about what one server-side SUM per shard does, and a page
 * or a set of standings asks for several counts.
 */
export function boardCounter(ctx: LogFedContext, board: BoardKey, shards: number): RankCounter & BoardTotals {
  let histogram: Promise<Histogram> | null = null;
  const read = () => (histogram ??= boardHistogram(ctx, board, shards));
  return {
    countAbove: async (value) => usersAboveOf(await read())(value),
    countEqual: async (value) => (await read()).find((bin) => bin.value === value)?.users ?? 0,
    total: async () => (await read()).reduce((sum, bin) => sum + bin.users, 0),
    ranker: async () => rankerOf(await read()),
  };
}

/** What a histogram tells beyond single counts: the board's size, and a rank for any value. */
export interface BoardTotals {
  total(): Promise<number>;
  ranker(): Promise<(value: number) => number>;
}

/** The board's users per value, every shard merged, value descending. */
export async function boardHistogram(
  ctx: LogFedContext,
  board: BoardKey,
  shards: number,
): Promise<Histogram> {
  const merged = new Map<number, number>();
  await Promise.all(
    range(shards).map(async (shard) => {
      const result = await ctx.client.execute(
        ctx.sql.boardValuesOf,
        [board.window, board.bucket, board.metric, shard],
        { prepare: true, isIdempotent: true },
      );
      for (const { value, users } of decodeHistogram(result.first()?.["histogram"] as Buffer | null)) {
        merged.set(value, (merged.get(value) ?? 0) + users);
      }
    }),
  );
  return [...merged].map(([value, users]) => ({ value, users })).sort((a, b) => b.value - a.value);
}

async function shardPage(
  ctx: LogFedContext,
  board: BoardKey,
  shard: number,
  after: RankPosition | null,
  limit: number,
): Promise<RankedValue[]> {
  const fromTop = pageFromTop(await readTop(ctx, board, shard), after, limit);
  if (fromTop !== null) return fromTop;
  const key = [board.window, board.bucket, board.metric, shard];
  const read = (query: string, params: unknown[], n: number): Promise<RankedValue[]> =>
    readRows(ctx, query, params, n);
  if (after === null) return read(ctx.sql.boardFromTop, key, limit);
  const tie = await read(ctx.sql.boardAfterInTie, [...key, after.value, after.userId], limit);
  const below = await read(ctx.sql.boardBelow, [...key, after.value], limit - tie.length);
  return [...tie, ...below];
}

/**
 * A board shard's best users (board_values.top, cql/006): one cell, no tombstones. No row means a
 * shard without users; a row without the cell (written before cql/006) is not known.
 */
async function readTop(ctx: LogFedContext, board: BoardKey, shard: number): Promise<BoardTop> {
  const result = await ctx.client.execute(
    ctx.sql.boardTopOf,
    [board.window, board.bucket, board.metric, shard],
    {
      prepare: true,
      isIdempotent: true,
    },
  );
  const row = result.first();
  if (row === null) return [];
  const cell = row["top"] as Buffer | null;
  return cell === null || cell.length === 0 ? null : decodeTop(cell);
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

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
