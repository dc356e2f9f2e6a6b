/**
 * Report rollups in day and month partitions split by a hash bucket of their users (cql/011): the
 * bucket is stable across versions and spreads even one user's rows; on a real Cassandra the
 * buckets hold disjoint users, so reports (sets joined, or counts added) equal the brute force,
 * through a replay with a cold cache, and a report makes one request per month and shard.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createClient } from "../../src/store/cassandra/index.js";
import { CassandraLogFedStore } from "../../src/store/cassandra/log-fed-store.js";
import {
  DAY_ROLLUP_BUCKETS,
  MONTH_ROLLUP_BUCKETS,
  rollupBucketOf,
} from "../../src/store/cassandra/shard/rollup-buckets.js";
import type { LogRecord, ReportScope, StoredEvent } from "../../src/store/port.js";
import { event } from "../contract/store-contract.js";
import { cassandraForTests, uniqueKeyspace } from "../support/cassandra.js";
import { InProcessLog } from "../support/in-process-log.js";
import { expectExactAggregates, rollupLines } from "../support/log-fed-truth.js";

const row = (day: string, userId: string, type: string, group: string) => ({ day, userId, type, group });

describe("rollupBucketOf", () => {
  it("places users where stored rows are: FNV-1a of (user, type, group), mod 16 a day and 256 a month", () => {
    // Expected values from an independent FNV-1a (Python, over UTF-16 code units, 0xffff after
    // each part). A change here strands every stored rollup in a bucket nobody reads.
    expect(rollupBucketOf(row("2024-06-10", "alice", "PushEvent", ""))).toBe(10);
    expect(rollupBucketOf(row("2024-06", "alice", "PushEvent", ""))).toBe(106);
    expect(rollupBucketOf(row("2024-06-10", "bob", "IssuesEvent", "acme"))).toBe(11);
    expect(rollupBucketOf(row("2024-06", "bob", "IssuesEvent", "acme"))).toBe(123);
    expect(rollupBucketOf(row("2024-06-10", "ünïcødé-😀", "WatchEvent", "o"))).toBe(9);
    expect(rollupBucketOf(row("2024-06", "ünïcødé-😀", "WatchEvent", "o"))).toBe(153);
  });

  it("spreads one user's rows over every bucket of a day and of a month", () => {
    // The busiest user is an element of thousands of (type, group) rows: they must not share a bucket.
    for (const [period, buckets] of [
      ["2024-06-10", DAY_ROLLUP_BUCKETS],
      ["2024-06", MONTH_ROLLUP_BUCKETS],
    ] as const) {
      const counts = new Array<number>(buckets).fill(0);
      for (let i = 0; i < buckets * 1_000; i++) {
        counts[rollupBucketOf(row(period, "user-0", "PushEvent", `org-${i}`))]! += 1;
      }
      // 1,000 expected per bucket; a fair hash stays well within ±20 %.
      expect(Math.min(...counts)).toBeGreaterThan(800);
      expect(Math.max(...counts)).toBeLessThan(1_200);
    }
  });
});

const target = await cassandraForTests();
const SHARDS = 2;
const DAYS = ["2024-06-10", "2024-06-11"];
const TYPES = ["PushEvent", "IssuesEvent"];

/** Distinct users, events and points per (period, type, group) from the events: the brute force. */
function truth(
  events: readonly StoredEvent[],
  scope: ReportScope,
  period: (day: string) => string,
): string[] {
  const rows = new Map<string, { events: number; points: number; users: Set<string> }>();
  for (const e of events) {
    const day = e.occurredAt.toISOString().slice(0, 10);
    const groups = scope === "all" || e.groups.length === 0 ? [""] : e.groups;
    for (const group of groups) {
      const key = `${period(day)}|${e.type}|${group}`;
      const r = rows.get(key) ?? { events: 0, points: 0, users: new Set<string>() };
      r.events += 1;
      r.points += e.points;
      r.users.add(e.userId);
      rows.set(key, r);
    }
  }
  return [...rows].map(([k, r]) => `${k}=${r.events},${r.points},${r.users.size}`).sort();
}

describe.skipIf(target === null)("cassandra: rollups in buckets (cql/011)", { timeout: 120_000 }, () => {
  const options = { ...target!, keyspace: uniqueKeyspace("rollbk") };
  const client = createClient(options);
  const store = new CassandraLogFedStore(client, options, { ownsClient: false });
  // A heavy user in many groups (its rows must spread over the buckets) and a few light ones
  // that share its rows (their users must add up across buckets, not twice).
  const events: StoredEvent[] = Array.from({ length: 400 }, (_, i) => {
    const heavy = i % 4 !== 0;
    return event(
      `rb-${i}`,
      heavy ? "heavy" : `light-${i % 9}`,
      TYPES[i % 2]!,
      `${DAYS[i % 2]}T${String(i % 24).padStart(2, "0")}:${String(i % 60).padStart(2, "0")}:00Z`,
      { points: (i % 5) + 1, groups: i % 3 === 0 ? [] : [`org-${i % 40}`, ...(i % 7 === 0 ? ["acme"] : [])] },
    );
  });

  beforeAll(async () => {
    await client.connect();
    await store.migrate();
  });

  afterAll(async () => {
    await client.execute(`DROP KEYSPACE IF EXISTS ${options.keyspace}`);
    await client.shutdown();
  });

  it("splits rows over buckets of disjoint users; reports by sets and by counts equal the brute force, after a replay too", async () => {
    const log = new InProcessLog(store, SHARDS);
    await log.append(events);
    await expectExactAggregates(client, options.keyspace, events, (user) => log.shardOf(user));

    // The heavy user's rows of one day and scope are spread over (nearly) every bucket.
    const heavyShard = log.shardOf("heavy");
    const buckets = await client.execute(
      `SELECT DISTINCT period, scope, shard, bucket FROM ${options.keyspace}.report_rollup_buckets`,
    );
    const dayBuckets = buckets.rows.filter(
      (r) => r["period"] === DAYS[0] && r["scope"] === "group" && r["shard"] === heavyShard,
    );
    expect(dayBuckets.length).toBeGreaterThan(DAY_ROLLUP_BUCKETS / 2);
    const monthBuckets = buckets.rows.filter(
      (r) => r["period"] === "2024-06" && r["scope"] === "group" && r["shard"] === heavyShard,
    );
    expect(monthBuckets.length).toBeGreaterThan(30);

    const check = async (): Promise<void> => {
      for (const scope of ["all", "group"] as const) {
        const byDay = truth(events, scope, (day) => day);
        expect(rollupLines(await store.reportRollups(DAYS, scope))).toEqual(byDay);
        expect(rollupLines(await store.reportRollups(DAYS, scope, "count"))).toEqual(byDay);
        const byMonth = truth(events, scope, (day) => day.slice(0, 7));
        expect(rollupLines(await store.reportMonthRollups(["2024-06"], scope))).toEqual(byMonth);
        expect(rollupLines(await store.reportMonthRollups(["2024-06"], scope, "count"))).toEqual(byMonth);
      }
    };
    await check();

    // A replay of every record by new writers with cold caches (a crash before the commit, or a
    // rebalance), in other batches: nothing counted twice in any bucket.
    const records: LogRecord[][] = Array.from({ length: SHARDS }, () => []);
    for (const e of events) {
      const list = records[log.shardOf(e.userId)]!;
      list.push({ offset: list.length, event: e });
    }
    for (const [shard, list] of records.entries()) {
      const writer = await store.openShard(shard, SHARDS);
      for (let i = 0; i < list.length; i += 37) await writer.apply(list.slice(i, i + 37));
    }
    await expectExactAggregates(client, options.keyspace, events, (user) => log.shardOf(user));
    await check();
  });

  it("reads a month of days, or a month row, in one request per shard", async () => {
    const execute = vi.spyOn(client, "execute");
    try {
      await store.reportRollups(DAYS, "group", "count");
      const dayReads = execute.mock.calls.filter(([query]) =>
        String(query).includes("report_rollup_buckets"),
      );
      expect(dayReads).toHaveLength(SHARDS);
      execute.mockClear();
      await store.reportMonthRollups(["2024-05", "2024-06"], "all");
      const monthReads = execute.mock.calls.filter(([query]) =>
        String(query).includes("report_rollup_buckets"),
      );
      expect(monthReads).toHaveLength(2 * SHARDS);
    } finally {
      execute.mockRestore();
    }
  });
});
