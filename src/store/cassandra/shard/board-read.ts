import type { RankPosition } from "../../../domain/cursor.js";
import type { Standing } from "../../port.js";
import { rankPage, type RankCounter, type RankedValue } from "../../ranking.js";
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

/** A rank is 1 + the users above, summed over the shards, each counted by the server. */
export function boardCounter(ctx: LogFedContext, board: BoardRef, shards: number): RankCounter {
  const count = async (query: string, value: number): Promise<number> => {
    const counts = await Promise.all(
      range(shards).map(async (shard) => {
        const result = await ctx.client.execute(
          query,
          [board.window, board.bucket, board.metric, shard, value],
          {
            prepare: true,
            isIdempotent: true,
          },
        );
        return toNumber(result.first()?.["n"]);
      }),
    );
    return counts.reduce((sum, n) => sum + n, 0);
  };
  return {
    countAbove: (value) => count(ctx.sql.boardCountAbove, value),
    countEqual: (value) => count(ctx.sql.boardCountEqual, value),
  };
}

async function shardPage(
  ctx: LogFedContext,
  board: BoardRef,
  shard: number,
  after: RankPosition | null,
  limit: number,
): Promise<RankedValue[]> {
  const key = [board.window, board.bucket, board.metric, shard];
  const read = async (query: string, params: unknown[], n: number): Promise<RankedValue[]> => {
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
  };
  if (after === null) return read(ctx.sql.boardFromTop, key, limit);
  const tie = await read(ctx.sql.boardAfterInTie, [...key, after.value, after.userId], limit);
  const below = await read(ctx.sql.boardBelow, [...key, after.value], limit - tie.length);
  return [...tie, ...below];
}

function byBoardOrder(a: RankedValue, b: RankedValue): number {
  if (a.value !== b.value) return b.value - a.value;
  // Cassandra orders text by its UTF-8 bytes; so must the merge of its pages.
  return Buffer.compare(Buffer.from(a.userId, "utf8"), Buffer.from(b.userId, "utf8"));
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
