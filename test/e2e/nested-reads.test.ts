import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bruteBoard } from "../support/board-truth.js";
import { startTestServer, type TestServer } from "../support/server.js";
import { periodOf } from "../../src/domain/time.js";
import type {
  BoardStandings,
  HistoryQuery,
  LeaderboardQuery,
  Standing,
  StoredEvent,
  UserTally,
} from "../../src/store/port.js";
import type { Period } from "../../src/domain/time.js";
import { ForwardingStore } from "../support/forwarding-store.js";

type Method = "tallies" | "standings" | "histories" | "history" | "leaderboard";

/**
 * Everything nested under leaderboard rows is batched: one store call per field and window per
 * request, whatever the page size, counted at the real store (the store stays real; only its
 * calls are counted).
 */
describe("nested fields under leaderboard rows", () => {
  let server: TestServer;
  const calls = new Map<Method, number>();
  let failStandings = false;
  const events = Array.from({ length: 120 }, (_, i) => ({
    id: `n${i}`,
    userId: `user${i % 40}`,
    type: i % 3 ? "PushEvent" : "IssuesEvent",
    occurredAt: `2024-01-0${1 + (i % 5)}T0${i % 10}:00:00Z`,
  }));

  beforeAll(async () => {
    const count = (method: Method): void => void calls.set(method, (calls.get(method) ?? 0) + 1);
    class CountingStore extends ForwardingStore {
      override tallies(userIds: readonly string[], period: Period): Promise<UserTally[]> {
        count("tallies");
        return super.tallies(userIds, period);
      }
      override standings(...args: Parameters<ForwardingStore["standings"]>): Promise<BoardStandings> {
        count("standings");
        if (failStandings && args[2] === "IssuesEvent") {
          return Promise.reject(new Error("standings of IssuesEvent unavailable"));
        }
        return super.standings(...args);
      }
      override histories(
        userIds: readonly string[],
        query: Omit<HistoryQuery, "userId">,
      ): Promise<StoredEvent[][]> {
        count("histories");
        return super.histories(userIds, query);
      }
      override history(query: HistoryQuery): Promise<StoredEvent[]> {
        count("history");
        return super.history(query);
      }
      override leaderboard(query: LeaderboardQuery): Promise<Standing[]> {
        count("leaderboard");
        return super.leaderboard(query);
      }
    }
    server = await startTestServer({}, { decorateStore: (store) => new CountingStore(store) });
    await server.gql(`mutation ($e: [EventInput!]!) { recordEvents(events: $e) { accepted } }`, {
      e: events,
    });
  });

  afterAll(async () => {
    await server.stop();
  });

  const nested = `{
    leaderboard(window: ALL_TIME, first: 30) {
      nodes {
        rank userId value percentile boardSize
        user {
          score { score }
          week: score(window: WEEK, at: "2024-01-03T00:00:00Z") { score }
          counts { type count }
          events(first: 2) { nodes { id } }
          rank { rank value percentile }
          issues: rank(type: "IssuesEvent") { rank value }
        }
      }
    }
  }`;

  interface Row {
    rank: number;
    userId: string;
    value: number;
    percentile: number;
    boardSize: number;
    user: {
      score: { score: number };
      week: { score: number };
      counts: { type: string; count: number }[];
      events: { nodes: { id: string }[] };
      rank: { rank: number; value: number; percentile: number };
      issues: { rank: number; value: number } | null;
    };
  }

  it("reads each nested field with one store call per window and board, however many rows", async () => {
    calls.clear();
    const result = await server.gql<{ leaderboard: { nodes: Row[] } }>(nested);
    expect(result.errors).toBeUndefined();
    const rows = result.data!.leaderboard.nodes;
    expect(rows).toHaveLength(30);
    expect(Object.fromEntries(calls)).toEqual({
      leaderboard: 1,
      tallies: 2, // ALL_TIME (score and counts share it) and the week
      histories: 1,
      // the ranks of the points and IssuesEvent boards (the users' percentiles take the board
      // size from them), and the rows' own board size, asked before the users' ranks
      standings: 3,
    });
    // And the answers are right: the same as brute force over the events.
    const ready = events.map(
      (e) =>
        ({
          ...e,
          occurredAt: new Date(e.occurredAt),
          points: e.type === "PushEvent" ? 2 : 4,
          ranked: true,
          groups: [],
          category: null,
        }) as unknown as StoredEvent,
    );
    const truth = bruteBoard(ready, periodOf("ALL_TIME", new Date()), null);
    const issues = bruteBoard(ready, periodOf("ALL_TIME", new Date()), "IssuesEvent");
    for (const row of rows) {
      const expected = truth.find((s) => s.userId === row.userId)!;
      expect(row.user.rank).toEqual({
        rank: expected.rank,
        value: expected.value,
        percentile: (100 * (truth.length - expected.rank + 1)) / truth.length,
      });
      expect(row.rank).toBe(expected.rank);
      expect(row.boardSize).toBe(truth.length);
      const issue = issues.find((s) => s.userId === row.userId);
      expect(row.user.issues).toEqual(issue ? { rank: issue.rank, value: issue.value } : null);
      expect(row.user.score.score).toBe(row.value);
      expect(row.user.events.nodes).toHaveLength(2);
    }
  });

  it("fails only the keys of a batch that failed, not the whole request", async () => {
    failStandings = true;
    try {
      const result = await server.gql<{ leaderboard: { nodes: Row[] } }>(nested);
      const rows = result.data!.leaderboard.nodes;
      expect(rows).toHaveLength(30);
      // Every row keeps its points rank; only the IssuesEvent rank is null, with one error per row.
      expect(rows.every((row) => row.user.rank.rank > 0 && row.user.issues === null)).toBe(true);
      expect(result.errors).toHaveLength(30);
      expect(result.errors!.every((e) => e.path?.at(-1) === "issues")).toBe(true);
      expect(result.errors!.every((e) => e.extensions?.["code"] === "INTERNAL_SERVER_ERROR")).toBe(true);
    } finally {
      failStandings = false;
    }
  });
});
