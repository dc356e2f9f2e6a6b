import { describe, expect, it } from "vitest";
import {
  boardsTouched,
  currentBuckets,
  EventWatchIndex,
  eventFilterKey,
  LeaderboardWatchIndex,
  ScoreWatchIndex,
} from "../../src/services/live/watch-index.js";
import type { TallyChange } from "../../src/store/port.js";

const tally = (
  userId: string,
  window: TallyChange["period"]["window"],
  bucket: string,
  count = 1,
): TallyChange => ({
  period: { window, bucket },
  tally: { userId, count, points: count, byType: [] },
});

describe("EventWatchIndex", () => {
  it("hands an event to the unfiltered watch, its user's watches that pass its type, and its type's watches, each once", () => {
    const index = new EventWatchIndex<string>();
    index.add({ userId: null, types: null }, "all");
    index.add({ userId: "ann", types: null }, "ann");
    index.add({ userId: "ann", types: ["PushEvent"] }, "ann-push");
    index.add({ userId: null, types: ["PushEvent", "ReleaseEvent"] }, "push-or-release");
    index.add({ userId: null, types: ["ReleaseEvent"] }, "release");
    index.add({ userId: "bob", types: null }, "bob");

    expect(index.matching({ userId: "ann", type: "PushEvent" }).sort()).toEqual([
      "all",
      "ann",
      "ann-push",
      "push-or-release",
    ]);
    expect(index.matching({ userId: "ann", type: "IssuesEvent" }).sort()).toEqual(["all", "ann"]);
    expect(index.matching({ userId: "cat", type: "ReleaseEvent" }).sort()).toEqual([
      "all",
      "push-or-release",
      "release",
    ]);
    expect(index.size).toBe(6);
  });

  it("keys a filter by its content: the same types in another order or repeated are the same watch", () => {
    const index = new EventWatchIndex<string>();
    index.add({ userId: null, types: ["B", "A"] }, "w");
    expect(index.get({ userId: null, types: ["A", "B", "A"] })).toBe("w");
    expect(index.get({ userId: null, types: ["A"] })).toBeUndefined();
    expect(eventFilterKey({ userId: "*", types: null })).not.toBe(
      eventFilterKey({ userId: null, types: null }),
    );
    expect(() => index.add({ userId: null, types: ["A", "B"] }, "again")).toThrow();
  });

  it("forgets a deleted filter everywhere it was indexed", () => {
    const index = new EventWatchIndex<string>();
    index.add({ userId: null, types: ["A", "B"] }, "ab");
    index.add({ userId: "ann", types: ["A"] }, "ann-a");
    index.add({ userId: null, types: null }, "all");
    index.delete({ userId: null, types: ["B", "A"] });
    index.delete({ userId: "ann", types: ["A"] });
    expect(index.matching({ userId: "ann", type: "A" })).toEqual(["all"]);
    index.delete({ userId: null, types: null });
    expect(index.matching({ userId: "ann", type: "B" })).toEqual([]);
    expect(index.size).toBe(0);
  });
});

describe("ScoreWatchIndex", () => {
  const now = currentBuckets(new Date("2024-05-08T12:00:00Z")); // a Wednesday

  it("hands a tally change to the watches of its user and period only", () => {
    const index = new ScoreWatchIndex<string>();
    index.add({ userId: "ann", window: "ALL_TIME", at: null }, "ann-all");
    index.add({ userId: "ann", window: "DAY", at: null }, "ann-today");
    index.add({ userId: "ann", window: "DAY", at: new Date("2024-05-01T08:00:00Z") }, "ann-may-1");
    index.add({ userId: "ann", window: "WEEK", at: null }, "ann-week");
    index.add({ userId: "bob", window: "ALL_TIME", at: null }, "bob-all");

    expect(index.matching(tally("ann", "ALL_TIME", "*"), now)).toEqual(["ann-all"]);
    expect(index.matching(tally("ann", "DAY", "2024-05-08"), now)).toEqual(["ann-today"]);
    expect(index.matching(tally("ann", "DAY", "2024-05-01"), now)).toEqual(["ann-may-1"]);
    expect(index.matching(tally("ann", "DAY", "2024-05-07"), now)).toEqual([]);
    expect(index.matching(tally("ann", "WEEK", "2024-05-06"), now)).toEqual(["ann-week"]);
    expect(index.matching(tally("cat", "ALL_TIME", "*"), now)).toEqual([]);
  });

  it("follows the clock for watches without `at`: tomorrow's changes reach today's watch tomorrow", () => {
    const index = new ScoreWatchIndex<string>();
    index.add({ userId: "ann", window: "DAY", at: null }, "ann-today");
    const tomorrow = currentBuckets(new Date("2024-05-09T00:00:01Z"));
    expect(index.matching(tally("ann", "DAY", "2024-05-09"), now)).toEqual([]);
    expect(index.matching(tally("ann", "DAY", "2024-05-09"), tomorrow)).toEqual(["ann-today"]);
  });

  it("holds one watch per (user, window, at) and drops users with none left", () => {
    const index = new ScoreWatchIndex<string>();
    const key = { userId: "ann", window: "MONTH" as const, at: new Date("2024-05-02T00:00:00Z") };
    index.add(key, "w");
    expect(index.get({ ...key, at: new Date("2024-05-02T00:00:00Z") })).toBe("w");
    expect(() => index.add(key, "again")).toThrow();
    index.delete(key);
    expect(index.size).toBe(0);
    expect(index.matching(tally("ann", "MONTH", "2024-05"), now)).toEqual([]);
  });
});

describe("LeaderboardWatchIndex and boardsTouched", () => {
  const now = currentBuckets(new Date("2024-05-08T12:00:00Z"));
  const event = (
    type: string,
    occurredAt: string,
    ranked = true,
    scopes: { groups?: string[]; category?: string | null } = {},
  ) => ({ type, occurredAt, ranked, groups: scopes.groups ?? [], category: scopes.category ?? null });

  it("names the boards a ranked event changes: points and its type, in each of its four periods", () => {
    const touched = boardsTouched([event("PushEvent", "2024-05-08T10:00:00Z")]);
    expect(touched.size).toBe(8);
    expect(boardsTouched([event("PushEvent", "2024-05-08T10:00:00Z", false)]).size).toBe(0);
  });

  it("marks the watches whose board a commit touched, by window, bucket and metric", () => {
    const index = new LeaderboardWatchIndex<string>();
    index.add({ window: "ALL_TIME", type: null, scope: null, first: 10, at: null }, "all-points");
    index.add({ window: "ALL_TIME", type: null, scope: null, first: 3, at: null }, "all-points-top3");
    index.add({ window: "ALL_TIME", type: "ReleaseEvent", scope: null, first: 10, at: null }, "all-releases");
    index.add({ window: "DAY", type: null, scope: null, first: 10, at: null }, "today");
    index.add(
      { window: "DAY", type: null, scope: null, first: 10, at: new Date("2024-05-01T00:00:00Z") },
      "may-1",
    );

    const push = boardsTouched([event("PushEvent", "2024-05-08T10:00:00Z")]);
    expect(index.touched(push, now).sort()).toEqual(["all-points", "all-points-top3", "today"]);
    const oldRelease = boardsTouched([event("ReleaseEvent", "2024-05-01T10:00:00Z")]);
    expect(index.touched(oldRelease, now).sort()).toEqual([
      "all-points",
      "all-points-top3",
      "all-releases",
      "may-1",
    ]);
    expect(index.touched(new Set(), now)).toEqual([]);
    expect(index.size).toBe(5);
  });

  it("touches a group's and a category's board only with events in them", () => {
    const index = new LeaderboardWatchIndex<string>();
    const acme = { kind: "group", name: "acme" } as const;
    index.add({ window: "ALL_TIME", type: null, scope: acme, first: 10, at: null }, "acme");
    index.add(
      { window: "WEEK", type: null, scope: { kind: "category", name: "ann" }, first: 5, at: null },
      "ann",
    );
    const inAcme = boardsTouched([event("PushEvent", "2024-05-08T10:00:00Z", true, { groups: ["acme"] })]);
    expect(inAcme.size).toBe(12);
    expect(index.touched(inAcme, now)).toEqual(["acme"]);
    const byAnn = boardsTouched([event("PushEvent", "2024-05-08T10:00:00Z", true, { category: "ann" })]);
    expect(index.touched(byAnn, now)).toEqual(["ann"]);
    const elsewhere = boardsTouched([
      event("PushEvent", "2024-05-08T10:00:00Z", true, { groups: ["other"] }),
    ]);
    expect(index.touched(elsewhere, now)).toEqual([]);
    // Not the same watch as the whole board's, though window, first and time are the same.
    expect(index.get({ window: "ALL_TIME", type: null, scope: null, first: 10, at: null })).toBeUndefined();
  });
});
