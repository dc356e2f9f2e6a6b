import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ReportService, type ReportDimension, type ReportRequest } from "../../src/services/reports.js";
import type { ReportSource } from "../../src/store/port.js";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { addUsers, decodeUserSet, DistinctUsers, encodeUserSet } from "../../src/store/user-set.js";
import { githubReadyEvents } from "../support/board-truth.js";
import { random } from "../support/fuzz.js";

const events = githubReadyEvents(6_000);
const none = { types: null, categories: null, groups: null, userIds: null };
const day = (offset: number): Date => new Date(Date.UTC(2015, 0, 1 + offset));

/** The same store read through its cells only: the path reports took before rollups. */
function cellsOnly(store: SqliteStore): ReportSource {
  return { reportCells: (d, scope) => store.reportCells(d, scope) };
}

/** Every row of a report straight from the events, with nothing but loops and sets. */
function bruteReport(groupBy: readonly ReportDimension[], types: readonly string[] | null) {
  const rows = new Map<string, { events: number; score: number; users: Set<string> }>();
  for (const e of events) {
    if (types !== null && !types.includes(e.type)) continue;
    const groups = groupBy.includes("GROUP") ? (e.groups.length === 0 ? [null] : e.groups) : [null];
    for (const group of groups) {
      const key = JSON.stringify([
        groupBy.includes("DAY") ? e.occurredAt.toISOString().slice(0, 10) : null,
        groupBy.includes("TYPE") ? e.type : null,
        group,
      ]);
      const row = rows.get(key) ?? { events: 0, score: 0, users: new Set<string>() };
      row.events += 1;
      row.score += e.points;
      row.users.add(e.userId);
      rows.set(key, row);
    }
  }
  return [...rows]
    .map(([key, r]) => {
      const [period, type, group] = JSON.parse(key) as (string | null)[];
      return { period, type, category: null, group, events: r.events, users: r.users.size, score: r.score };
    })
    .sort((a, b) => {
      // The service's order: period, type, group, by code units, none first.
      const x = [a.period ?? "", a.type ?? "", a.group ?? ""];
      const y = [b.period ?? "", b.type ?? "", b.group ?? ""];
      for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
      return 0;
    });
}

describe("user sets", () => {
  it("encode, decode and union exactly, sparse or dense", () => {
    const rand = random(5);
    for (let round = 0; round < 50; round++) {
      const spread = round % 2 === 0 ? 1_000_000 : 300;
      const numbers = [
        ...new Set(Array.from({ length: 1 + Math.floor(rand() * 400) }, () => Math.floor(rand() * spread))),
      ].sort((a, b) => a - b);
      expect(decodeUserSet(encodeUserSet(numbers))).toEqual(numbers);
      const more = Array.from({ length: 50 }, () => Math.floor(rand() * spread));
      const union = [...new Set([...numbers, ...more])].sort((a, b) => a - b);
      expect(decodeUserSet(addUsers(encodeUserSet(numbers), more))).toEqual(union);
      const distinct = new DistinctUsers();
      distinct.addEncoded(encodeUserSet(numbers));
      distinct.addEncoded(encodeUserSet([...new Set(more)].sort((a, b) => a - b)));
      expect(distinct.size).toBe(union.length);
    }
    expect(() => encodeUserSet([3, 3])).toThrow();
  });
});

describe("reports from rollups, on real GH Archive events", () => {
  const store = new SqliteStore({ path: ":memory:" });
  const fromRollups = new ReportService(store, 366);
  const fromCells = new ReportService(cellsOnly(store), 366);

  beforeAll(async () => {
    await store.migrate();
    for (let i = 0; i < events.length; i += 700) await store.append(events.slice(i, i + 700));
  });

  afterAll(() => store.close());

  const request = (
    groupBy: ReportDimension[],
    filter: Partial<ReportRequest["filter"]> = {},
  ): ReportRequest => ({
    from: day(-1),
    to: day(2),
    groupBy,
    filter: { ...none, ...filter },
  });

  it("equals brute force over the events, distinct users included", async () => {
    for (const groupBy of [
      [],
      ["DAY"],
      ["TYPE"],
      ["DAY", "TYPE"],
      ["GROUP"],
      ["TYPE", "GROUP"],
    ] as ReportDimension[][]) {
      for (const types of [null, ["PushEvent", "WatchEvent"]]) {
        expect(await fromRollups.run(request(groupBy, { types }))).toEqual(bruteReport(groupBy, types));
      }
    }
  });

  it("answers every grain and filter as the cells do", async () => {
    const grains: ReportDimension[][] = [
      [],
      ["DAY"],
      ["WEEK"],
      ["MONTH"],
      ["TYPE"],
      ["MONTH", "TYPE", "GROUP"],
      ["GROUP"],
    ];
    const someGroups = [...new Set(events.flatMap((e) => e.groups))].slice(0, 5);
    for (const groupBy of grains) {
      for (const filter of [
        {},
        { types: ["PushEvent"] },
        { groups: someGroups },
        { types: ["IssuesEvent", "PushEvent"], groups: someGroups },
      ]) {
        expect(await fromRollups.run(request(groupBy, filter))).toEqual(
          await fromCells.run(request(groupBy, filter)),
        );
      }
    }
  });

  it("is built for stores written before the rollups existed (migration 5 backfills them)", async () => {
    const { mkdtempSync, rmSync } = await import("node:fs");
    const { join } = await import("node:path");
    const { tmpdir } = await import("node:os");
    const Database = (await import("better-sqlite3")).default;
    const dir = mkdtempSync(join(tmpdir(), "eventscore-rollups-"));
    try {
      const path = join(dir, "old.db");
      const old = new SqliteStore({ path });
      await old.migrate();
      await old.append(events.slice(0, 3_000));
      await old.close();
      // Back to version 4: no rollups, no dictionary.
      const db = new Database(path);
      db.exec(
        "DROP TABLE report_rollups; DROP TABLE user_numbers; DELETE FROM schema_migrations WHERE version = 5",
      );
      db.close();
      const upgraded = new SqliteStore({ path });
      await upgraded.migrate();
      const fresh = new SqliteStore({ path: ":memory:" });
      await fresh.migrate();
      await fresh.append(events.slice(0, 3_000));
      for (const groupBy of [["DAY", "TYPE"], ["GROUP"]] as ReportDimension[][]) {
        expect(await new ReportService(upgraded, 31).run(request(groupBy))).toEqual(
          await new ReportService(fresh, 31).run(request(groupBy)),
        );
      }
      await upgraded.close();
      await fresh.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
