import { describe, expect, it } from "vitest";
import type { RankedValue } from "../../src/store/ranking.js";
import {
  BOARD_TOP_SIZE,
  byBoardOrder,
  decodeTop,
  encodeTop,
  moveInTop,
  pageBeforeFromTop,
  pageFromTop,
  type BoardTop,
} from "../../src/store/cassandra/shard/board-top.js";
import { planBoardValues, NO_BOARD_VALUES } from "../../src/store/cassandra/shard/board-values.js";
import { random } from "../support/fuzz.js";

/** The whole shard in board order: what board_shards holds. */
function boardOf(values: ReadonlyMap<string, number>): RankedValue[] {
  return [...values].map(([userId, value]) => ({ userId, value })).sort(byBoardOrder);
}

describe("a board shard's top (cql/006)", () => {
  it("stays the best users of the shard through any rising moves, as board_values folds them", () => {
    const next = random(11);
    const values = new Map<string, number>();
    let state = NO_BOARD_VALUES;
    let fence = 0;
    const key = { window: "ALL_TIME" as const, bucket: "all", metric: "*" };
    for (let batch = 0; batch < 60; batch++) {
      const steps = Array.from({ length: 1 + Math.floor(next() * 40) }, () => {
        // Few users at first (a top smaller than its size), many later; ties are common.
        const userId = `u${Math.floor(next() * Math.min(40 + batch * 10, 500))}-é`;
        const from = values.get(userId) ?? null;
        const to = (from ?? 0) + Math.floor(next() * 3) + (from === null ? 0 : 1);
        values.set(userId, to);
        return { ...key, fence: ++fence, userId, from, to };
      });
      const [write] = planBoardValues(steps, () => state);
      state = write!.after;
      expect(state.top).toEqual(boardOf(values).slice(0, BOARD_TOP_SIZE));
    }
    expect(values.size).toBeGreaterThan(BOARD_TOP_SIZE);
  });

  it("becomes unknown, never wrong, when a value falls or the top does not match the shard", () => {
    const top = [
      { userId: "a", value: 5 },
      { userId: "b", value: 3 },
    ];
    expect(moveInTop(top, 2, { userId: "a", from: 5, to: 4 })).toBeNull();
    // Two users on the shard but a third, not new, outside a top that should hold everyone.
    expect(moveInTop(top, 2, { userId: "c", from: 1, to: 2 })).toBeNull();
    expect(moveInTop(top, 3, { userId: "c", from: null, to: 9 })).toBeNull();
    expect(moveInTop(null, 2, { userId: "c", from: null, to: 9 })).toBeNull();
    expect(moveInTop(top, 2, { userId: "c", from: null, to: 4 })).toEqual([
      { userId: "a", value: 5 },
      { userId: "c", value: 4 },
      { userId: "b", value: 3 },
    ]);
  });

  it("serves exactly the pages board_shards would, or says it cannot", () => {
    const next = random(5);
    for (const size of [0, 7, BOARD_TOP_SIZE, 400]) {
      const values = new Map(Array.from({ length: size }, (_, i) => [`user-${i}`, Math.floor(next() * 30)]));
      const board = boardOf(values);
      const top: BoardTop = board.slice(0, BOARD_TOP_SIZE);
      for (let probe = 0; probe < 200; probe++) {
        const limit = 1 + Math.floor(next() * 150);
        const at = board.length === 0 ? null : board[Math.floor(next() * board.length)]!;
        const after = next() < 0.3 ? null : at;
        const expected = (after === null ? board : board.filter((row) => byBoardOrder(row, after) > 0)).slice(
          0,
          limit,
        );
        const page = pageFromTop(top, after, limit);
        if (page !== null) expect(page).toEqual(expected);
        // A full top cannot tell whether the shard has more users: it sends the reader to board_shards.
        else expect(size).toBeGreaterThanOrEqual(BOARD_TOP_SIZE);
        if (after === null) expect(page === null).toBe(size >= BOARD_TOP_SIZE && limit > BOARD_TOP_SIZE);
        if (at === null) continue;
        const above = board.filter((row) => byBoardOrder(row, at) < 0).slice(-limit);
        const before = pageBeforeFromTop(top, at, limit);
        if (before !== null) expect(before).toEqual(above);
        else expect(board.indexOf(at)).toBeGreaterThanOrEqual(BOARD_TOP_SIZE);
      }
      expect(pageFromTop(null, null, 10)).toBeNull();
    }
  });

  it("round-trips its cell, user ids in UTF-8", () => {
    const top = [
      { userId: "ünïcödé-👩‍💻", value: 2 ** 53 - 1 },
      { userId: "b", value: 0.5 },
    ];
    expect(decodeTop(encodeTop(top)!)).toEqual(top);
    expect(encodeTop(null)).toBeNull();
    expect(() => decodeTop(Buffer.from([1, 2, 3]))).toThrow(/cut/);
  });
});
