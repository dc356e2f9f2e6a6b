import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisAvailable, REDIS_URL } from "../support/redis.js";
import { settle, startTwoOverRedis, subscribe, type TestServer } from "../support/server.js";

const hasRedis = await redisAvailable();

describe.skipIf(!hasRedis)("live updates across two API instances (Redis pub/sub)", () => {
  let a: TestServer;
  let b: TestServer;
  let stop: () => Promise<void>;

  beforeAll(async () => {
    // Two instances, one shared store (a SQLite file both open), one Redis.
    ({ a, b, stop } = await startTwoOverRedis(REDIS_URL, { EVENTSCORE_LEADERBOARD_INTERVAL_MS: "50" }));
  });

  afterAll(() => stop?.());

  it("pushes to subscribers on instance B what was recorded through instance A, once", async () => {
    const user = `redis-${Date.now()}`;
    const onB = subscribe<{ scoreChanged: { score: number } }>(
      b.wsClient(),
      `subscription ($u: String!) { scoreChanged(userId: $u) { score } }`,
      { u: user },
    );
    const eventsOnB = subscribe<{ eventRecorded: { id: string } }>(
      b.wsClient(),
      `subscription ($u: String) { eventRecorded(userId: $u) { id } }`,
      { u: user },
    );
    await settle(300);
    await a.gql(`mutation ($e: [EventInput!]!) { recordEvents(events: $e) { accepted } }`, {
      e: [
        { id: `${user}-1`, userId: user, type: "PullRequestEvent", occurredAt: "2024-01-01T00:00:00Z" },
        { id: `${user}-2`, userId: user, type: "PushEvent", occurredAt: "2024-01-01T00:00:00Z" },
      ],
    });
    expect((await onB.waitFor(1)).map((r) => r.scoreChanged.score)).toEqual([12]);
    expect((await eventsOnB.waitFor(2)).map((r) => r.eventRecorded.id)).toEqual([`${user}-1`, `${user}-2`]);
    await settle(300);
    expect(eventsOnB.received).toHaveLength(2);
    onB.unsubscribe();
    eventsOnB.unsubscribe();
  });
});
