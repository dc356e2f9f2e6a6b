/**
 * Two store instances, each with its own driver client (as two API processes would have), write
 * overlapping events for the same users at once, and re-send each other's events. Afterwards
 * every leaderboard, standing and tally must equal a brute-force computation from the events.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { periodsContaining, type Period } from "../../src/domain/time.js";
import { CassandraStore, createClient } from "../../src/store/cassandra/index.js";
import type { AppendOutcome, EventStore, Standing } from "../../src/store/port.js";
import { event } from "../contract/store-contract.js";
import { cassandraForTests, openTestKeyspace, type TestKeyspace } from "../support/cassandra.js";

type Appendable = Parameters<EventStore["append"]>[0][number];

const target = await cassandraForTests();
const USERS = ["ann", "ben", "cat", "dan", "eve", "fay", "gus"];
const TYPES = ["PushEvent", "IssuesEvent", "WatchEvent"];

/** Deterministic pseudo-random numbers (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function makeEvents(count: number, next: () => number): Appendable[] {
  return Array.from({ length: count }, (_, i) => {
    const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
    const at = new Date(Date.UTC(2024, 5, 10 + Math.floor(next() * 3), Math.floor(next() * 24), i % 60));
    return event(`ev-${i}`, pick(USERS), pick(TYPES), at.toISOString(), {
      points: Math.floor(next() * 6), // includes zero-point events
      ranked: next() > 0.1,
    });
  });
}

/** The exact leaderboard of a period and metric, computed from the events themselves. */
function bruteForce(events: readonly Appendable[], period: Period, type: string | null): Standing[] {
  const values = new Map<string, number>();
  for (const e of events) {
    if (!e.ranked || (type !== null && e.type !== type)) continue;
    if (
      !periodsContaining(e.occurredAt).some((p) => p.window === period.window && p.bucket === period.bucket)
    )
      continue;
    values.set(e.userId, (values.get(e.userId) ?? 0) + (type === null ? e.points : 1));
  }
  const rows = [...values].map(([userId, value]) => ({ userId, value }));
  rows.sort((a, b) => b.value - a.value || (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0));
  return rows.map((row) => ({ ...row, rank: 1 + rows.filter((other) => other.value > row.value).length }));
}

/** Sends batches from a queue with a few appends in flight. */
async function sendAll(
  store: EventStore,
  batches: readonly Appendable[][],
  inFlight: number,
): Promise<AppendOutcome[]> {
  const outcomes: AppendOutcome[] = [];
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < batches.length) outcomes.push(...(await store.append(batches[next++] as Appendable[])));
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  return outcomes;
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

describe.skipIf(target === null)(
  "cassandra: two store instances writing at once",
  { timeout: 180_000 },
  () => {
    let keyspace: TestKeyspace;
    let first: CassandraStore;
    let second: CassandraStore;

    beforeAll(async () => {
      keyspace = await openTestKeyspace(target!, "concurrency");
      first = keyspace.store();
      // A second driver client: its own connections, timestamps and prepared-statement cache.
      const secondClient = createClient(keyspace.options);
      await secondClient.connect();
      second = new CassandraStore(secondClient, keyspace.options, { ownsClient: true });
    }, 180_000);

    afterAll(async () => {
      await second?.close();
      await keyspace?.drop();
    }, 120_000);

    it("keeps leaderboards, standings and tallies exact", async () => {
      const next = random(20240610);
      const events = makeEvents(300, next);
      // Each instance gets all events in its own order and batching, so every id is raced by both.
      const shuffled = [...events].sort(() => next() - 0.5);
      const [a, b] = await Promise.all([
        sendAll(first, chunk(events, 7), 4),
        sendAll(second, chunk(shuffled, 5), 4),
      ]);
      const inserted = [...a, ...b].filter((o) => o === "inserted").length;
      expect(inserted).toBe(events.length);
      expect([...a, ...b].filter((o) => o === "conflict")).toEqual([]);

      const periods = new Map<string, Period>();
      for (const e of events)
        for (const p of periodsContaining(e.occurredAt)) periods.set(JSON.stringify(p), p);
      for (const period of periods.values()) {
        for (const type of [null, ...TYPES]) {
          const expected = bruteForce(events, period, type);
          const label = `${period.window} ${period.bucket} ${type ?? "points"}`;
          expect(await first.leaderboard({ period, type, limit: 100, after: null }), label).toEqual(expected);
          // Paging through the other instance, three at a time, gives the same list.
          const paged: Standing[] = [];
          for (let page = 0; page < 10; page++) {
            const last = paged[paged.length - 1];
            const after = last ? { value: last.value, userId: last.userId } : null;
            const rows = await second.leaderboard({ period, type, limit: 3, after });
            if (rows.length === 0) break;
            paged.push(...rows);
          }
          expect(paged, `${label} paged`).toEqual(expected);
          for (const user of USERS) {
            const standing = expected.find((s) => s.userId === user) ?? null;
            expect(await second.standing(user, period, type), `${label} ${user}`).toEqual(standing);
          }
        }
        const tallies = await first.tallies(USERS, period);
        for (const tally of tallies) {
          const mine = events.filter(
            (e) =>
              e.userId === tally.userId &&
              periodsContaining(e.occurredAt).some(
                (p) => p.window === period.window && p.bucket === period.bucket,
              ),
          );
          expect([tally.count, tally.points]).toEqual([
            mine.length,
            mine.reduce((sum, e) => sum + e.points, 0),
          ]);
        }
      }

      // A rebuild from the log lands on the same numbers.
      expect(await first.rebuildAggregates()).toBe(events.length);
      // The other instance follows the generation flip within its one-second cache.
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      for (const period of periods.values()) {
        expect(await second.leaderboard({ period, type: null, limit: 100, after: null })).toEqual(
          bruteForce(events, period, null),
        );
      }
    });
  },
);
