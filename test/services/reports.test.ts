import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fingerprintOf, type ActivityEvent } from "../../src/domain/event.js";
import { InvalidReportError, ReportService, type ReportRequest } from "../../src/services/reports.js";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { csvField, parseReportRequest } from "../../src/server/routes/reports-csv.js";

function event(
  id: string,
  userId: string,
  type: string,
  at: string,
  category: string | null,
  groups: string[],
  points: number,
) {
  const base: ActivityEvent = {
    id,
    userId,
    type,
    occurredAt: new Date(at),
    repo: null,
    category,
    groups,
    payload: null,
  };
  return { ...base, points, fingerprint: fingerprintOf(base), ranked: true };
}

const all = { types: null, categories: null, groups: null, userIds: null };
const request = (
  groupBy: ReportRequest["groupBy"],
  filter: Partial<ReportRequest["filter"]> = {},
): ReportRequest => ({
  from: new Date("2024-04-01T00:00:00Z"),
  to: new Date("2024-04-15T00:00:00Z"),
  groupBy,
  filter: { ...all, ...filter },
});

describe("ReportService over the real SQLite store", () => {
  const store = new SqliteStore({ path: ":memory:" });
  const reports = new ReportService(store, 31);

  beforeAll(async () => {
    await store.migrate();
    await store.append([
      event("1", "alice", "PushEvent", "2024-04-01T10:00:00Z", "acme", ["acme"], 2),
      event("2", "alice", "PushEvent", "2024-04-01T11:00:00Z", "acme", ["acme", "oss"], 2),
      event("3", "bob", "IssuesEvent", "2024-04-02T10:00:00Z", "acme", ["acme"], 4),
      event("4", "bob", "PushEvent", "2024-04-08T10:00:00Z", null, [], 2), // the next ISO week
      event("5", "carol", "PushEvent", "2024-03-31T23:59:59Z", "acme", [], 2), // before the range
    ]);
  });

  afterAll(() => store.close());

  it("totals everything when grouped by nothing, counting each event once", async () => {
    expect(await reports.run(request([]))).toEqual([
      { period: null, type: null, category: null, group: null, events: 4, users: 2, score: 10 },
    ]);
  });

  it("groups by day and type", async () => {
    expect(await reports.run(request(["DAY", "TYPE"]))).toEqual([
      { period: "2024-04-01", type: "PushEvent", category: null, group: null, events: 2, users: 1, score: 4 },
      {
        period: "2024-04-02",
        type: "IssuesEvent",
        category: null,
        group: null,
        events: 1,
        users: 1,
        score: 4,
      },
      { period: "2024-04-08", type: "PushEvent", category: null, group: null, events: 1, users: 1, score: 2 },
    ]);
  });

  it("groups by ISO week and month", async () => {
    expect((await reports.run(request(["WEEK"]))).map((r) => [r.period, r.events, r.users])).toEqual([
      ["2024-04-01", 3, 2],
      ["2024-04-08", 1, 1],
    ]);
    expect((await reports.run(request(["MONTH"]))).map((r) => [r.period, r.events])).toEqual([
      ["2024-04", 4],
    ]);
  });

  it("counts an event once per group when grouping by group, with null for no group", async () => {
    expect((await reports.run(request(["GROUP"]))).map((r) => [r.group, r.events, r.users])).toEqual([
      [null, 1, 1],
      ["acme", 3, 2],
      ["oss", 1, 1],
    ]);
  });

  it("filters by type, category, group and user", async () => {
    const [pushes] = await reports.run(request([], { types: ["PushEvent"], categories: ["acme"] }));
    expect(pushes).toMatchObject({ events: 2, users: 1 });
    const [oss] = await reports.run(request(["CATEGORY"], { groups: ["oss"] }));
    expect(oss).toMatchObject({ category: "acme", events: 1 });
    expect(await reports.run(request([], { userIds: ["nobody"] }))).toEqual([]);
  });

  it("refuses ranges that are not whole days, inverted, too long, or two time grains", async () => {
    const bad: ReportRequest[] = [
      { ...request([]), from: new Date("2024-04-01T10:00:00Z") },
      { ...request([]), to: new Date("2024-03-01T00:00:00Z") },
      { ...request([]), to: new Date("2024-06-01T00:00:00Z") },
      request(["DAY", "MONTH"]),
    ];
    for (const r of bad) await expect(reports.run(r)).rejects.toBeInstanceOf(InvalidReportError);
  });
});

describe("reports.csv parameters and fields", () => {
  it("parses a query string", () => {
    const parsed = parseReportRequest(
      new URLSearchParams("from=2024-04-01&to=2024-04-02&groupBy=day,TYPE&types=PushEvent,IssuesEvent"),
    );
    expect(parsed).toEqual({
      from: new Date("2024-04-01T00:00:00Z"),
      to: new Date("2024-04-02T00:00:00Z"),
      groupBy: ["DAY", "TYPE"],
      filter: { types: ["PushEvent", "IssuesEvent"], categories: null, groups: null, userIds: null },
    });
    expect(() => parseReportRequest(new URLSearchParams("from=2024-4-1&to=2024-04-02"))).toThrow(
      InvalidReportError,
    );
    expect(() =>
      parseReportRequest(new URLSearchParams("from=2024-04-01&to=2024-04-02&groupBy=YEAR")),
    ).toThrow(/YEAR/);
  });

  it("quotes per RFC 4180 and defuses spreadsheet formulas", () => {
    expect(csvField(null)).toBe("");
    expect(csvField(12)).toBe("12");
    expect(csvField('say "hi", ok')).toBe('"say ""hi"", ok"');
    expect(csvField("=HYPERLINK(1)")).toBe("'=HYPERLINK(1)");
    expect(csvField("-1+1")).toBe("'-1+1");
  });

  it("shares one computation among concurrent askers of a report, and sees writes acknowledged before each asked", async () => {
    const source = new SqliteStore({ path: ":memory:" });
    await source.migrate();
    let reads = 0;
    const counted = new ReportService(
      {
        reportCells: (day, scope) => source.reportCells(day, scope),
        reportRollups: (days, scope) => {
          reads += 1;
          return source.reportRollups(days, scope);
        },
      },
      31,
    );
    await source.append([event("a1", "alice", "PushEvent", "2024-04-03T10:00:00Z", null, [], 2)]);
    const asked = request(["TYPE"], { types: ["IssuesEvent", "PushEvent"] });
    // The same report in another spelling: duplicate and reordered filter values, groupBy repeated.
    const respelled = request(["TYPE", "TYPE"], { types: ["PushEvent", "IssuesEvent", "PushEvent"] });
    // What one computation of this report reads, alone.
    await counted.run(asked);
    const perComputation = reads;
    expect(perComputation).toBeGreaterThan(0);
    reads = 0;
    const expected = [
      { period: null, type: "PushEvent", category: null, group: null, events: 1, users: 1, score: 2 },
    ];
    // Asked in one turn of the event loop (as the requests a server parses together): one computation.
    const together = [counted.run(asked), counted.run(respelled), counted.run(asked), counted.run(respelled)];
    for (const rows of await Promise.all(together)) expect(rows).toEqual(expected);
    expect(reads).toBe(perComputation);
    // Asked while a computation runs: the next one, begun after they asked.
    reads = 0;
    const first = counted.run(asked);
    await new Promise((resolve) => setImmediate(resolve));
    const waiting = [counted.run(respelled), counted.run(asked), counted.run(respelled)];
    expect(await first).toEqual(expected);
    for (const rows of await Promise.all(waiting)) expect(rows).toEqual(expected);
    expect(reads).toBe(2 * perComputation);
    // A write acknowledged before a report is asked for is in it.
    await source.append([event("a2", "bob", "PushEvent", "2024-04-03T11:00:00Z", null, [], 2)]);
    expect((await counted.run(asked))[0]).toMatchObject({ events: 2, users: 2, score: 4 });
    source.close();
  });
});
