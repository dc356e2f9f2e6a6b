import type { BoardKey } from "../../aggregates.js";
import type { RankPosition } from "../../../domain/cursor.js";
import type { Standing } from "../../port.js";
import { ReadCoalescer } from "../../read-coalescer.js";
import {
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
 * What board_values (cql/005, cql/006) says of one board: each shard's best users, and the users
 * per value of every shard merged. One partition read per shard, shared by the page, its ranks
 * and the board's size.
 */
export interface BoardSummary {
  /** Per shard: its best users, or null when not known (read board_shards). */
  readonly tops: readonly BoardTop[];
  /** Every shard's users per value, value descending. */
  readonly histogram: Histogram;
  /** The users with a value strictly greater than a given one. */
  readonly usersAbove: (value: number) => number;
  /** Users on the board. */
  readonly total: number;
}

/**
 * Reads leaderboards from the shards' rows. Every shard holds each of its users once, at the
 * user's value (its only writer moved it there), so the merge of the shards is the board and
 * nothing needs healing.
 *
 * A board's summary is read through a ReadCoalescer: every request for the global board's top, or
 * for a rank on it, needs the same 12 board_values cells, so concurrent requests share one read of
 * them (never one that began before they asked: read-your-writes holds).
 */
export class BoardReader {
  private readonly summaries = new ReadCoalescer<BoardSummary>();

  constructor(private readonly ctx: LogFedContext) {}

  /** The first `limit` rows after `after` of every shard, merged in board order. */
  async page(
    board: BoardKey,
    shards: number,
    after: RankPosition | null,
    limit: number,
  ): Promise<Standing[]> {
    if (limit <= 0 || shards === 0) return [];
    const summary = await this.summary(board, shards);
    const pages = await Promise.all(
      summary.tops.map((top, shard) => this.shardPage(board, shard, top, after, limit)),
    );
    const rows = pages.flat().sort(byBoardOrder).slice(0, limit);
    return rankPage(rows, after, counterOf(summary));
  }

  /**
   * The `limit` rows just above `before`, in board order: every shard's nearest rows above it,
   * read backwards, merged, and the last `limit` kept. Ranked as a page that may start inside a tie.
   */
  async pageBefore(
    board: BoardKey,
    shards: number,
    before: RankPosition,
    limit: number,
  ): Promise<Standing[]> {
    if (limit <= 0 || shards === 0) return [];
    const summary = await this.summary(board, shards);
    const pages = await Promise.all(
      summary.tops.map(async (top, shard) => {
        const fromTop = pageBeforeFromTop(top, before, limit);
        if (fromTop !== null) return fromTop;
        const key = [board.window, board.bucket, board.metric, shard];
        const sql = this.ctx.sql;
        const tie = await this.rows(sql.boardBeforeInTie, [...key, before.value, before.userId], limit);
        const above = await this.rows(sql.boardAbove, [...key, before.value], limit - tie.length);
        return [...tie, ...above];
      }),
    );
    const rows = pages.flat().sort(byBoardOrder).slice(-limit);
    return rankPage(rows, startingInside(rows[0]?.value), counterOf(summary));
  }

  /**
   * A rank is rankOf(the users above): the board's histogram holds the users per value, so a rank
   * costs the board's distinct values, not its users.
   */
  summary(board: BoardKey, shards: number): Promise<BoardSummary> {
    const key = `${board.window}\u0000${board.bucket}\u0000${board.metric}\u0000${shards}`;
    return this.summaries.read(key, () => this.readSummary(board, shards));
  }

  private async readSummary(board: BoardKey, shards: number): Promise<BoardSummary> {
    const cells = await Promise.all(
      Array.from({ length: shards }, async (_, shard) => {
        const result = await this.ctx.client.execute(
          this.ctx.sql.boardValuesOf,
          [board.window, board.bucket, board.metric, shard],
          { prepare: true, isIdempotent: true },
        );
        return result.first();
      }),
    );
    const merged = new Map<number, number>();
    const tops = cells.map((row): BoardTop => {
      // No row: a shard without users. A row without the top cell (written before cql/006): not known.
      if (row === null) return [];
      for (const { value, users } of decodeHistogram(row["histogram"] as Buffer | null)) {
        merged.set(value, (merged.get(value) ?? 0) + users);
      }
      const top = row["top"] as Buffer | null;
      return top === null || top.length === 0 ? null : decodeTop(top);
    });
    const histogram = [...merged]
      .map(([value, users]) => ({ value, users }))
      .sort((a, b) => b.value - a.value);
    return {
      tops,
      histogram,
      usersAbove: usersAboveOf(histogram),
      total: histogram.reduce((sum, bin) => sum + bin.users, 0),
    };
  }

  private async shardPage(
    board: BoardKey,
    shard: number,
    top: BoardTop,
    after: RankPosition | null,
    limit: number,
  ): Promise<RankedValue[]> {
    const fromTop = pageFromTop(top, after, limit);
    if (fromTop !== null) return fromTop;
    const key = [board.window, board.bucket, board.metric, shard];
    const sql = this.ctx.sql;
    if (after === null) return this.rows(sql.boardFromTop, key, limit);
    const tie = await this.rows(sql.boardAfterInTie, [...key, after.value, after.userId], limit);
    const below = await this.rows(sql.boardBelow, [...key, after.value], limit - tie.length);
    return [...tie, ...below];
  }

  /** At most `n` rows of one board_shards query, in the order the query reads them. */
  private async rows(query: string, params: unknown[], n: number): Promise<RankedValue[]> {
    if (n <= 0) return [];
    const result = await this.ctx.client.execute(query, params, {
      prepare: true,
      isIdempotent: true,
      fetchSize: n,
      autoPage: false,
    });
    return result.rows
      .slice(0, n)
      .map((row) => ({ userId: toText(row["user_id"]), value: toNumber(row["value"]) }));
  }
}

/** The counts rankPage asks for, from a summary already read. */
function counterOf(summary: BoardSummary): RankCounter {
  return {
    countAbove: (value) => Promise.resolve(summary.usersAbove(value)),
    countEqual: (value) => Promise.resolve(summary.histogram.find((bin) => bin.value === value)?.users ?? 0),
  };
}
