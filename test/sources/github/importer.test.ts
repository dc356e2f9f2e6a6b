import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp, type App } from "../../../src/app/app.js";
import { loadConfig } from "../../../src/app/config.js";
import { createJsonLogger } from "../../../src/app/logger.js";
import { formatSummary, importArchives, type ImportSummary } from "../../../src/sources/github/importer.js";
import { bruteForce, HOUR_0, HOUR_1, readRawEvents, type Truth } from "../../support/github-truth.js";

const HOURS = [HOUR_0, HOUR_1];
const ALL_TIME = { window: "ALL_TIME", bucket: "*" } as const;

describe("GH Archive import of the two 2015-01-01 hours (real SQLite store)", () => {
  let app: App;
  let first: ImportSummary;
  let truth: Truth;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "eventscore-import-"));
    app = await createApp(
      loadConfig({ EVENTSCORE_SQLITE_PATH: join(dir, "events.db") }),
      createJsonLogger("silent"),
    );
    first = await importArchives(HOURS, { sink: app.services.ingest, progress: null });
    truth = bruteForce(HOURS.flatMap((path) => readRawEvents(path)));
  });

  afterAll(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("records all 15,129 events, none malformed or rejected", () => {
    expect(first).toMatchObject({
      lines: 15_129,
      events: 15_129,
      accepted: 15_129,
      duplicates: 0,
      rejectedByCode: {},
      malformed: 0,
      failedFiles: 0,
    });
    expect(first.files.map((f) => f.events)).toEqual([7_702, 7_427]);
    console.info(
      `import: ${first.events} events in ${first.elapsedMs} ms (${first.eventsPerSecond} events/s)`,
    );
  });

  it("gives exactly the brute-force per-user counts (per type) and scores", async () => {
    const users = [...truth.scores.keys()];
    expect(users).toHaveLength(6_208);
    for (let start = 0; start < users.length; start += 500) {
      for (const tally of await app.store.tallies(users.slice(start, start + 500), ALL_TIME)) {
        const byType = Object.fromEntries(tally.byType.map((t) => [t.type, t.count]));
        expect({ user: tally.userId, points: tally.points, byType }).toEqual({
          user: tally.userId,
          points: truth.scores.get(tally.userId),
          byType: Object.fromEntries(truth.counts.get(tally.userId)!),
        });
      }
    }
  });

  it("gives the brute-force ALL_TIME leaderboard: top 10 and beyond, ties by userId, competition ranks", async () => {
    const got = await app.store.leaderboard({ period: ALL_TIME, type: null, limit: 10, after: null });
    expect(got.map(({ userId, value, rank }) => ({ userId, value, rank }))).toEqual(
      truth.leaderboard.slice(0, 10),
    );
    const top100 = await app.store.leaderboard({ period: ALL_TIME, type: null, limit: 100, after: null });
    expect(top100.map(({ userId, value, rank }) => ({ userId, value, rank }))).toEqual(
      truth.leaderboard.slice(0, 100),
    );
  });

  it("re-running the import changes nothing: every event is a duplicate", async () => {
    const again = await importArchives(HOURS, { sink: app.services.ingest, progress: null });
    expect(again).toMatchObject({
      events: 15_129,
      accepted: 0,
      duplicates: 15_129,
      rejectedByCode: {},
      failedFiles: 0,
    });
    const got = await app.store.leaderboard({ period: ALL_TIME, type: null, limit: 10, after: null });
    expect(got.map(({ userId, value, rank }) => ({ userId, value, rank }))).toEqual(
      truth.leaderboard.slice(0, 10),
    );
    expect(formatSummary(again)).toContain("0 accepted, 15129 duplicates");
  });
});

describe("GH Archive import of damaged input", () => {
  let app: App;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "eventscore-import-bad-"));
    app = await createApp(loadConfig({ EVENTSCORE_SQLITE_PATH: ":memory:" }), createJsonLogger("silent"));
  });

  afterAll(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const real = readRawEvents(HOUR_0)
    .slice(0, 5)
    .map((event) => JSON.stringify(event));
  const event = (id: string, login: string, createdAt = "2015-01-01T00:00:00Z"): string =>
    JSON.stringify({
      id,
      type: "PushEvent",
      actor: { login },
      repo: { name: "o/r" },
      created_at: createdAt,
      payload: {},
    });

  it("counts and reports malformed lines and rejected events, never fatal", async () => {
    const path = join(dir, "damaged.json");
    writeFileSync(
      path,
      [
        real[0],
        "this is not json",
        '{"id":"1","type":"PushEvent"}', // JSON, but not an event
        "",
        real[1]!.slice(0, 80), // cut short
        real[2],
        event("x-1", "alice", "not a date"), // INVALID_OCCURRED_AT
        event("x-2", "bob\u0007"), // INVALID_USER_ID
        "[1,2,3]",
        real[3],
        "",
      ].join("\n"),
    );
    const summary = await importArchives([path], { sink: app.services.ingest, progress: null });
    expect(summary).toMatchObject({
      lines: 9,
      events: 5,
      accepted: 3,
      duplicates: 0,
      malformed: 4,
      rejectedByCode: { INVALID_OCCURRED_AT: 1, INVALID_USER_ID: 1 },
      failedFiles: 0,
    });
    expect(summary.files[0]!.malformedLines).toEqual([2, 3, 5, 9]);
    const text = formatSummary(summary);
    expect(text).toContain("4 malformed (lines 2, 3, 5, 9)");
    expect(text).toContain("INVALID_OCCURRED_AT 1, INVALID_USER_ID 1");
  });

  it("reports missing and truncated files and goes on with the next", async () => {
    const gz = join(dir, "five.json.gz");
    writeFileSync(gz, gzipSync(`${real.join("\n")}\n`));
    const truncated = join(dir, "truncated.json.gz");
    const whole = gzipSync(`${real.join("\n")}\n`);
    writeFileSync(truncated, whole.subarray(0, whole.length - 30));
    const summary = await importArchives([join(dir, "missing.json.gz"), truncated, gz], {
      sink: app.services.ingest,
      progress: null,
    });
    expect(summary.failedFiles).toBe(2);
    expect(summary.files[0]!.error).toContain("ENOENT");
    expect(summary.files[1]!.error).not.toBeNull();
    expect(summary.files[2]).toMatchObject({ events: 5, error: null });
    expect(summary.accepted + summary.duplicates).toBe(summary.events);
    expect(formatSummary(summary)).toContain("(2 failed)");
  });

  it("shows progress: redrawn on a terminal, a line every few seconds otherwise", async () => {
    const path = join(dir, "progress.json");
    writeFileSync(path, `${real.join("\n")}\n`);
    let clock = 0;
    const now = (): number => (clock += 1000); // every reading of the clock is a second later
    const plain: string[] = [];
    await importArchives([path], {
      sink: app.services.ingest,
      progress: { write: (text) => plain.push(text), isTTY: false },
      progressIntervalMs: 500,
      now,
    });
    expect(plain.length).toBeGreaterThan(0);
    expect(plain.every((line) => line.endsWith("\n") && !line.includes("\r"))).toBe(true);
    expect(plain.at(-1)).toMatch(/100\.0%\s+5 events\s+\d+ events\/s\s+ETA 0 s/);

    const tty: string[] = [];
    await importArchives([path], {
      sink: app.services.ingest,
      progress: { write: (text) => tty.push(text), isTTY: true },
      now,
    });
    expect(tty.every((line) => line.startsWith("\r"))).toBe(true);
    expect(tty.at(-1)).toMatch(/events\/s.*ETA.*\n$/);
  });

  it("uses batches no larger than the ingest allows", async () => {
    const sizes: number[] = [];
    const path = join(dir, "batches.json");
    writeFileSync(path, `${Array.from({ length: 25 }, (_, i) => event(`b-${i}`, "carol")).join("\n")}\n`);
    const summary = await importArchives([path], {
      sink: {
        maxBatchSize: 10,
        record: (drafts) => {
          sizes.push(drafts.length);
          return app.services.ingest.record(drafts);
        },
      },
      batchSize: 1000,
      progress: null,
    });
    expect(sizes).toEqual([10, 10, 5]);
    expect(summary.accepted).toBe(25);
  });
});
