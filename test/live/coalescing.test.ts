import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fingerprintOf, type ActivityEvent } from "../../src/domain/event.js";
import { ChangeFeed } from "../../src/services/live/change-feed.js";
import type { CommitChanges } from "../../src/services/live/commit-changes.js";
import { StreamOverflowError, WatchStream } from "../../src/services/live/watch-stream.js";
import { InProcessPubSub } from "../../src/services/pubsub.js";
import { QueryService } from "../../src/services/queries.js";
import { SubscriptionService } from "../../src/services/subscriptions.js";
import { OutboxQueue } from "../../src/server/websocket/outbox-queue.js";
import type { Period } from "../../src/domain/time.js";
import type { StoredEvent, Standing, TallyChange } from "../../src/store/port.js";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";

const take = async <T>(stream: AsyncIterator<T>, count: number): Promise<T[]> => {
  const values: T[] = [];
  for (let i = 0; i < count; i++) values.push((await stream.next()).value as T);
  return values;
};

describe("WatchStream", () => {
  it("latest: a consumer that did not take a value gets only the newest one", async () => {
    const stream = new WatchStream<number>("latest", 10, () => undefined);
    stream.push(1);
    stream.push(2);
    stream.push(3);
    expect(stream.queued).toBe(1);
    expect(await take(stream, 1)).toEqual([3]);
    const waiting = stream.next();
    stream.push(4);
    expect(await waiting).toEqual({ value: 4, done: false });
  });

  it("every: keeps each value in order, then fails once more than its bound wait", async () => {
    let ended = 0;
    const stream = new WatchStream<number>("every", 3, () => (ended += 1));
    for (const n of [1, 2, 3]) stream.push(n);
    expect(await take(stream, 2)).toEqual([1, 2]);
    stream.push(4);
    stream.push(5);
    expect(ended).toBe(0);
    stream.push(6); // 3, 4, 5 wait: the fourth overflows
    expect(ended).toBe(1);
    await expect(stream.next()).rejects.toBeInstanceOf(StreamOverflowError);
    expect(await stream.next()).toEqual({ value: undefined, done: true });
  });

  it("return ends a waiting consumer and releases the stream once", async () => {
    let ended = 0;
    const stream = new WatchStream<number>("every", 3, () => (ended += 1));
    const waiting = stream.next();
    await stream.return();
    await stream.return();
    expect(await waiting).toEqual({ value: undefined, done: true });
    stream.push(1);
    expect(await stream.next()).toEqual({ value: undefined, done: true });
    expect(ended).toBe(1);
  });
});

describe("OutboxQueue", () => {
  it("replaces a waiting frame of the same slot in its place and keeps every slotless frame", () => {
    const queue = new OutboxQueue();
    queue.enqueue("score a=1", "a");
    queue.enqueue("event 1");
    queue.enqueue("score b=1", "b");
    expect(queue.enqueue("score a=2", "a")).toBe(true);
    queue.enqueue("event 2");
    expect(queue.enqueue("score a=3", "a")).toBe(true);
    expect(queue.length).toBe(4);
    const frames: string[] = [];
    for (let frame = queue.shift(); frame !== undefined; frame = queue.shift()) frames.push(frame);
    expect(frames).toEqual(["score a=3", "event 1", "score b=1", "event 2"]);
  });

  it("queues a slot anew once its frame was taken: a later state is never lost", () => {
    const queue = new OutboxQueue();
    queue.enqueue("a=1", "a");
    expect(queue.shift()).toBe("a=1");
    expect(queue.enqueue("a=2", "a")).toBe(false);
    expect(queue.shift()).toBe("a=2");
    expect(queue.shift()).toBeUndefined();
  });

  it("counts UTF-8 bytes, adjusts them on replacement and drops a finished slot", () => {
    const queue = new OutboxQueue();
    queue.enqueue("é", "a"); // 2 bytes
    queue.enqueue("xyz");
    expect(queue.bytes).toBe(5);
    queue.enqueue("abcd", "a");
    expect(queue.bytes).toBe(7);
    queue.drop("a");
    expect(queue.bytes).toBe(3);
    expect(queue.length).toBe(1);
    expect(queue.shift()).toBe("xyz");
    expect(queue.bytes).toBe(0);
  });
});

/** A query service that counts leaderboard reads; the reads themselves hit the real store. */
class CountingQueries extends QueryService {
  leaderboardReads = 0;

  override leaderboard(period: Period, type: string | null, first: number) {
    this.leaderboardReads += 1;
    return super.leaderboard(period, type, first, null);
  }
}

function ready(id: string, userId: string, type: string, points: number): StoredEvent {
  const base: ActivityEvent = {
    id,
    userId,
    type,
    occurredAt: new Date("2024-05-08T10:00:00Z"),
    repo: null,
    category: null,
    groups: [],
    payload: null,
  };
  return { ...base, points, fingerprint: fingerprintOf(base), ranked: true };
}

describe("SubscriptionService fan-out rules", () => {
  const store = new SqliteStore({ path: ":memory:" });
  const pubsub = new InProcessPubSub();
  const feed = new ChangeFeed(pubsub, (error) => {
    throw error;
  });
  const queries = new CountingQueries(store);
  const service = new SubscriptionService(feed, queries, {
    leaderboardIntervalMs: 200,
    onError: (error) => {
      throw error;
    },
  });
  /** Writes through the real store and dispatches exactly what the write path reports. */
  const commit = async (events: StoredEvent[]): Promise<CommitChanges> => {
    const { outcomes, changes } = await store.appendWithChanges(events);
    const inserted = events.filter((_, i) => outcomes[i] === "inserted");
    const message: CommitChanges = {
      events: inserted.map(({ fingerprint: _f, occurredAt, ...rest }) => ({
        ...rest,
        occurredAt: occurredAt.toISOString(),
      })),
      tallies: changes,
    };
    service.dispatch(message);
    return message;
  };

  beforeAll(() => store.migrate());
  afterAll(() => store.close());

  it("pushes a score change to every subscriber of the watch, and never an older one after a newer one", async () => {
    const first = service.scores("ann", "ALL_TIME", null);
    const second = service.scores("ann", "ALL_TIME", null);
    expect(service.watches.scores).toBe(1);
    const one = await commit([ready("s1", "ann", "PushEvent", 2)]);
    const later = await commit([ready("s2", "ann", "PullRequestEvent", 10)]);
    expect((await take(first, 1)).map((t) => t.tally.points)).toEqual([12]);
    // The first commit's change arriving late (another instance's publish overtaken): skipped.
    service.dispatch(one);
    service.dispatch(later); // and the same one twice: skipped too
    await commit([ready("s3", "ann", "PushEvent", 2)]);
    expect((await take(first, 1)).map((t) => t.tally.points)).toEqual([14]);
    // The second subscriber took nothing yet: latest wins, it sees the newest state only.
    expect((await take(second, 1)).map((t) => [t.tally.count, t.tally.points])).toEqual([[3, 14]]);
    await first.return?.();
    expect(service.watches.scores).toBe(1);
    await second.return?.();
    expect(service.watches.scores).toBe(0);
  });

  it("starts a watch of today over when the day turns, and keeps it from going backwards within a day", async () => {
    let now = new Date("2024-05-08T23:59:00Z");
    const clocked = new SubscriptionService(feed, queries, {
      leaderboardIntervalMs: 200,
      onError: (error) => {
        throw error;
      },
      now: () => now,
    });
    const today = clocked.scores("eve", "DAY", null);
    const change = (bucket: string, count: number): CommitChanges => ({
      events: [],
      tallies: [
        { period: { window: "DAY", bucket }, tally: { userId: "eve", count, points: count, byType: [] } },
      ],
    });
    clocked.dispatch(change("2024-05-08", 40));
    expect((await take(today, 1)).map((t) => [t.period.bucket, t.tally.count])).toEqual([["2024-05-08", 40]]);
    now = new Date("2024-05-09T00:01:00Z");
    clocked.dispatch(change("2024-05-08", 41)); // yesterday's: not today's any more
    clocked.dispatch(change("2024-05-09", 1));
    clocked.dispatch(change("2024-05-09", 1)); // the same again: skipped
    clocked.dispatch(change("2024-05-09", 2));
    // Latest wins for a consumer that did not take: 1 was replaced by 2.
    // And it says which day it counts: pushed after midnight, labelled with the new day.
    expect((await take(today, 1)).map((t) => [t.period.bucket, t.tally.count])).toEqual([["2024-05-09", 2]]);
    await today.return?.();
  });

  it("takes score pushes from the write path's changes: a tally equal to what the store reads back", async () => {
    const scores = service.scores("bea", "DAY", new Date("2024-05-08T00:00:00Z"));
    const sent = await commit([ready("b1", "bea", "PushEvent", 2), ready("b2", "bea", "IssuesEvent", 4)]);
    const [pushed] = await take(scores, 1);
    const [stored] = await store.tallies(["bea"], { window: "DAY", bucket: "2024-05-08" });
    expect(pushed).toEqual({ period: { window: "DAY", bucket: "2024-05-08" }, tally: stored });
    expect(sent.tallies.filter((c: TallyChange) => c.tally.userId === "bea")).toHaveLength(4);
    await scores.return?.();
  });

  it("sends every event a filter passes, in commit order, to each of its subscribers", async () => {
    const releases = service.events({ userId: null, types: ["ReleaseEvent"] });
    const alsoReleases = service.events({ userId: null, types: ["ReleaseEvent"] });
    expect(service.watches.events).toBe(1);
    await commit([ready("r1", "cid", "ReleaseEvent", 5), ready("p1", "cid", "PushEvent", 2)]);
    await commit([ready("r2", "dan", "ReleaseEvent", 5), ready("r1", "cid", "ReleaseEvent", 5)]);
    expect((await take(releases, 2)).map((e) => e.id)).toEqual(["r1", "r2"]);
    expect((await take(alsoReleases, 2)).map((e) => e.id)).toEqual(["r1", "r2"]);
    await releases.return?.();
    await alsoReleases.return?.();
    expect(service.watches.events).toBe(0);
  });

  it("reads a leaderboard watch once per interval however many subscribers share it, ending on the final top N", async () => {
    const boards = Array.from({ length: 50 }, () =>
      service.leaderboard({ window: "ALL_TIME", type: null, scope: null, first: 3, at: null }),
    );
    expect(service.watches.leaderboards).toBe(1);
    const before = queries.leaderboardReads;
    const started = performance.now();
    for (let i = 0; i < 20; i++) await commit([ready(`l${i}`, `u${i % 5}`, "PushEvent", 2 + i)]);
    const burstMs = performance.now() - started;
    // A leading read at the burst's start, and a trailing one an interval later that sees its end.
    while (queries.leaderboardReads - before < 2) await new Promise((resolve) => setTimeout(resolve, 20));
    await new Promise((resolve) => setTimeout(resolve, 20));
    // 20 commits x 50 subscribers, and the reads follow the interval alone.
    expect(queries.leaderboardReads - before).toBeLessThanOrEqual(2 + Math.floor(burstMs / 200));
    const expected: Standing[] = await store.leaderboard({
      period: { window: "ALL_TIME", bucket: "*" },
      type: null,
      limit: 3,
      after: null,
    });
    for (const board of boards) {
      const [latest] = await take(board, 1); // latest wins: the state after the burst
      expect(latest).toEqual({ period: { window: "ALL_TIME", bucket: "*" }, standings: expected });
    }
    await Promise.all(boards.map((board) => board.return?.()));
    expect(service.watches.leaderboards).toBe(0);
  });
});
