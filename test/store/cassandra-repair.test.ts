/**
 * Crash and repair. A writer that dies mid-append leaves real, partial state in the tables; these
 * tests write that state with the store's own statements (no mocks), then check what readers,
 * a retry of the same event and rebuildAggregates() make of it. See docs/cassandra.md, "Failures".
 */
import cassandra from "cassandra-driver";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { dayOf, periodOf } from "../../src/domain/time.js";
import { Cql } from "../../src/store/cassandra/cql.js";
import type { EventStore } from "../../src/store/port.js";
import { event } from "../contract/store-contract.js";
import { cassandraForTests, openTestKeyspace, type TestKeyspace } from "../support/cassandra.js";

type Appendable = Parameters<EventStore["append"]>[0][number];

const target = await cassandraForTests();
const AT = "2024-06-10T12:00:00Z";
const day = periodOf("DAY", new Date(AT));
const ALL: [Date, Date] = [new Date("2000-01-01T00:00:00Z"), new Date("2100-01-01T00:00:00Z")];

describe.skipIf(target === null)("cassandra: a writer dies mid-append", { timeout: 120_000 }, () => {
  let keyspace: TestKeyspace;
  let cql: Cql;
  const warnings: string[] = [];

  beforeAll(async () => {
    keyspace = await openTestKeyspace(target!, "repair");
    cql = new Cql(keyspace.options.keyspace);
  }, 180_000);
  afterAll(async () => keyspace?.drop(), 120_000);
  beforeEach(async () => {
    await keyspace.truncate();
    warnings.length = 0;
  });

  /** A store that presumes writers dead at once and records its warnings. */
  const store = () => keyspace.store({ warn: (m) => warnings.push(m) }, { abandonedAfterMs: 0 });
  const run = (query: string, params: unknown[]) => keyspace.client.execute(query, params, { prepare: true });
  /** What a writer had done when it died: the gate row, and optionally the log row. */
  const diedAfter = async (e: Appendable, stage: "gate" | "log row" | "log"): Promise<void> => {
    const writer = cassandra.types.TimeUuid.now();
    await run(cql.gateInsert, [e.id, e.fingerprint, e.userId, e.occurredAt, writer]);
    if (stage === "gate") return;
    const day = dayOf(e.occurredAt);
    const row: unknown[] = [e.userId, day, e.occurredAt, e.id, e.type, e.repo, e.category, [...e.groups]];
    await run(cql.insertEvent, [...row, e.payload, e.points, e.ranked, e.fingerprint]);
    if (stage === "log") await run(cql.insertDay, [e.userId, day]);
  };
  const pointsOf = async (s: EventStore, user: string) => (await s.tallies([user], day))[0]?.points;
  const history = (s: EventStore, user: string) =>
    s.history({ userId: user, from: ALL[0], to: ALL[1], types: null, limit: 10, after: null });
  const gateApplied = async (id: string) =>
    (
      await run(`SELECT applied FROM ${keyspace.options.keyspace}.event_ids WHERE event_id = ?`, [id])
    ).first()?.["applied"];

  it("died after the log write: the event is durable, a retry is a duplicate, a rebuild counts it", async () => {
    const s = store();
    await s.append([event("ok", "bob", "PushEvent", AT, { points: 2 })]);
    const lost = event("x", "ann", "PushEvent", AT, { points: 7 });
    await diedAfter(lost, "log");
    expect((await history(s, "ann")).map((e) => e.id)).toEqual(["x"]);
    expect(await pointsOf(s, "ann")).toBe(0);

    expect(await s.append([lost])).toEqual(["duplicate"]);
    expect(warnings.join("\n")).toMatch(/rebuildAggregates/);
    expect(await pointsOf(s, "ann")).toBe(0); // a retry never touches counters: they may be half-applied

    expect(await s.rebuildAggregates()).toBe(2);
    expect(await pointsOf(s, "ann")).toBe(7);
    expect(await gateApplied("x")).toBe(true);
    expect(await s.leaderboard({ period: day, type: null, limit: 10, after: null })).toEqual([
      { userId: "ann", value: 7, rank: 1 },
      { userId: "bob", value: 2, rank: 2 },
    ]);
  });

  it("died after the log write: a rebuild recounts the report cells and deletes the old generation's", async () => {
    const s = store();
    await s.append([event("r1", "bob", "PushEvent", AT, { points: 2, groups: ["acme", "oss"] })]);
    await diedAfter(event("r2", "ann", "IssuesEvent", AT, { points: 5 }), "log");
    const users = async (scope: "all" | "group") =>
      (await s.reportCells(day.bucket, scope))
        .map((c) => `${c.userId}:${c.group}:${c.events}:${c.points}`)
        .sort();
    expect(await users("all")).toEqual(["bob:null:1:2"]);
    expect(await s.rebuildAggregates()).toBe(2);
    expect(await users("all")).toEqual(["ann:null:1:5", "bob:null:1:2"]);
    expect(await users("group")).toEqual(["ann:null:1:5", "bob:acme:1:2", "bob:oss:1:2"]);
    for (const scope of ["all", "group"]) {
      const old = await run(
        `SELECT count(*) AS n FROM ${keyspace.options.keyspace}.report_cells_by_day
        WHERE generation = 0 AND day = ? AND scope = ?`,
        [day.bucket, scope],
      );
      expect(Number(old.first()?.["n"]), scope).toBe(0);
    }
  });

  it("died between the log row and its day index: a rebuild restores the day, history finds it", async () => {
    const s = store();
    const lost = event("w", "ann", "PushEvent", AT, { points: 1 });
    await diedAfter(lost, "log row");
    expect(await history(s, "ann")).toEqual([]);
    expect(await s.rebuildAggregates()).toBe(1);
    expect((await history(s, "ann")).map((e) => e.id)).toEqual(["w"]);
    expect(await pointsOf(s, "ann")).toBe(1);
  });

  it("died after the gate: a retry writes the log row, a rebuild counts it", async () => {
    const s = store();
    const lost = event("y", "ann", "IssuesEvent", AT, { points: 4 });
    await diedAfter(lost, "gate");
    expect(await history(s, "ann")).toEqual([]);
    expect(await s.append([lost])).toEqual(["duplicate"]);
    expect((await history(s, "ann")).map((e) => e.id)).toEqual(["y"]);
    expect(await s.rebuildAggregates()).toBe(1);
    expect(await pointsOf(s, "ann")).toBe(4);
    expect(await s.append([lost])).toEqual(["duplicate"]);
    expect(await pointsOf(s, "ann")).toBe(4);
  });

  it("died after the gate, never retried: a rebuild drops the gate row so the event can be sent again", async () => {
    const s = store();
    const lost = event("z", "ann", "PushEvent", AT, { points: 3 });
    await diedAfter(lost, "gate");
    expect(await s.rebuildAggregates()).toBe(0);
    expect(await gateApplied("z")).toBeUndefined();
    expect(await s.append([lost])).toEqual(["inserted"]);
    expect(await pointsOf(s, "ann")).toBe(3);
    expect(await s.standing("ann", day, null)).toEqual({ userId: "ann", value: 3, rank: 1 });
  });

  it("died between the counter and the sorted row: readers heal the stale row", async () => {
    const s = store();
    await s.append([
      event("a1", "ann", "PushEvent", AT, { points: 2 }),
      event("b1", "bob", "PushEvent", AT, { points: 5 }),
    ]);
    // ann's next event reached the counters (+6 points) but not leaderboard_by_value.
    await run(cql.bumpLeaderboard, [6, 0, day.window, day.bucket, "*", "ann"]);
    expect(await s.leaderboard({ period: day, type: null, limit: 10, after: null })).toEqual([
      { userId: "ann", value: 8, rank: 1 },
      { userId: "bob", value: 5, rank: 2 },
    ]);
    expect(await s.standing("bob", day, null)).toEqual({ userId: "bob", value: 5, rank: 2 });
    // The healed row is in the table now, not only in that one answer.
    const rows = await run(
      `SELECT user_id, value FROM ${keyspace.options.keyspace}.leaderboard_by_value
      WHERE generation = 0 AND time_window = ? AND bucket = ? AND metric = '*'`,
      [day.window, day.bucket],
    );
    expect(rows.rows.map((r) => [String(r["user_id"]), Number(r["value"])])).toEqual([
      ["ann", 8],
      ["bob", 5],
    ]);
  });
});
