/**
 * The store contract: every EventStore adapter must pass this suite unchanged.
 * Each test gets a fresh, empty, migrated store from the factory.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fingerprintOf, type ActivityEvent } from "../../src/domain/event.js";
import { periodOf, type Period, type Window } from "../../src/domain/time.js";
import { percentileOf, QueryService } from "../../src/services/queries.js";
import type { BoardScope } from "../../src/store/aggregates.js";
import type { EventStore, ReportCell, ReportRollup, ReportScope, StoredEvent } from "../../src/store/port.js";
import { decodeUserSet } from "../../src/store/user-set.js";
import { CELL_BUCKETS, cellBucketOf } from "../../src/store/cassandra/shard/cell-buckets.js";
import { bruteBoard, githubReadyEvents } from "../support/board-truth.js";

export interface StoreHandle {
  readonly store: EventStore;
  /** Closes the store and removes what it created. */
  dispose(): Promise<void>;
}

export type StoreFactory = () => Promise<StoreHandle>;

type Appendable = Parameters<EventStore["append"]>[0][number];

export function event(
  id: string,
  userId: string,
  type: string,
  occurredAt: string,
  extra: Partial<Omit<ActivityEvent, "occurredAt">> & { points?: number; ranked?: boolean } = {},
): Appendable {
  const base: ActivityEvent = {
    id,
    userId,
    type,
    occurredAt: new Date(occurredAt),
    repo: extra.repo ?? null,
    category: extra.category ?? null,
    groups: extra.groups ?? [],
    payload: extra.payload ?? null,
  };
  return {
    ...base,
    points: extra.points ?? 1,
    ranked: extra.ranked ?? true,
    fingerprint: fingerprintOf(base),
  };
}

const ALL: [Date, Date] = [new Date("1970-01-01T00:00:00Z"), new Date("9999-01-01T00:00:00Z")];

export function describeStoreContract(name: string, factory: StoreFactory, timeoutMs = 30_000): void {
  describe(`EventStore contract: ${name}`, { timeout: timeoutMs }, () => {
    let handle: StoreHandle;
    let store: EventStore;

    beforeEach(async () => {
      handle = await factory();
      store = handle.store;
    }, timeoutMs * 2);

    afterEach(async () => {
      await handle.dispose();
    }, timeoutMs);

    const ids = (events: readonly StoredEvent[]): string[] => events.map((e) => e.id);
    const history = (
      userId: string,
      limit = 100,
      extra: Partial<Parameters<EventStore["history"]>[0]> = {},
    ) => store.history({ userId, from: ALL[0], to: ALL[1], types: null, limit, after: null, ...extra });
    const standing = async (userId: string, period: Period, type: string | null) =>
      (await store.standings([userId], period, type)).standings[0] ?? null;
    const pointsOf = async (userId: string, window: Window, at: string): Promise<number> =>
      (await store.tallies([userId], periodOf(window, new Date(at))))[0]?.points ?? -1;

    describe("append and idempotency", () => {
      it("stores an event with every field and reads it back unchanged", async () => {
        const e = event("e1", "alice", "PushEvent", "2024-03-05T10:11:12.345Z", {
          repo: "acme/api",
          category: "acme",
          groups: ["acme", "core"],
          payload: '{"size":3,"text":"héllo ✓"}',
          points: 7,
        });
        expect(await store.append([e])).toEqual(["inserted"]);
        const [read] = await history("alice");
        expect(read).toEqual(e);
        expect(read?.occurredAt.toISOString()).toBe("2024-03-05T10:11:12.345Z");
      });

      it("treats a re-sent event as a duplicate and changes no count", async () => {
        const e = event("e1", "alice", "PushEvent", "2024-03-05T10:00:00Z", { points: 2 });
        await store.append([e]);
        expect(await store.append([e, e])).toEqual(["duplicate", "duplicate"]);
        expect(await history("alice")).toHaveLength(1);
        expect(await pointsOf("alice", "ALL_TIME", "2024-03-05T00:00:00Z")).toBe(2);
        const board = await store.leaderboard({
          period: periodOf("DAY", e.occurredAt),
          type: null,
          limit: 10,
          after: null,
        });
        expect(board).toEqual([{ userId: "alice", value: 2, rank: 1 }]);
      });

      it("reports a conflict when an id is reused with other content, and keeps the first write", async () => {
        await store.append([event("e1", "alice", "PushEvent", "2024-03-05T10:00:00Z", { points: 2 })]);
        const other = event("e1", "bob", "IssuesEvent", "2024-03-06T10:00:00Z", { points: 5 });
        expect(await store.append([other])).toEqual(["conflict"]);
        expect(ids(await history("alice"))).toEqual(["e1"]);
        expect(await history("bob")).toEqual([]);
        expect(await pointsOf("bob", "ALL_TIME", "2024-03-06T00:00:00Z")).toBe(0);
      });

      it("stores an id repeated inside one batch once", async () => {
        const a = event("e1", "alice", "PushEvent", "2024-03-05T10:00:00Z");
        const b = event("e1", "alice", "WatchEvent", "2024-03-05T10:00:00Z");
        expect(await store.append([a, a, b])).toEqual(["inserted", "duplicate", "conflict"]);
        expect(await history("alice")).toHaveLength(1);
        expect(await pointsOf("alice", "DAY", "2024-03-05T00:00:00Z")).toBe(1);
      });

      it("accepts an empty batch", async () => {
        expect(await store.append([])).toEqual([]);
      });

      it("keeps events with the same timestamp apart by id", async () => {
        const t = "2024-03-05T10:00:00Z";
        await store.append([event("b", "alice", "PushEvent", t), event("a", "alice", "PushEvent", t)]);
        expect(ids(await history("alice"))).toEqual(["b", "a"]);
      });
    });

    describe("history", () => {
      beforeEach(async () => {
        await store.append([
          event("d1", "alice", "PushEvent", "2024-02-28T23:59:59.999Z"),
          event("d2", "alice", "IssuesEvent", "2024-02-29T00:00:00.000Z"),
          event("d3", "alice", "PushEvent", "2024-02-29T12:00:00.000Z"),
          event("d4", "alice", "WatchEvent", "2024-03-01T00:00:00.000Z"),
          event("d5", "alice", "PushEvent", "2024-03-03T08:00:00.000Z"),
          event("x1", "bob", "PushEvent", "2024-02-29T12:00:00.000Z"),
        ]);
      });

      it("returns a user's events newest first, and only that user's", async () => {
        expect(ids(await history("alice"))).toEqual(["d5", "d4", "d3", "d2", "d1"]);
        expect(ids(await history("bob"))).toEqual(["x1"]);
        expect(await history("nobody")).toEqual([]);
      });

      it("includes `from` and excludes `to` at millisecond precision across day partitions", async () => {
        const page = await history("alice", 100, {
          from: new Date("2024-02-28T23:59:59.999Z"),
          to: new Date("2024-03-01T00:00:00.000Z"),
        });
        expect(ids(page)).toEqual(["d3", "d2", "d1"]);
        const later = await history("alice", 100, {
          from: new Date("2024-02-29T00:00:00.001Z"),
          to: new Date("2024-03-03T08:00:00.001Z"),
        });
        expect(ids(later)).toEqual(["d5", "d4", "d3"]);
      });

      it("returns nothing for an empty or inverted range", async () => {
        const t = new Date("2024-02-29T12:00:00Z");
        expect(await history("alice", 100, { from: t, to: t })).toEqual([]);
        expect(await history("alice", 100, { from: t, to: new Date("2024-02-01T00:00:00Z") })).toEqual([]);
      });

      it("filters by type", async () => {
        expect(ids(await history("alice", 100, { types: ["PushEvent"] }))).toEqual(["d5", "d3", "d1"]);
        expect(ids(await history("alice", 100, { types: ["WatchEvent", "IssuesEvent"] }))).toEqual([
          "d4",
          "d2",
        ]);
        expect(await history("alice", 100, { types: ["NoSuchEvent"] })).toEqual([]);
        expect(await history("alice", 100, { types: [] })).toEqual([]);
      });

      it("pages with a cursor without gaps or repeats, across partitions", async () => {
        const seen: string[] = [];
        let after: { occurredAtMs: number; eventId: string } | null = null;
        for (let page = 0; page < 10; page++) {
          const rows = await history("alice", 2, { after });
          if (rows.length === 0) break;
          seen.push(...ids(rows));
          const last = rows[rows.length - 1]!;
          after = { occurredAtMs: last.occurredAt.getTime(), eventId: last.id };
        }
        expect(seen).toEqual(["d5", "d4", "d3", "d2", "d1"]);
      });

      it("resumes inside a run of equal timestamps", async () => {
        const t = "2024-05-01T00:00:00Z";
        await store.append(["c", "a", "d", "b"].map((id) => event(id, "carol", "PushEvent", t)));
        const first = await history("carol", 2);
        expect(ids(first)).toEqual(["d", "c"]);
        const rest = await history("carol", 10, {
          after: { occurredAtMs: new Date(t).getTime(), eventId: "c" },
        });
        expect(ids(rest)).toEqual(["b", "a"]);
      });

      it("merges several types in history order, across a run of equal timestamps, page by page", async () => {
        const t = "2024-05-01T00:00:00Z";
        const types = ["A1", "B2", "C3", "D4", "E5", "F6", "G7", "H8", "I9"];
        await store.append([
          ...["q", "m", "z", "a"].map((id, i) => event(id, "dana", types[i % 3]!, t)),
          event("late", "dana", "B2", "2024-05-02T00:00:00Z"),
          event("early", "dana", "C3", "2024-04-30T00:00:00Z"),
          ...types.map((type, i) => event(`x${i}`, "dana", type, "2024-04-29T00:00:00Z")),
        ]);
        const all = ids(await history("dana", 100));
        for (const filter of [["A1", "B2"], ["B2", "C3", "A1"], types]) {
          const expected = all.filter((id) => {
            const e = id === "late" ? "B2" : id === "early" ? "C3" : null;
            const type =
              e ??
              (id.startsWith("x")
                ? types[Number(id.slice(1))]!
                : types[["q", "m", "z", "a"].indexOf(id) % 3]!);
            return filter.includes(type);
          });
          const seen: string[] = [];
          let after: { occurredAtMs: number; eventId: string } | null = null;
          for (let page = 0; page < 20; page++) {
            const rows = await history("dana", 2, { types: filter, after });
            if (rows.length === 0) break;
            seen.push(...ids(rows));
            const last = rows[rows.length - 1]!;
            after = { occurredAtMs: last.occurredAt.getTime(), eventId: last.id };
          }
          expect(seen).toEqual(expected);
        }
      });

      it("combines a cursor with a type filter and a range", async () => {
        const rows = await history("alice", 1, {
          types: ["PushEvent"],
          from: new Date("2024-02-29T00:00:00Z"),
          after: { occurredAtMs: new Date("2024-03-03T08:00:00Z").getTime(), eventId: "d5" },
        });
        expect(ids(rows)).toEqual(["d3"]);
      });
    });

    describe("tallies per window", () => {
      it("counts per type and sums points per day, ISO week, month and all time", async () => {
        await store.append([
          // Sunday 2023-12-31 is in ISO week 2023-W52 (Monday 2023-12-25), December, year 2023.
          event("a", "alice", "PushEvent", "2023-12-31T23:59:59.999Z", { points: 2 }),
          // Monday 2024-01-01 starts a new day, week, month and year.
          event("b", "alice", "PushEvent", "2024-01-01T00:00:00.000Z", { points: 2 }),
          event("c", "alice", "IssuesEvent", "2024-01-01T05:00:00.000Z", { points: 4 }),
          // Sunday 2024-01-07 is still the week of Monday 2024-01-01.
          event("d", "alice", "WatchEvent", "2024-01-07T23:00:00.000Z", { points: 1 }),
          event("e", "alice", "PushEvent", "2024-01-31T23:00:00.000Z", { points: 2 }),
          event("f", "alice", "PushEvent", "2024-02-01T00:00:00.000Z", { points: 2 }),
        ]);
        expect(await pointsOf("alice", "DAY", "2023-12-31T12:00:00Z")).toBe(2);
        expect(await pointsOf("alice", "DAY", "2024-01-01T23:59:59Z")).toBe(6);
        expect(await pointsOf("alice", "WEEK", "2023-12-28T00:00:00Z")).toBe(2);
        expect(await pointsOf("alice", "WEEK", "2024-01-03T00:00:00Z")).toBe(7);
        expect(await pointsOf("alice", "WEEK", "2024-01-08T00:00:00Z")).toBe(0);
        expect(await pointsOf("alice", "MONTH", "2023-12-01T00:00:00Z")).toBe(2);
        expect(await pointsOf("alice", "MONTH", "2024-01-15T00:00:00Z")).toBe(9);
        expect(await pointsOf("alice", "MONTH", "2024-02-29T00:00:00Z")).toBe(2);
        expect(await pointsOf("alice", "ALL_TIME", "2030-01-01T00:00:00Z")).toBe(13);

        const [jan] = await store.tallies(["alice"], periodOf("MONTH", new Date("2024-01-10T00:00:00Z")));
        expect(jan).toEqual({
          userId: "alice",
          count: 4,
          points: 9,
          byType: [
            { type: "IssuesEvent", count: 1, points: 4 },
            { type: "PushEvent", count: 2, points: 4 },
            { type: "WatchEvent", count: 1, points: 1 },
          ],
        });
      });

      it("answers many users at once, in request order, with zeros for unknown users", async () => {
        await store.append([
          event("a", "alice", "PushEvent", "2024-01-01T00:00:00Z", { points: 2 }),
          event("b", "bob", "PushEvent", "2024-01-01T00:00:00Z", { points: 3 }),
        ]);
        const tallies = await store.tallies(["bob", "ghost", "alice"], periodOf("ALL_TIME", new Date()));
        expect(tallies.map((t) => [t.userId, t.points, t.count])).toEqual([
          ["bob", 3, 1],
          ["ghost", 0, 0],
          ["alice", 2, 1],
        ]);
        expect(tallies[1]?.byType).toEqual([]);
        expect(await store.tallies([], periodOf("ALL_TIME", new Date()))).toEqual([]);
      });

      it("counts unranked events in tallies but not in leaderboards", async () => {
        await store.append([
          event("a", "robot[bot]", "PushEvent", "2024-01-01T00:00:00Z", { points: 2, ranked: false }),
          event("b", "alice", "PushEvent", "2024-01-01T00:00:00Z", { points: 2 }),
        ]);
        expect(await pointsOf("robot[bot]", "DAY", "2024-01-01T00:00:00Z")).toBe(2);
        const period = periodOf("DAY", new Date("2024-01-01T00:00:00Z"));
        expect(await store.leaderboard({ period, type: null, limit: 10, after: null })).toEqual([
          { userId: "alice", value: 2, rank: 1 },
        ]);
        expect(await standing("robot[bot]", period, null)).toBeNull();
        const [bot] = await history("robot[bot]");
        expect(bot?.ranked).toBe(false);
      });
    });

    describe("leaderboards", () => {
      const day = periodOf("DAY", new Date("2024-06-10T00:00:00Z"));
      beforeEach(async () => {
        // points: dave 10, alice 5, bob 5, carol 5, erin 1; erin's other event is on another day.
        await store.append([
          event("1", "dave", "PullRequestEvent", "2024-06-10T01:00:00Z", { points: 10 }),
          event("2", "bob", "PushEvent", "2024-06-10T02:00:00Z", { points: 2 }),
          event("3", "bob", "IssuesEvent", "2024-06-10T03:00:00Z", { points: 3 }),
          event("4", "carol", "IssuesEvent", "2024-06-10T04:00:00Z", { points: 5 }),
          event("5", "alice", "PushEvent", "2024-06-10T05:00:00Z", { points: 2 }),
          event("6", "alice", "PushEvent", "2024-06-10T06:00:00Z", { points: 3 }),
          event("7", "erin", "WatchEvent", "2024-06-10T07:00:00Z", { points: 1 }),
          event("8", "erin", "PullRequestEvent", "2024-06-11T07:00:00Z", { points: 50 }),
        ]);
      });

      it("orders by points, breaks ties by user id, and gives tied users one rank", async () => {
        expect(await store.leaderboard({ period: day, type: null, limit: 10, after: null })).toEqual([
          { userId: "dave", value: 10, rank: 1 },
          { userId: "alice", value: 5, rank: 2 },
          { userId: "bob", value: 5, rank: 2 },
          { userId: "carol", value: 5, rank: 2 },
          { userId: "erin", value: 1, rank: 5 },
        ]);
      });

      it("keeps ranks right when a page starts inside a tie", async () => {
        const first = await store.leaderboard({ period: day, type: null, limit: 3, after: null });
        expect(first.map((s) => s.userId)).toEqual(["dave", "alice", "bob"]);
        const second = await store.leaderboard({
          period: day,
          type: null,
          limit: 3,
          after: { value: 5, userId: "bob" },
        });
        expect(second).toEqual([
          { userId: "carol", value: 5, rank: 2 },
          { userId: "erin", value: 1, rank: 5 },
        ]);
        const third = await store.leaderboard({
          period: day,
          type: null,
          limit: 3,
          after: { value: 1, userId: "erin" },
        });
        expect(third).toEqual([]);
      });

      it("ranks by the count of one type", async () => {
        expect(await store.leaderboard({ period: day, type: "PushEvent", limit: 10, after: null })).toEqual([
          { userId: "alice", value: 2, rank: 1 },
          { userId: "bob", value: 1, rank: 2 },
        ]);
        expect(await store.leaderboard({ period: day, type: "NoSuchEvent", limit: 10, after: null })).toEqual(
          [],
        );
      });

      it("keeps each window separate", async () => {
        const week = periodOf("WEEK", new Date("2024-06-12T00:00:00Z"));
        const top = await store.leaderboard({ period: week, type: null, limit: 2, after: null });
        expect(top).toEqual([
          { userId: "erin", value: 51, rank: 1 },
          { userId: "dave", value: 10, rank: 2 },
        ]);
        const otherDay = periodOf("DAY", new Date("2024-06-11T00:00:00Z"));
        expect(await store.leaderboard({ period: otherDay, type: null, limit: 10, after: null })).toEqual([
          { userId: "erin", value: 50, rank: 1 },
        ]);
      });

      it("gives a user's standing, or null without ranked events", async () => {
        expect(await standing("carol", day, null)).toEqual({ userId: "carol", value: 5, rank: 2 });
        expect(await standing("erin", day, null)).toEqual({ userId: "erin", value: 1, rank: 5 });
        expect(await standing("bob", day, "IssuesEvent")).toEqual({ userId: "bob", value: 1, rank: 1 });
        expect(await standing("ghost", day, null)).toBeNull();
        expect(await standing("dave", day, "PushEvent")).toBeNull();
      });

      it("moves users as new events arrive", async () => {
        await store.append([event("9", "erin", "PushEvent", "2024-06-10T23:59:59.999Z", { points: 20 })]);
        const board = await store.leaderboard({ period: day, type: null, limit: 2, after: null });
        expect(board).toEqual([
          { userId: "erin", value: 21, rank: 1 },
          { userId: "dave", value: 10, rank: 2 },
        ]);
      });
    });

    describe("ranks and board sizes on real GH Archive events", () => {
      const events = githubReadyEvents(2_000);
      const boards: [Period, string | null][] = [
        [periodOf("ALL_TIME", new Date()), null],
        [periodOf("DAY", new Date("2015-01-01T00:30:00Z")), "PushEvent"],
        [periodOf("MONTH", new Date("2015-01-01T00:30:00Z")), "WatchEvent"],
      ];

      it("gives users top to bottom the ranks, pages and board sizes that brute force gives", async () => {
        for (let i = 0; i < events.length; i += 500) await store.append(events.slice(i, i + 500));
        for (const [period, type] of boards) {
          const truth = bruteBoard(events, period, type);
          expect(truth.length).toBeGreaterThan(50);
          const sample = [...truth.slice(0, 5), ...truth.filter((_, i) => i % 41 === 7), ...truth.slice(-5)];
          // One user at a time, and many at once (the stores take another path for many).
          for (const expected of [...sample.slice(0, 3), ...sample.slice(-3)]) {
            expect(await standing(expected.userId, period, type)).toEqual(expected);
          }
          const batch = await store.standings([...sample.map((s) => s.userId), "nobody"], period, type);
          expect(batch.total).toBe(truth.length);
          expect(batch.standings).toEqual([...sample, null]);
          expect((await store.standings([], period, type)).total).toBe(truth.length);
          expect(await store.leaderboard({ period, type, limit: 50, after: null })).toEqual(
            truth.slice(0, 50),
          );
          const at = Math.floor(truth.length * 0.8);
          const cursor = { value: truth[at]!.value, userId: truth[at]!.userId };
          expect(await store.leaderboard({ period, type, limit: 30, after: cursor })).toEqual(
            truth.slice(at + 1, at + 31),
          );
        }
      });
    });

    describe("scoped boards, pages around a user and percentiles on real GH Archive events", () => {
      const events = githubReadyEvents(2_000);
      const period = periodOf("ALL_TIME", new Date());
      const ranked = events.filter((e) => e.ranked);
      // The group and the category with the most users, so that their boards have ranks to check.
      const widest = (namesOf: (e: (typeof ranked)[number]) => readonly string[]): string => {
        const users = new Map<string, Set<string>>();
        for (const e of ranked) {
          for (const name of namesOf(e)) users.set(name, (users.get(name) ?? new Set()).add(e.userId));
        }
        return [...users].sort((a, b) => b[1].size - a[1].size)[0]![0];
      };
      const group = widest((e) => e.groups);
      const category = widest((e) => (e.category === null ? [] : [e.category]));

      beforeEach(async () => {
        for (let i = 0; i < events.length; i += 500) await store.append(events.slice(i, i + 500));
      });

      it("keeps a board per group and per category that equals brute force", async () => {
        const scopes: [BoardScope, { group?: string; category?: string }][] = [
          [{ kind: "group", name: group }, { group }],
          [{ kind: "category", name: category }, { category }],
        ];
        for (const [scope, filter] of scopes) {
          const truth = bruteBoard(events, period, null, filter);
          expect(truth.length).toBeGreaterThan(3);
          expect(await store.leaderboard({ period, type: null, scope, limit: 1_000, after: null })).toEqual(
            truth,
          );
          const batch = await store.standings([...truth.map((s) => s.userId), "nobody"], period, null, scope);
          expect(batch).toEqual({ standings: [...truth, null], total: truth.length });
          const last = truth.at(-1)!;
          expect((await store.standings([last.userId], period, null, scope)).standings).toEqual([last]);
          // The scoped rows are not event types: they stay out of a user's tallies.
          const [tally] = await store.tallies([last.userId], period);
          expect(tally!.byType.every((t) => !t.type.startsWith("@"))).toBe(true);
        }
        // A user outside the group is not on its board, whatever their global standing.
        const outsider = bruteBoard(events, period, null).find(
          (s) => !ranked.some((e) => e.userId === s.userId && e.groups.includes(group)),
        )!;
        expect(
          (await store.standings([outsider.userId], period, null, { kind: "group", name: group })).standings,
        ).toEqual([null]);
      });

      it("pages the rows just above a position, and around a user, as brute force does", async () => {
        const truth = bruteBoard(events, period, null);
        const queries = new QueryService(store);
        for (const at of [0, 1, 3, 57, Math.floor(truth.length / 2), truth.length - 2, truth.length - 1]) {
          const me = truth[at]!;
          const before = { value: me.value, userId: me.userId };
          expect(await store.leaderboardBefore({ period, type: null, limit: 7, before })).toEqual(
            truth.slice(Math.max(0, at - 7), at),
          );
          // Ten rows with the user in them: four above when there are, and the page shifts at the ends.
          const start = Math.max(0, Math.min(at - 4, truth.length - 10));
          const page = await queries.around(me.userId, period, null, 10);
          expect(page.items).toEqual(truth.slice(start, start + 10));
          expect(page.hasPreviousPage).toBe(start > 0);
          expect(page.hasNextPage).toBe(start + 10 < truth.length);
        }
        expect((await queries.around("nobody", period, null, 10)).items).toEqual([]);
      });

      it("gives percentiles that count the users level with or behind, as brute force does", async () => {
        const truth = bruteBoard(events, period, "PushEvent");
        const sample = [truth[0]!, truth[1]!, truth[Math.floor(truth.length / 3)]!, truth.at(-1)!];
        const board = await store.standings(
          sample.map((s) => s.userId),
          period,
          "PushEvent",
        );
        board.standings.forEach((standing, i) => {
          const behindOrLevel = truth.filter((other) => other.value <= sample[i]!.value).length;
          expect(percentileOf(standing!.rank, board.total)).toBeCloseTo(
            (100 * behindOrLevel) / truth.length,
            9,
          );
        });
      });
    });

    describe("batched history", () => {
      it("answers the same page for many users as history does for each", async () => {
        await store.append([
          event("h1", "alice", "PushEvent", "2024-02-01T10:00:00Z"),
          event("h2", "alice", "IssuesEvent", "2024-02-02T10:00:00Z"),
          event("h3", "bob", "PushEvent", "2024-02-01T11:00:00Z"),
          event("h4", "alice", "PushEvent", "2024-02-03T10:00:00Z"),
        ]);
        const query = { from: ALL[0], to: ALL[1], types: ["PushEvent"], limit: 1, after: null };
        const pages = await store.histories(["alice", "nobody", "bob"], query);
        expect(pages.map(ids)).toEqual([["h4"], [], ["h3"]]);
        expect(pages[0]).toEqual(await history("alice", 1, { types: ["PushEvent"] }));
        expect(await store.histories([], query)).toEqual([]);
      });
    });

    describe("report cells", () => {
      const sorted = <T extends { type: string; userId: string; group: string | null }>(cells: T[]): T[] =>
        [...cells].sort((a, b) =>
          `${a.type}|${a.group}|${a.userId}`.localeCompare(`${b.type}|${b.group}|${b.userId}`),
        );

      it("keeps per-day cells by type, category, group and user, with groups counted each or once", async () => {
        await store.append([
          event("r1", "alice", "PushEvent", "2024-04-01T01:00:00Z", {
            points: 2,
            category: "acme",
            groups: ["acme", "oss"],
          }),
          event("r2", "alice", "PushEvent", "2024-04-01T02:00:00Z", {
            points: 2,
            category: "acme",
            groups: ["acme"],
          }),
          event("r3", "bob", "IssuesEvent", "2024-04-01T03:00:00Z", { points: 4 }),
          event("r4", "bot[bot]", "PushEvent", "2024-04-01T04:00:00Z", { points: 2, ranked: false }),
          event("r5", "alice", "PushEvent", "2024-04-02T00:00:00Z", { points: 2, category: "acme" }),
        ]);
        expect(sorted(await store.reportCells("2024-04-01", "all"))).toEqual([
          {
            day: "2024-04-01",
            type: "IssuesEvent",
            category: null,
            group: null,
            userId: "bob",
            events: 1,
            points: 4,
          },
          {
            day: "2024-04-01",
            type: "PushEvent",
            category: "acme",
            group: null,
            userId: "alice",
            events: 2,
            points: 4,
          },
          {
            day: "2024-04-01",
            type: "PushEvent",
            category: null,
            group: null,
            userId: "bot[bot]",
            events: 1,
            points: 2,
          },
        ]);
        expect(sorted(await store.reportCells("2024-04-01", "group"))).toEqual([
          {
            day: "2024-04-01",
            type: "IssuesEvent",
            category: null,
            group: null,
            userId: "bob",
            events: 1,
            points: 4,
          },
          {
            day: "2024-04-01",
            type: "PushEvent",
            category: "acme",
            group: "acme",
            userId: "alice",
            events: 2,
            points: 4,
          },
          {
            day: "2024-04-01",
            type: "PushEvent",
            category: null,
            group: null,
            userId: "bot[bot]",
            events: 1,
            points: 2,
          },
          {
            day: "2024-04-01",
            type: "PushEvent",
            category: "acme",
            group: "oss",
            userId: "alice",
            events: 1,
            points: 2,
          },
        ]);
        expect(await store.reportCells("2024-04-02", "all")).toHaveLength(1);
        expect(await store.reportCells("2024-04-03", "all")).toEqual([]);
      });

      it("reads back every cell of a day that holds hundreds, before and after a rebuild", async () => {
        // 400 cells of one user (one shard), in every one of Cassandra's buckets of a shard
        // (cql/009): a read that missed a bucket would miss its cells.
        const types = ["PushEvent", "IssuesEvent", "WatchEvent", "ForkEvent"];
        const events = types.flatMap((type, t) =>
          Array.from({ length: 100 }, (_, c) =>
            event(`b-${t}-${c}`, "heavy", type, `2024-04-01T${String(c % 24).padStart(2, "0")}:00:00Z`, {
              points: t + 1,
              category: `owner-${c}`,
              groups: c % 2 === 0 ? [`org-${c}`] : [],
            }),
          ),
        );
        for (const groupOf of [() => "", (e: (typeof events)[number]) => e.groups[0] ?? ""]) {
          const buckets = new Set(
            events.map((e) => cellBucketOf({ ...e, category: e.category ?? "", group: groupOf(e) })),
          );
          expect(buckets.size).toBe(CELL_BUCKETS);
        }
        await store.append([...events, event("b-other", "light", "PushEvent", "2024-04-01T05:00:00Z")]);
        const expected = (scope: ReportScope): string[] =>
          [
            ...events.map((e) => {
              const group = scope === "group" ? (e.groups[0] ?? null) : null;
              return `heavy|${e.type}|${e.category}|${group}=1,${e.points}`;
            }),
            "light|PushEvent|null|null=1,1",
          ].sort();
        const read = async (scope: ReportScope): Promise<string[]> =>
          (await store.reportCells("2024-04-01", scope))
            .map((c) => `${c.userId}|${c.type}|${c.category}|${c.group}=${c.events},${c.points}`)
            .sort();
        for (const scope of ["all", "group"] as const) expect(await read(scope)).toEqual(expected(scope));
        await store.rebuildAggregates();
        for (const scope of ["all", "group"] as const) expect(await read(scope)).toEqual(expected(scope));
      });

      it("does not count duplicates and survives a rebuild unchanged", async () => {
        const e = event("r1", "alice", "PushEvent", "2024-04-01T01:00:00Z", { points: 2, groups: ["g"] });
        await store.append([e, e]);
        await store.append([e]);
        const before = await store.reportCells("2024-04-01", "group");
        expect(before.map((c) => c.events)).toEqual([1]);
        await store.rebuildAggregates();
        expect(await store.reportCells("2024-04-01", "group")).toEqual(before);
        expect((await store.reportCells("2024-04-01", "all")).map((c) => c.events)).toEqual([1]);
      });
    });

    describe("report rollups", () => {
      /**
       * The rollups as lines: type, group, events, points and distinct users, rows of the same
       * type and group summed (a store may keep one per shard, as reports sum them).
       */
      const lines = (rollups: readonly ReportRollup[]): string[] => {
        const sums = new Map<
          string,
          { events: number; points: number; users: Set<string>; counted: number }
        >();
        for (const r of rollups) {
          const key = `${r.day}|${r.type}|${r.group}`;
          const sum = sums.get(key) ?? { events: 0, points: 0, users: new Set<string>(), counted: 0 };
          sum.events += r.events;
          sum.points += r.points;
          if ("count" in r.users) sum.counted += r.users.count;
          const users =
            "ids" in r.users
              ? r.users.ids
              : "numbers" in r.users
                ? decodeUserSet(r.users.numbers).map((n) => `#${n}`)
                : [];
          for (const user of users) sum.users.add(user);
          sums.set(key, sum);
        }
        return [...sums].map(([k, v]) => `${k}=${v.events},${v.points},${v.users.size + v.counted}`).sort();
      };
      /** The same lines from the cells, summed over categories and users. */
      const fromCells = (cells: readonly ReportCell[]): string[] => {
        const sums = new Map<string, { events: number; points: number; users: Set<string> }>();
        for (const c of cells) {
          const key = `${c.day}|${c.type}|${c.group}`;
          const sum = sums.get(key) ?? { events: 0, points: 0, users: new Set<string>() };
          sum.events += c.events;
          sum.points += c.points;
          sum.users.add(c.userId);
          sums.set(key, sum);
        }
        return [...sums].map(([k, v]) => `${k}=${v.events},${v.points},${v.users.size}`).sort();
      };

      it("equal the day's cells summed over categories and users, in both scopes, and after a rebuild", async () => {
        // Both stores keep rollups; reports read them when they need neither categories nor users.
        expect(store.reportRollups).toBeDefined();
        const rollups = (day: string, scope: ReportScope) => store.reportRollups!([day], scope);
        await store.append([
          event("u1", "alice", "PushEvent", "2024-04-01T01:00:00Z", {
            points: 2,
            category: "a",
            groups: ["g1", "g2"],
          }),
          event("u2", "alice", "PushEvent", "2024-04-01T02:00:00Z", {
            points: 2,
            category: "b",
            groups: ["g1"],
          }),
          event("u3", "bob", "PushEvent", "2024-04-01T03:00:00Z", {
            points: 3,
            category: "a",
            groups: ["g1"],
          }),
          event("u4", "bob", "IssuesEvent", "2024-04-01T04:00:00Z", { points: 4 }),
          event("u5", "carol", "PushEvent", "2024-04-02T00:00:00Z", { points: 2 }),
        ]);
        // A duplicate changes nothing.
        await store.append([
          event("u3", "bob", "PushEvent", "2024-04-01T03:00:00Z", {
            points: 3,
            category: "a",
            groups: ["g1"],
          }),
        ]);
        const check = async (): Promise<void> => {
          for (const scope of ["all", "group"] as const) {
            const got = lines(await rollups("2024-04-01", scope));
            expect(got).toEqual(fromCells(await store.reportCells("2024-04-01", scope)));
          }
        };
        await check();
        expect(lines(await rollups("2024-04-01", "all"))).toEqual([
          "2024-04-01|IssuesEvent|null=1,4,1",
          "2024-04-01|PushEvent|null=3,7,2",
        ]);
        expect(lines(await rollups("2024-04-01", "group"))).toContain("2024-04-01|PushEvent|g1=3,7,2");
        expect(lines(await rollups("2024-04-02", "all"))).toEqual(["2024-04-02|PushEvent|null=1,2,1"]);
        expect(await rollups("2024-04-03", "all")).toEqual([]);
        // Several days at once, across a month boundary, are the days one by one.
        await store.append([event("u6", "dan", "WatchEvent", "2024-03-31T23:59:59Z", { points: 1 })]);
        const days = ["2024-03-31", "2024-04-01", "2024-04-02", "2024-04-03"];
        const oneByOne = (await Promise.all(days.map((day) => rollups(day, "all")))).flat();
        expect(lines(await store.reportRollups!(days, "all"))).toEqual(lines(oneByOne));
        expect(lines(oneByOne)).toContain("2024-03-31|WatchEvent|null=1,1,1");
        await store.rebuildAggregates();
        await check();
      });

      it("counted users and month rows equal the days' sets, across a month boundary, through duplicates and a rebuild", async () => {
        const months = store.reportMonthRollups?.bind(store);
        const inMonths = (rollups: readonly ReportRollup[]): string[] =>
          lines(rollups.map((r) => ({ ...r, day: r.day.slice(0, 7) })));
        const march = Array.from({ length: 31 }, (_, i) => `2024-03-${String(i + 1).padStart(2, "0")}`);
        const days = ["2024-03-30", "2024-03-31", "2024-04-01", "2024-04-02"];
        const batch = [
          // alice on both sides of the boundary, twice on one day; bob on the month's last second.
          event("m1", "alice", "PushEvent", "2024-03-30T10:00:00Z", { points: 2, groups: ["g1"] }),
          event("m2", "alice", "PushEvent", "2024-03-30T11:00:00Z", { points: 2, groups: ["g1", "g2"] }),
          event("m3", "alice", "PushEvent", "2024-04-01T00:00:00Z", { points: 2, groups: ["g1"] }),
          event("m4", "bob", "PushEvent", "2024-03-31T23:59:59Z", { points: 3, groups: ["g2"] }),
          event("m5", "bob", "IssuesEvent", "2024-03-01T00:00:00Z", { points: 1 }),
          event("m6", "carol", "PushEvent", "2024-03-31T00:00:00Z", { points: 2 }),
        ];
        await store.append(batch);
        // Every duplicate again: no event and no user counted twice.
        await store.append(batch);
        const check = async (): Promise<void> => {
          for (const scope of ["all", "group"] as const) {
            const joined = await store.reportRollups!(days, scope);
            expect(lines(await store.reportRollups!(days, scope, "count"))).toEqual(lines(joined));
            if (months === undefined) continue;
            const marchByDays = inMonths(await store.reportRollups!(march, scope));
            expect(inMonths(await months(["2024-03"], scope))).toEqual(marchByDays);
            expect(inMonths(await months(["2024-03"], scope, "count"))).toEqual(marchByDays);
          }
          expect(lines(await store.reportRollups!(["2024-03-30"], "all", "count"))).toEqual([
            "2024-03-30|PushEvent|null=2,4,1",
          ]);
          if (months !== undefined) {
            expect(inMonths(await months(["2024-03"], "all", "count"))).toEqual([
              "2024-03|IssuesEvent|null=1,1,1",
              "2024-03|PushEvent|null=4,9,3",
            ]);
            expect(inMonths(await months(["2024-03"], "group", "count"))).toContain(
              "2024-03|PushEvent|g2=2,5,2",
            );
          }
        };
        await check();
        await store.rebuildAggregates();
        await check();
      });
    });

    describe("repair", () => {
      it("rebuilds every aggregate from the log to the same values", async () => {
        await store.append([
          event("a", "alice", "PushEvent", "2024-01-01T00:00:00Z", { points: 2 }),
          event("b", "bob", "IssuesEvent", "2024-01-02T00:00:00Z", { points: 4 }),
          event("c", "alice", "IssuesEvent", "2024-01-09T00:00:00Z", { points: 4 }),
          event("d", "bot[bot]", "PushEvent", "2024-01-09T00:00:00Z", { points: 2, ranked: false }),
        ]);
        const period = periodOf("MONTH", new Date("2024-01-01T00:00:00Z"));
        const users = ["alice", "bob", "bot[bot]"];
        const before = {
          tallies: await store.tallies(users, period),
          board: await store.leaderboard({ period, type: null, limit: 10, after: null }),
          byType: await store.leaderboard({ period, type: "IssuesEvent", limit: 10, after: null }),
        };
        expect(await store.rebuildAggregates()).toBe(4);
        expect(await store.tallies(users, period)).toEqual(before.tallies);
        expect(await store.leaderboard({ period, type: null, limit: 10, after: null })).toEqual(before.board);
        expect(await store.leaderboard({ period, type: "IssuesEvent", limit: 10, after: null })).toEqual(
          before.byType,
        );
        expect(before.board.map((s) => s.userId)).toEqual(["alice", "bob"]);
      });
    });

    describe("health", () => {
      it("answers ping and tolerates a second migrate", async () => {
        await store.ping();
        await store.migrate();
        await store.append([event("a", "alice", "PushEvent", "2024-01-01T00:00:00Z")]);
        expect(await history("alice")).toHaveLength(1);
      });
    });
  });
}
