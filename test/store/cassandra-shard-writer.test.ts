/**
 * The single-writer apply of the log-fed Cassandra store under the faults the fences exist for:
 * replays with other batch boundaries and cold caches (a crash or a rebalance), and a zombie
 * writer that keeps applying records its successor has already applied. After each, every
 * aggregate row must equal the brute force: nothing counted twice, no value moved backwards, no
 * stale board row left behind.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createClient } from "../../src/store/cassandra/index.js";
import { CassandraLogFedStore } from "../../src/store/cassandra/log-fed-store.js";
import type { LogRecord, StoredEvent } from "../../src/store/port.js";
import { event } from "../contract/store-contract.js";
import { cassandraForTests, uniqueKeyspace } from "../support/cassandra.js";
import { InProcessLog } from "../support/in-process-log.js";
import { expectExactAggregates, LOG_FED_TABLES, storedEvents } from "../support/log-fed-truth.js";
import { random } from "../support/fuzz.js";

const target = await cassandraForTests();
const SHARDS = 2;
const USERS = ["ann", "ben", "cat", "dan", "eve", "fay", "gus", "hal"];
const TYPES = ["PushEvent", "IssuesEvent", "WatchEvent"];

function makeEvents(count: number, seed: number): StoredEvent[] {
  const next = random(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  return Array.from({ length: count }, (_, i) => {
    const at = new Date(Date.UTC(2024, 5, 9 + Math.floor(next() * 3), Math.floor(next() * 24), i % 60));
    return event(`ev-${i}`, pick(USERS), pick(TYPES), at.toISOString(), {
      points: Math.floor(next() * 6),
      ranked: next() > 0.15,
      groups: next() > 0.5 ? ["acme"] : [],
      category: next() > 0.5 ? "acme" : null,
    });
  });
}

/** Each shard's records, numbered from 0 in input order. */
function recordsByShard(events: readonly StoredEvent[], shardOf: (user: string) => number): LogRecord[][] {
  const shards: LogRecord[][] = Array.from({ length: SHARDS }, () => []);
  for (const e of events) {
    const list = shards[shardOf(e.userId)]!;
    list.push({ offset: list.length, event: e });
  }
  return shards;
}

function slices<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

if (target === null) {
  describe.skip("log-fed shard writer", () => {
    it.skip("needs a Cassandra (see test/support/cassandra.ts)", () => {});
  });
} else {
  describe("log-fed shard writer: replays and zombies", { timeout: 120_000 }, () => {
    const options = {
      contactPoints: target.contactPoints,
      localDataCenter: target.localDataCenter,
      keyspace: uniqueKeyspace("shardw"),
    };
    const client = createClient(options);
    let store: CassandraLogFedStore;
    const shardOf = (user: string): number => new InProcessLog(store, SHARDS).shardOf(user);

    beforeAll(async () => {
      await client.connect();
      store = new CassandraLogFedStore(client, options, { ownsClient: false });
      await store.migrate();
    });

    beforeEach(async () => {
      for (const table of LOG_FED_TABLES) {
        await client.execute(`TRUNCATE ${options.keyspace}.${table}`);
      }
    });

    afterAll(async () => {
      await client.execute(`DROP KEYSPACE IF EXISTS ${options.keyspace}`);
      await client.shutdown();
    });

    it("replays whole and partial batches, with other boundaries and cold caches, to the same rows", async () => {
      const events = makeEvents(400, 7);
      const shards = recordsByShard(events, shardOf);
      for (const [shard, records] of shards.entries()) {
        const first = await store.openShard(shard, SHARDS);
        for (const batch of slices(records, 7)) await first.apply(batch);
        // A successor with a cold cache replays from an older commit point, in other batches.
        const second = await store.openShard(shard, SHARDS);
        for (const batch of slices(records.slice(100), 13)) {
          const applied = await second.apply(batch);
          expect(applied.outcomes.every((o) => o === "inserted")).toBe(true);
        }
        // And the warm first writer sees a late redelivery of a middle range.
        await first.apply(records.slice(50, 260));
      }
      await expectExactAggregates(client, options.keyspace, events, shardOf);
      expect(await store.appliedOffsets()).toEqual(new Map(shards.map((r, s) => [s, r.length - 1])));
      // Log rows written again by every replay still read back as written (no list doubled).
      for (const e of events.filter((e) => e.groups.length > 0).slice(0, 20)) {
        const [read] = await store
          .history({
            userId: e.userId,
            from: e.occurredAt,
            to: new Date(e.occurredAt.getTime() + 1),
            types: [e.type],
            limit: 100,
            after: null,
          })
          .then((rows) => rows.filter((row) => row.id === e.id));
        expect(read?.groups).toEqual(e.groups);
      }
    });

    it("ignores a zombie that applies records its successor has already applied", async () => {
      const events = makeEvents(300, 11);
      const shards = recordsByShard(events, shardOf);
      for (const [shard, records] of shards.entries()) {
        const zombie = await store.openShard(shard, SHARDS);
        const half = Math.floor(records.length / 3);
        await zombie.apply(records.slice(0, half));
        // The partition moves on: the successor reads the zombie's rows and applies far beyond.
        const successor = await store.openShard(shard, SHARDS);
        await successor.apply(records.slice(0, 2 * half));
        // The zombie, with its cache from before, still applies its next batch late.
        await zombie.apply(records.slice(half, 2 * half - 5));
        await expectExactAggregates(
          client,
          options.keyspace,
          shards
            .flatMap((r, s) => (s < shard ? r : s === shard ? r.slice(0, 2 * half) : []))
            .map((r) => r.event),
          shardOf,
        );
        await successor.apply(records.slice(2 * half));
        await zombie.apply(records.slice(2 * half - 5, 2 * half + 3));
      }
      await expectExactAggregates(client, options.keyspace, events, shardOf);
    });

    it("never plans from a mix of a zombie's cached rows and its successor's newer ones", async () => {
      // A cache of a few rows: the zombie keeps some rows as it left them and reads others again,
      // newer, as its successor wrote them. Planned from both, board_values would go wrong.
      const small = new CassandraLogFedStore(client, options, { ownsClient: false, cacheSize: 4 });
      const events = makeEvents(300, 23);
      const shards = recordsByShard(events, shardOf);
      for (const [shard, records] of shards.entries()) {
        const third = Math.floor(records.length / 3);
        const zombie = await small.openShard(shard, SHARDS);
        await zombie.apply(records.slice(0, third));
        const successor = await small.openShard(shard, SHARDS);
        await successor.apply(records.slice(third, 2 * third));
        // The zombie goes on from where it was, past what its successor has applied, in small
        // batches; then the successor catches up with the rest.
        for (const batch of slices(records.slice(third, 2 * third + 20), 9)) await zombie.apply(batch);
        await successor.apply(records.slice(2 * third));
      }
      await expectExactAggregates(client, options.keyspace, events, shardOf);
    });

    it("counts an id once per user, first content wins, and a second user's copy conflicts", async () => {
      const a = event("same", "ann", "PushEvent", "2024-06-10T10:00:00Z", { points: 2 });
      const changed = event("same", "ann", "PushEvent", "2024-06-10T11:00:00Z", { points: 2 });
      const other = event("same", "ben", "PushEvent", "2024-06-10T10:00:00Z", { points: 2 });
      const log = new InProcessLog(store, SHARDS);
      expect(await log.append([a, a])).toEqual(["inserted", "duplicate"]);
      expect(await log.append([changed, a, other])).toEqual(["conflict", "duplicate", "conflict"]);
      log.reopen();
      expect(await log.append([a])).toEqual(["duplicate"]);
      await expectExactAggregates(client, options.keyspace, [a], shardOf);
    });

    it("spills a heavy day into quarters of an hour, exactly once through replays, and reads it back as one history", async () => {
      // A threshold of 4 events per user and day: most days of this input spill.
      const heavy = new CassandraLogFedStore(
        client,
        { ...options, daySplitEvents: 4 },
        { ownsClient: false },
      );
      const events = makeEvents(400, 23);
      const shards = recordsByShard(events, shardOf);
      for (const [shard, records] of shards.entries()) {
        const first = await heavy.openShard(shard, SHARDS);
        for (const batch of slices(records, 7)) await first.apply(batch);
        const second = await heavy.openShard(shard, SHARDS);
        for (const batch of slices(records.slice(90), 13)) await second.apply(batch);
        await first.apply(records.slice(40, 250));
      }
      await expectExactAggregates(client, options.keyspace, events, shardOf);
      // Every event has exactly one log row, in one of the two tables.
      const logged = (await storedEvents(client, options.keyspace)).map((e) => e.id).sort();
      expect(logged).toEqual(events.map((e) => e.id).sort());
      const spilled = await client.execute(
        `SELECT COUNT(*) AS n FROM ${options.keyspace}.events_by_user_quarter`,
      );
      expect(Number(spilled.first()?.["n"])).toBeGreaterThan(100);

      // Paged history, whole range and a filtered sub-range, equals the brute force for every user.
      const newestFirst = (a: StoredEvent, b: StoredEvent): number =>
        b.occurredAt.getTime() - a.occurredAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
      const cases = [
        { from: new Date("2024-06-09T00:00:00Z"), to: new Date("2024-06-12T00:00:00Z"), types: null },
        {
          from: new Date("2024-06-10T05:30:00Z"),
          to: new Date("2024-06-11T17:45:00Z"),
          types: ["PushEvent"],
        },
      ];
      for (const userId of USERS) {
        for (const { from, to, types } of cases) {
          const expected = events
            .filter((e) => e.userId === userId && e.occurredAt >= from && e.occurredAt < to)
            .filter((e) => types === null || types.includes(e.type))
            .sort(newestFirst)
            .map((e) => e.id);
          const read: string[] = [];
          let after: { occurredAtMs: number; eventId: string } | null = null;
          for (;;) {
            const page = await heavy.history({ userId, from, to, types, limit: 5, after });
            read.push(...page.map((e) => e.id));
            const last = page[page.length - 1];
            if (page.length < 5 || last === undefined) break;
            after = { occurredAtMs: last.occurredAt.getTime(), eventId: last.id };
          }
          expect(read).toEqual(expected);
        }
      }
      // A rebuild reads both tables.
      await heavy.rebuild();
      await expectExactAggregates(client, options.keyspace, events, shardOf);
    });
  });
}
