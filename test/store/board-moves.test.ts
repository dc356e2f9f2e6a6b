/**
 * What one batch writes to board_shards (plan.ts, applyStatements): a user's passed values on a
 * board go in one delete per batch, not one per event, and a board the batch leaves the user's
 * value on is not written at all. Exactness through replays and zombies is tested against
 * Cassandra in cassandra-shard-writer.test.ts.
 */
import { describe, expect, it } from "vitest";
import { POINTS_METRIC } from "../../src/store/aggregates.js";
import type { LogRecord } from "../../src/store/port.js";
import { planAggregates, type TypeCountsPartition } from "../../src/store/cassandra/shard/plan.js";
import { applyStatements } from "../../src/store/cassandra/shard/shard-writer.js";
import { ShardCql } from "../../src/store/cassandra/shard/statements.js";
import { event } from "../contract/store-contract.js";

const sql = new ShardCql("ks");
const NOTHING = {
  typeCounts: (): TypeCountsPartition => ({ fence: 0, types: new Map() }),
  reportCell: () => null,
  reportRollup: () => null,
};

/** The board_shards statements of one batch on the DAY board of `metric`, as (kind, values). */
function dayBoardWrites(records: readonly LogRecord[], metric: string, stored = NOTHING): string[] {
  const plan = planAggregates(records, 0, stored);
  const { first } = applyStatements(sql, 0, 0, [], plan, []);
  return first
    .filter((s) => s.query.includes("board_shards") && s.partition[0] === "DAY" && s.partition[2] === metric)
    .map((s) =>
      s.query.startsWith("DELETE")
        ? `delete ${JSON.stringify(s.params[5])}`
        : `insert ${String(s.params[4])}`,
    );
}

const push = (i: number, points: number): LogRecord => ({
  offset: i,
  event: event(`e${i}`, "ann", "PushEvent", `2024-06-10T10:0${i}:00Z`, { points }),
});

describe("board moves of one batch", () => {
  it("delete every value passed since the stored state in one statement, then insert the last", () => {
    const stored = {
      ...NOTHING,
      typeCounts: (): TypeCountsPartition => ({
        fence: 0,
        types: new Map([["PushEvent", { events: 1, points: 2, rankedEvents: 1, rankedPoints: 2 }]]),
      }),
    };
    // From 2 points through 4 and 6 to 8: the rows a zombie may have left at 2, 4 or 6 go at once.
    expect(dayBoardWrites([push(1, 2), push(2, 2), push(3, 2)], POINTS_METRIC, stored)).toEqual([
      "delete [2,4,6]",
      "insert 8",
    ]);
  });

  it("leave a board alone when the batch does not move the user on it", () => {
    const first = dayBoardWrites([push(0, 3)], POINTS_METRIC);
    expect(first).toEqual(["insert 3"]);
    const stored = {
      ...NOTHING,
      typeCounts: (): TypeCountsPartition => ({
        fence: 1,
        types: new Map([["PushEvent", { events: 1, points: 3, rankedEvents: 1, rankedPoints: 3 }]]),
      }),
    };
    // Events of no points: the points board keeps its row; the count board moves.
    expect(dayBoardWrites([push(1, 0), push(2, 0)], POINTS_METRIC, stored)).toEqual([]);
    expect(dayBoardWrites([push(1, 0), push(2, 0)], "PushEvent", stored)).toEqual([
      "delete [1,2]",
      "insert 3",
    ]);
  });
});
