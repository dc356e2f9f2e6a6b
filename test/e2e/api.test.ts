import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { settle, startTestServer, subscribe, type TestServer } from "../support/server.js";

const RECORD = `mutation ($events: [EventInput!]!) {
  recordEvents(events: $events) { accepted duplicates rejected { index eventId code reason } }
}`;

interface RecordData {
  recordEvents: {
    accepted: number;
    duplicates: number;
    rejected: { index: number; eventId: string | null; code: string; reason: string }[];
  };
}

function ev(
  id: string,
  userId: string,
  type: string,
  occurredAt: string,
  extra: Record<string, unknown> = {},
) {
  return { id, userId, type, occurredAt, ...extra };
}

describe("GraphQL API end to end (embedded store)", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ EVENTSCORE_MAX_BATCH_SIZE: "50", EVENTSCORE_MAX_PAGE_SIZE: "25" });
  });

  afterAll(async () => {
    await server.stop();
  });

  it("records a batch and answers score, counts, history, leaderboard and rank", async () => {
    const recorded = await server.gql<RecordData>(RECORD, {
      events: [
        ev("a1", "alice", "PushEvent", "2024-01-01T10:00:00Z", {
          repo: "acme/api",
          groups: ["acme"],
          payload: { size: 2 },
        }),
        ev("a2", "alice", "PullRequestEvent", "2024-01-01T11:00:00Z"),
        ev("b1", "bob", "PushEvent", "2024-01-01T12:00:00Z"),
        ev("b2", "bob", "PushEvent", "2024-01-02T12:00:00Z"),
      ],
    });
    expect(recorded.data?.recordEvents).toEqual({ accepted: 4, duplicates: 0, rejected: [] });

    const result = await server.gql<{
      score: { score: number; events: number; breakdown: { type: string; count: number; points: number }[] };
      day: { score: number; from: string; to: string };
      leaderboard: {
        nodes: { rank: number; userId: string; value: number; user: { score: { score: number } } }[];
      };
      rank: { rank: number; value: number } | null;
      events: {
        nodes: { id: string; repo: string | null; groups: string[]; payload: unknown; points: number }[];
      };
      user: { counts: { type: string; count: number }[] };
      scoringRules: { defaultWeight: number; weights: { type: string; weight: number }[] };
    }>(`{
      score(userId: "alice") { score events breakdown { type count points } }
      day: score(userId: "bob", window: DAY, at: "2024-01-02T00:00:00Z") { score from to }
      leaderboard(window: ALL_TIME, first: 10) { nodes { rank userId value user { score { score } } } }
      rank(userId: "bob") { rank value }
      events(userId: "alice") { nodes { id repo groups payload points } }
      user(id: "bob") { counts(window: WEEK, at: "2024-01-03T00:00:00Z") { type count } }
      scoringRules { defaultWeight weights { type weight } }
    }`);
    expect(result.errors).toBeUndefined();
    const data = result.data!;
    expect(data.score).toEqual({
      score: 12,
      events: 2,
      breakdown: [
        { type: "PullRequestEvent", count: 1, points: 10 },
        { type: "PushEvent", count: 1, points: 2 },
      ],
    });
    expect(data.day).toEqual({ score: 2, from: "2024-01-02T00:00:00.000Z", to: "2024-01-03T00:00:00.000Z" });
    expect(data.leaderboard.nodes).toEqual([
      { rank: 1, userId: "alice", value: 12, user: { score: { score: 12 } } },
      { rank: 2, userId: "bob", value: 4, user: { score: { score: 4 } } },
    ]);
    expect(data.rank).toEqual({ rank: 2, value: 4 });
    expect(data.events.nodes.map((e) => e.id)).toEqual(["a2", "a1"]);
    expect(data.events.nodes[1]).toMatchObject({
      repo: "acme/api",
      groups: ["acme"],
      payload: { size: 2 },
      points: 2,
    });
    expect(data.user.counts).toEqual([{ type: "PushEvent", count: 2 }]);
    expect(data.scoringRules.weights).toContainEqual({ type: "PullRequestEvent", weight: 10 });
  });

  it("is idempotent: re-sent events change nothing, reused ids are conflicts", async () => {
    const events = [
      ev("i1", "ivan", "PushEvent", "2024-02-01T00:00:00Z"),
      ev("i2", "ivan", "IssuesEvent", "2024-02-01T00:00:00Z"),
    ];
    expect((await server.gql<RecordData>(RECORD, { events })).data?.recordEvents.accepted).toBe(2);
    const again = await server.gql<RecordData>(RECORD, {
      events: [...events, ev("i1", "ivan", "WatchEvent", "2024-02-01T00:00:00Z")],
    });
    expect(again.data?.recordEvents).toEqual({
      accepted: 0,
      duplicates: 2,
      rejected: [
        { index: 2, eventId: "i1", code: "CONFLICT", reason: expect.stringContaining("first write wins") },
      ],
    });
    const score = await server.gql<{ score: { score: number; events: number } }>(
      `{ score(userId: "ivan") { score events } }`,
    );
    expect(score.data?.score).toEqual({ score: 6, events: 2 });
  });

  it("stores the valid items of a batch and says which items failed", async () => {
    const result = await server.gql<RecordData>(RECORD, {
      events: [
        ev("v1", "vera", "PushEvent", "2024-03-01T00:00:00Z"),
        ev("", "vera", "PushEvent", "2024-03-01T00:00:00Z"),
        ev("v3", "vera", "not a type!", "2024-03-01T00:00:00Z"),
        ev("v4", "ve\u0000ra", "PushEvent", "2024-03-01T00:00:00Z"),
        ev("v5", "vera", "PushEvent", "2024-03-01T00:00:00Z", { payload: { blob: "x".repeat(70_000) } }),
        ev("v6", "vera", "IssuesEvent", "2024-03-01T00:00:01Z"),
      ],
    });
    const outcome = result.data!.recordEvents;
    expect(outcome.accepted).toBe(2);
    expect(outcome.rejected.map((r) => [r.index, r.code])).toEqual([
      [1, "INVALID_ID"],
      [2, "INVALID_TYPE"],
      [3, "INVALID_USER_ID"],
      [4, "PAYLOAD_TOO_LARGE"],
    ]);
    const history = await server.gql<{ events: { nodes: { id: string }[] } }>(
      `{ events(userId: "vera") { nodes { id } } }`,
    );
    expect(history.data?.events.nodes.map((e) => e.id)).toEqual(["v6", "v1"]);
  });

  it("refuses a batch over the configured size as a whole, with a code", async () => {
    const events = Array.from({ length: 51 }, (_, i) =>
      ev(`big${i}`, "big", "PushEvent", "2024-03-01T00:00:00Z"),
    );
    const result = await server.gql(RECORD, { events });
    expect(result.errors?.[0]?.extensions?.["code"]).toBe("BATCH_TOO_LARGE");
    expect(result.errors?.[0]?.extensions?.["stacktrace"]).toBeUndefined();
    const score = await server.gql<{ score: { events: number } }>(`{ score(userId: "big") { events } }`);
    expect(score.data?.score.events).toBe(0);
  });

  it("answers bad input with clear errors and codes", async () => {
    const tooMany = await server.gql(`{ events(userId: "alice", first: 26) { nodes { id } } }`);
    expect(tooMany.errors?.[0]).toMatchObject({ extensions: { code: "BAD_USER_INPUT", argument: "first" } });
    const badCursor = await server.gql(`{ leaderboard(after: "nonsense") { nodes { userId } } }`);
    expect(badCursor.errors?.[0]?.extensions?.["code"]).toBe("BAD_USER_INPUT");
    const badDate = await server.gql(RECORD, { events: [ev("d1", "dan", "PushEvent", "yesterday")] });
    // application/json answers a well-formed request 200, errors in the body (GraphQL over HTTP).
    expect(badDate.status).toBe(200);
    expect(badDate.errors?.[0]?.extensions?.["code"]).toBe("BAD_USER_INPUT");
    expect(badDate.errors?.[0]?.message).toContain("occurredAt");
    const inverted = await server.gql(
      `{ events(userId: "a", from: "2024-02-01T00:00:00Z", to: "2024-01-01T00:00:00Z") { nodes { id } } }`,
    );
    expect(inverted.errors?.[0]?.extensions?.["code"]).toBe("BAD_USER_INPUT");
    const unknownField = await server.gql(`{ nope }`);
    expect(unknownField.errors?.[0]?.extensions?.["code"]).toBe("GRAPHQL_VALIDATION_FAILED");
  });

  it("answers a body that is not JSON with 400 and a code", async () => {
    const response = await fetch(server.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{nope",
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors[0]?.extensions.code).toBe("BAD_REQUEST");
  });

  it("pages through history with cursors and filters by type and range", async () => {
    const events = Array.from({ length: 30 }, (_, i) =>
      ev(
        `p${String(i).padStart(2, "0")}`,
        "paula",
        i % 3 === 0 ? "IssuesEvent" : "PushEvent",
        new Date(Date.UTC(2024, 4, 1 + i)).toISOString(),
      ),
    );
    await server.gql(RECORD, { events });
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page++) {
      const result: Awaited<
        ReturnType<
          typeof server.gql<{
            events: { nodes: { id: string }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
          }>
        >
      > = await server.gql(
        `query ($after: String) { events(userId: "paula", types: ["PushEvent"], from: "2024-05-05T00:00:00Z", to: "2024-05-25T00:00:00Z", first: 4, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } } }`,
        { after },
      );
      const connection = result.data!.events;
      seen.push(...connection.nodes.map((n) => n.id));
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor;
    }
    const expected = events
      .filter((e) => e.type === "PushEvent" && e.occurredAt >= "2024-05-05" && e.occurredAt < "2024-05-25")
      .map((e) => e.id)
      .reverse();
    expect(seen).toEqual(expected);
    expect(seen.length).toBe(14);
  });

  it("groups concurrent single-event mutations without losing or doubling any", async () => {
    const single = `mutation ($e: EventInput!) { recordEvent(event: $e) { accepted duplicates } }`;
    const sends = Array.from({ length: 200 }, (_, i) =>
      server.gql<{ recordEvent: { accepted: number; duplicates: number } }>(single, {
        e: ev(`g${i % 150}`, `g-user-${(i % 150) % 7}`, "PushEvent", "2024-06-01T00:00:00Z"),
      }),
    );
    const results = await Promise.all(sends);
    const accepted = results.reduce((sum, r) => sum + (r.data?.recordEvent.accepted ?? 0), 0);
    const duplicates = results.reduce((sum, r) => sum + (r.data?.recordEvent.duplicates ?? 0), 0);
    expect([accepted, duplicates]).toEqual([150, 50]);
    const board = await server.gql<{ leaderboard: { nodes: { value: number }[] } }>(
      `{ leaderboard(window: DAY, at: "2024-06-01T00:00:00Z", type: "PushEvent", first: 10) { nodes { value } } }`,
    );
    expect(board.data?.leaderboard.nodes.reduce((sum, n) => sum + n.value, 0)).toBe(150);
  });

  describe("subscriptions over graphql-ws", () => {
    it("pushes eventRecorded, filtered by user and type, never for duplicates", async () => {
      const client = server.wsClient();
      const all = subscribe<{ eventRecorded: { id: string } }>(
        client,
        `subscription { eventRecorded { id } }`,
      );
      const filtered = subscribe<{ eventRecorded: { id: string; type: string } }>(
        client,
        `subscription { eventRecorded(userId: "sam", types: ["IssuesEvent"]) { id type } }`,
      );
      await settle();
      await server.gql(RECORD, {
        events: [
          ev("s1", "sam", "PushEvent", "2024-07-01T00:00:00Z"),
          ev("s2", "sam", "IssuesEvent", "2024-07-01T00:00:00Z"),
          ev("s3", "tom", "IssuesEvent", "2024-07-01T00:00:00Z"),
        ],
      });
      await server.gql(RECORD, {
        events: [
          ev("s2", "sam", "IssuesEvent", "2024-07-01T00:00:00Z"),
          ev("s4", "sam", "IssuesEvent", "2024-07-01T00:00:01Z"),
        ],
      });
      expect((await all.waitFor(4)).map((r) => r.eventRecorded.id)).toEqual(["s1", "s2", "s3", "s4"]);
      expect((await filtered.waitFor(2)).map((r) => r.eventRecorded.id)).toEqual(["s2", "s4"]);
      await settle(200);
      expect(all.received).toHaveLength(4);
      all.unsubscribe();
      filtered.unsubscribe();
    });

    it("pushes scoreChanged with the new score after each change", async () => {
      const client = server.wsClient();
      const scores = subscribe<{ scoreChanged: { score: number; events: number } }>(
        client,
        `subscription { scoreChanged(userId: "sue") { score events } }`,
      );
      await settle();
      await server.gql(RECORD, { events: [ev("u1", "sue", "PushEvent", "2024-07-02T00:00:00Z")] });
      await scores.waitFor(1);
      await server.gql(RECORD, { events: [ev("u1", "sue", "PushEvent", "2024-07-02T00:00:00Z")] });
      await server.gql(RECORD, { events: [ev("u2", "sue", "PullRequestEvent", "2024-07-02T00:00:00Z")] });
      const pushed = await scores.waitFor(2);
      expect(pushed.map((p) => p.scoreChanged)).toEqual([
        { score: 2, events: 1 },
        { score: 12, events: 2 },
      ]);
      scores.unsubscribe();
    });

    it("coalesces a burst into few leaderboardChanged pushes that end in the final top N", async () => {
      const client = server.wsClient();
      const boards = subscribe<{ leaderboardChanged: { userId: string; value: number; rank: number }[] }>(
        client,
        `subscription { leaderboardChanged(window: DAY, at: "2025-06-02T00:00:00Z", first: 3) { userId value rank } }`,
      );
      await settle();
      for (let i = 0; i < 30; i++) {
        await server.gql(RECORD, {
          events: [ev(`lb${i}`, `racer${i % 4}`, "PushEvent", "2025-06-02T08:00:00Z")],
        });
      }
      await settle(400);
      const pushes = boards.received.length;
      expect(pushes).toBeGreaterThanOrEqual(1);
      expect(pushes).toBeLessThan(30);
      const last = boards.received.at(-1)!.leaderboardChanged;
      expect(last).toEqual([
        { userId: "racer0", value: 16, rank: 1 },
        { userId: "racer1", value: 16, rank: 1 },
        { userId: "racer2", value: 14, rank: 3 },
      ]);
      boards.unsubscribe();
    });
  });
});
