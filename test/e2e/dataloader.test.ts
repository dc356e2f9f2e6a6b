import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Period } from "../../src/domain/time.js";
import type { UserTally } from "../../src/store/port.js";
import { ForwardingStore } from "../support/forwarding-store.js";
import { startTestServer, type TestServer } from "../support/server.js";

describe("per-request DataLoader", () => {
  let server: TestServer;
  let talliesCalls = 0;

  beforeAll(async () => {
    // Count real store calls (the store stays real; only the call is counted).
    class CountingTallies extends ForwardingStore {
      override tallies(userIds: readonly string[], period: Period): Promise<UserTally[]> {
        talliesCalls += 1;
        return super.tallies(userIds, period);
      }
    }
    server = await startTestServer({}, { decorateStore: (store) => new CountingTallies(store) });
    const events = Array.from({ length: 40 }, (_, i) => ({
      id: `n${i}`,
      userId: `user${i % 20}`,
      type: i % 2 ? "PushEvent" : "IssuesEvent",
      occurredAt: "2024-01-01T00:00:00Z",
    }));
    await server.gql(`mutation ($e: [EventInput!]!) { recordEvents(events: $e) { accepted } }`, {
      e: events,
    });
  });

  afterAll(async () => {
    await server.stop();
  });

  it("answers a 20-row leaderboard with user scores in one tallies call per window", async () => {
    talliesCalls = 0;
    const result = await server.gql<{
      leaderboard: { nodes: { user: { score: { score: number }; week: { score: number } } }[] };
    }>(
      `{ leaderboard(first: 20) { nodes { user { score { score } week: score(window: WEEK, at: "2024-01-01T00:00:00Z") { score } counts { type } } } } }`,
    );
    expect(result.errors).toBeUndefined();
    expect(result.data!.leaderboard.nodes).toHaveLength(20);
    expect(result.data!.leaderboard.nodes.every((n) => n.user.score.score === n.user.week.score)).toBe(true);
    expect(talliesCalls).toBe(2);
  });

  it("does not share a cache between requests", async () => {
    const before = await server.gql<{ score: { score: number } }>(`{ score(userId: "user0") { score } }`);
    await server.gql(
      `mutation { recordEvent(event: { id: "extra", userId: "user0", type: "PushEvent", occurredAt: "2024-01-02T00:00:00Z" }) { accepted } }`,
    );
    const after = await server.gql<{ score: { score: number } }>(`{ score(userId: "user0") { score } }`);
    expect(after.data!.score.score).toBe(before.data!.score.score + 2);
  });
});
