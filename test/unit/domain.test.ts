import { describe, expect, it } from "vitest";
import {
  decodeEventCursor,
  decodeRankCursor,
  encodeEventCursor,
  encodeRankCursor,
} from "../../src/domain/cursor.js";
import { fingerprintOf, isRejection, normalizeEvent } from "../../src/domain/event.js";
import { parseScoringRules, weightOf } from "../../src/domain/scoring.js";
import {
  daysBetween,
  isoWeekStartOf,
  periodOf,
  periodRange,
  periodsContaining,
  WINDOWS,
} from "../../src/domain/time.js";

describe("time buckets", () => {
  it.each([
    ["2024-01-01T00:00:00Z", "2024-01-01"], // a Monday
    ["2024-01-07T23:59:59.999Z", "2024-01-01"], // the Sunday after
    ["2021-01-03T12:00:00Z", "2020-12-28"], // ISO week 2020-W53 runs into January
    ["2024-02-29T12:00:00Z", "2024-02-26"],
  ])("puts %s in the ISO week of Monday %s", (at, monday) => {
    expect(isoWeekStartOf(new Date(at))).toBe(monday);
  });

  it("names the same buckets in periodsContaining as periodOf does", () => {
    for (const at of ["2023-12-31T23:59:59.999Z", "2024-02-29T00:00:00Z", "1970-01-01T00:00:00Z"]) {
      const date = new Date(at);
      expect(periodsContaining(date)).toEqual(WINDOWS.map((w) => periodOf(w, date)));
    }
  });

  it("gives each period its half-open range", () => {
    expect(periodRange(periodOf("MONTH", new Date("2024-02-10T00:00:00Z")))).toEqual({
      from: new Date("2024-02-01T00:00:00Z"),
      to: new Date("2024-03-01T00:00:00Z"),
    });
    expect(periodRange(periodOf("WEEK", new Date("2024-12-31T00:00:00Z")))?.to).toEqual(
      new Date("2025-01-06T00:00:00Z"),
    );
    expect(periodRange(periodOf("ALL_TIME", new Date()))).toBeNull();
  });

  it("lists the days a range touches, newest first, `to` exclusive", () => {
    expect(daysBetween(new Date("2024-02-28T23:00:00Z"), new Date("2024-03-01T00:00:00Z"))).toEqual([
      "2024-02-29",
      "2024-02-28",
    ]);
    expect(daysBetween(new Date("2024-03-01T00:00:00Z"), new Date("2024-03-01T00:00:00Z"))).toEqual([]);
  });
});

describe("event validation", () => {
  const limits = { maxPayloadBytes: 100, latestOccurredAtMs: Date.UTC(2030, 0, 1) };
  const draft = { id: "1", userId: "alice", type: "PushEvent", occurredAt: new Date("2024-01-01T00:00:00Z") };

  it("normalizes groups (deduplicated, sorted) and payload (JSON text)", () => {
    const event = normalizeEvent({ ...draft, groups: ["b", "a", "b"], payload: { x: 1 } }, limits);
    expect(event).toMatchObject({ groups: ["a", "b"], payload: '{"x":1}', repo: null, category: null });
  });

  it.each([
    [{ id: "" }, "INVALID_ID"],
    [{ id: "x".repeat(257) }, "INVALID_ID"],
    [{ userId: "al\u0000ice" }, "INVALID_USER_ID"],
    [{ userId: "alice " }, "INVALID_USER_ID"],
    [{ type: "1Push" }, "INVALID_TYPE"],
    [{ occurredAt: new Date("nope") }, "INVALID_OCCURRED_AT"],
    [{ occurredAt: new Date("1969-12-31T23:59:59Z") }, "INVALID_OCCURRED_AT"],
    [{ repo: "a\nb" }, "INVALID_FIELD"],
    [{ groups: Array.from({ length: 33 }, (_, i) => `g${i}`) }, "INVALID_FIELD"],
    [{ payload: { text: "x".repeat(200) } }, "PAYLOAD_TOO_LARGE"],
    // Lone surrogates, in every string field, before any other check of that field.
    [{ id: "x\ud800" }, "INVALID_STRING"],
    [{ userId: "\udfffbob" }, "INVALID_STRING"],
    [{ type: "Push\ud800" }, "INVALID_STRING"],
    [{ repo: "o/\udbff" }, "INVALID_STRING"],
    [{ category: "\ud800\ud800" }, "INVALID_STRING"],
    [{ groups: ["ok", "g\udc00"] }, "INVALID_STRING"],
    [{ payload: { note: "a\ud800b" } }, "INVALID_STRING"],
    [{ payload: { ["k\udfff"]: 1 } }, "INVALID_STRING"],
    [{ payload: [[{ deep: ["\ud83d"] }]] }, "INVALID_STRING"],
    // The accepted range: 1970 to latestOccurredAtMs (now + EVENTSCORE_MAX_FUTURE_SKEW).
    [{ occurredAt: new Date(Date.UTC(2030, 0, 1) + 1) }, "INVALID_OCCURRED_AT"],
    [{ occurredAt: new Date("9999-12-31T23:59:59.999Z") }, "INVALID_OCCURRED_AT"],
  ])("rejects %o with %s", (change, code) => {
    const result = normalizeEvent({ ...draft, ...change }, limits);
    expect(isRejection(result) && result.code).toBe(code);
  });

  it("accepts well-formed text (pairs, emoji, combining marks) and the edges of the range", () => {
    for (const change of [
      { userId: "😀-\ud83d\ude00", payload: { note: "e\u0301 𝔘 👩‍👩‍👧" } },
      { occurredAt: new Date("1970-01-01T00:00:00.000Z") },
      { occurredAt: new Date(Date.UTC(2030, 0, 1)) },
    ]) {
      expect(isRejection(normalizeEvent({ ...draft, ...change }, limits)), JSON.stringify(change)).toBe(
        false,
      );
    }
  });

  it("fingerprints content, not the id", () => {
    const a = normalizeEvent(draft, limits);
    const b = normalizeEvent({ ...draft, id: "2" }, limits);
    const c = normalizeEvent({ ...draft, type: "IssuesEvent" }, limits);
    if (isRejection(a) || isRejection(b) || isRejection(c)) throw new Error("valid drafts were rejected");
    expect(fingerprintOf(a)).toBe(fingerprintOf(b));
    expect(fingerprintOf(a)).not.toBe(fingerprintOf(c));
  });
});

describe("cursors", () => {
  it("round-trip and refuse foreign or broken cursors", () => {
    const event = encodeEventCursor({ occurredAtMs: 1_700_000_000_000, eventId: "e/1" });
    expect(decodeEventCursor(event)).toEqual({ occurredAtMs: 1_700_000_000_000, eventId: "e/1" });
    const rank = encodeRankCursor({ value: 5, userId: "bob" });
    expect(decodeRankCursor(rank)).toEqual({ value: 5, userId: "bob" });
    expect(decodeEventCursor(rank)).toBeNull();
    expect(decodeRankCursor(event)).toBeNull();
    expect(decodeEventCursor("%%%")).toBeNull();
    expect(decodeRankCursor(Buffer.from('["r","5","bob"]').toString("base64url"))).toBeNull();
  });
});

describe("scoring rules", () => {
  it("reads a weights document and falls back to the default weight", () => {
    const rules = parseScoringRules({ defaultWeight: 3, weights: { DeployEvent: 20 } });
    expect(weightOf(rules, "DeployEvent")).toBe(20);
    expect(weightOf(rules, "Other")).toBe(3);
  });

  it.each([
    [null],
    [{ weights: [] }],
    [{ weights: { A: -1 } }],
    [{ weights: { A: 1.5 } }],
    [{ weights: {}, defaultWeight: "2" }],
  ])("refuses %o", (document) => {
    expect(() => parseScoringRules(document)).toThrow();
  });
});
