/**
 * What users ask of leaderboards, through the GraphQL API on real GH Archive events: boards of one
 * org (`group`) and one repo owner (`category`), the page `around` a user, percentiles, and their
 * live pushes; checked against brute force over the same events.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { periodOf } from "../../src/domain/time.js";
import type { Standing } from "../../src/store/port.js";
import { bruteBoard, githubReadyEvents } from "../support/board-truth.js";
import { settle, startTestServer, subscribe, type TestServer } from "../support/server.js";

const RECORD = `mutation ($e: [EventInput!]!) { recordEvents(events: $e) { accepted rejected { index code } } }`;
const BOARD = `query ($group: String, $category: String, $type: String, $around: String, $after: String, $first: Int!) {
  leaderboard(window: ALL_TIME, group: $group, category: $category, type: $type, around: $around, after: $after, first: $first) {
    nodes { rank userId value percentile boardSize }
    pageInfo { hasNextPage hasPreviousPage }
  }
}`;

interface Row {
  rank: number;
  userId: string;
  value: number;
  percentile: number;
  boardSize: number;
}
interface Board {
  leaderboard: { nodes: Row[]; pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean | null } };
}

const events = githubReadyEvents(2_000);
const ranked = events.filter((e) => e.ranked);
/** The group or category with the most users, so that its board has ranks worth checking. */
function widest(namesOf: (e: (typeof ranked)[number]) => readonly string[]): string {
  const users = new Map<string, Set<string>>();
  for (const e of ranked)
    for (const name of namesOf(e)) users.set(name, (users.get(name) ?? new Set()).add(e.userId));
  return [...users].sort((a, b) => b[1].size - a[1].size)[0]![0];
}
const group = widest((e) => e.groups);
const category = widest((e) => (e.category === null ? [] : [e.category]));
const period = periodOf("ALL_TIME", new Date());

/** A brute-force row as the API shows it: percentile = the share of users level with or behind. */
function asRow(truth: readonly Standing[], standing: Standing): Row {
  const levelOrBehind = truth.filter((other) => other.value <= standing.value).length;
  return { ...standing, percentile: (100 * levelOrBehind) / truth.length, boardSize: truth.length };
}

describe("group, category and around leaderboards over GraphQL", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
    for (let i = 0; i < events.length; i += 500) {
      const inputs = events.slice(i, i + 500).map((e) => ({
        id: e.id,
        userId: e.userId,
        type: e.type,
        occurredAt: e.occurredAt.toISOString(),
        repo: e.repo,
        category: e.category,
        groups: e.groups,
      }));
      const result = await server.gql<{ recordEvents: { accepted: number } }>(RECORD, { e: inputs });
      expect(result.errors).toBeUndefined();
    }
  });

  afterAll(async () => {
    await server.stop();
  });

  it("ranks a group's and a category's users as brute force does, with percentiles and sizes", async () => {
    for (const scope of [{ group }, { category }]) {
      const truth = bruteBoard(events, period, null, scope);
      expect(truth.length).toBeGreaterThan(3);
      const result = await server.gql<Board>(BOARD, { ...scope, first: 100 });
      expect(result.errors).toBeUndefined();
      expect(result.data!.leaderboard.nodes).toEqual(truth.map((s) => asRow(truth, s)));
      // The same user's rank on the scoped board, asked from the user.
      const last = truth.at(-1)!;
      const mine = await server.gql<{ user: { rank: { rank: number; percentile: number } | null } }>(
        `query ($u: String!, $group: String, $category: String) {
          user(id: $u) { rank(group: $group, category: $category) { rank percentile } } }`,
        { u: last.userId, ...scope },
      );
      const expected = asRow(truth, last);
      expect(mine.data!.user.rank).toEqual({ rank: expected.rank, percentile: expected.percentile });
    }
  });

  it("answers the page around a user, shifted at the board's ends, as brute force does", async () => {
    const truth = bruteBoard(events, period, null);
    for (const at of [0, 2, 40, truth.length - 1]) {
      const result = await server.gql<Board>(BOARD, { around: truth[at]!.userId, first: 5 });
      expect(result.errors).toBeUndefined();
      const start = Math.max(0, Math.min(at - 2, truth.length - 5));
      expect(result.data!.leaderboard.nodes).toEqual(
        truth.slice(start, start + 5).map((s) => asRow(truth, s)),
      );
      expect(result.data!.leaderboard.pageInfo).toEqual({
        hasNextPage: start + 5 < truth.length,
        hasPreviousPage: start > 0,
      });
    }
    const nobody = await server.gql<Board>(BOARD, { around: "no-such-user", first: 5 });
    expect(nobody.data!.leaderboard).toEqual({
      nodes: [],
      pageInfo: { hasNextPage: false, hasPreviousPage: false },
    });
  });

  it("rejects arguments that contradict each other with BAD_USER_INPUT", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ group, category }, "group"],
      [{ group, type: "PushEvent" }, "type"],
      [{ around: "someone", after: "x" }, "around"],
      [{ around: "" }, "around"],
      [{ group: "" }, "group"],
    ];
    for (const [variables, argument] of cases) {
      const result = await server.gql<Board>(BOARD, { first: 5, ...variables });
      expect(result.data).toBeNull();
      expect(result.errors?.[0]?.extensions?.["code"]).toBe("BAD_USER_INPUT");
      expect(result.errors?.[0]?.extensions?.["argument"]).toBe(argument);
    }
  });

  it("pushes a group's board live when an event in the group arrives, and not for others", async () => {
    const client = server.wsClient();
    const live = subscribe<{ leaderboardChanged: { userId: string; value: number }[] }>(
      client,
      `subscription ($g: String!) { leaderboardChanged(window: ALL_TIME, group: $g, first: 3) { userId value } }`,
      { g: "live-org" },
    );
    await settle();
    const send = (id: string, groups: string[], userId = "live-user") =>
      server.gql(RECORD, {
        e: [{ id, userId, type: "PushEvent", occurredAt: "2024-06-01T12:00:00Z", groups }],
      });
    await send("live-out", ["another-org"]);
    await send("live-in", ["live-org"]);
    const [first] = await live.waitFor(1);
    const score = await server.gql<{ score: { score: number } }>(
      `{ score(userId: "live-user", window: ALL_TIME) { score } }`,
    );
    // Two pushes of the same weight, one of them in the group: the group's board counts that one.
    expect(score.data!.score.score).toBeGreaterThan(0);
    expect(first!.leaderboardChanged).toEqual([{ userId: "live-user", value: score.data!.score.score / 2 }]);
    expect(live.received).toHaveLength(1);
    const around = subscribe(
      client,
      `subscription { leaderboardChanged(window: ALL_TIME, around: "live-user", first: 3) { userId } }`,
    );
    await settle();
    expect(JSON.stringify(around.failure)).toMatch(/BAD_USER_INPUT/);
    expect(around.received).toEqual([]);
    live.unsubscribe();
  });
});
