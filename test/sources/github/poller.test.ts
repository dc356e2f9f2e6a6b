import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createApp, type App } from "../../../src/app/app.js";
import { loadConfig } from "../../../src/app/config.js";
import { createJsonLogger } from "../../../src/app/logger.js";
import type { GitHubEvent } from "../../../src/sources/github/mapping.js";
import { sleep } from "../../../src/services/abortable.js";
import { GitHubPoller, type PollerDeps, type PollerOptions } from "../../../src/sources/github/poller.js";
import { HOUR_0 } from "../../support/github-truth.js";
import { loadTimeline, startFakeGitHub, type FakeGitHub } from "../../support/fake-github.js";

const ALL_TIME = { window: "ALL_TIME", bucket: "*" } as const;

let timeline: GitHubEvent[];
let app: App;
let github: FakeGitHub;
let waits: number[];

beforeAll(async () => {
  timeline = await loadTimeline(HOUR_0);
});

beforeEach(async () => {
  app = await createApp(
    loadConfig({ EVENTSCORE_SQLITE_PATH: ":memory:", EVENTSCORE_SQLITE_SYNCHRONOUS: "NORMAL" }),
    createJsonLogger("silent"),
  );
  waits = [];
});

afterEach(async () => {
  await github?.close();
  await app.close();
});

function poller(overrides: Partial<PollerOptions> = {}, deps: Partial<PollerDeps> = {}): GitHubPoller {
  return new GitHubPoller(
    { ...optionsFor(github.baseUrl), requestTimeoutMs: 5_000, ...overrides },
    {
      sink: app.services.ingest,
      // Waits are recorded at their full length and slept 100 times faster.
      sleep: (ms, signal) => {
        waits.push(ms);
        return sleep(Math.min(ms / 100, 250), signal);
      },
      ...deps,
    },
  );
}

async function storedCount(events: readonly GitHubEvent[]): Promise<number> {
  const users = [...new Set(events.map((e) => e.actor.login))];
  const tallies = await app.store.tallies(users, ALL_TIME);
  return tallies.reduce((sum, tally) => sum + tally.count, 0);
}

function perUser(events: readonly GitHubEvent[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const event of events) counts.set(event.actor.login, (counts.get(event.actor.login) ?? 0) + 1);
  return counts;
}

describe("GitHub Events API poller (fake GitHub serving the 2015-01-01 00:00 hour)", () => {
  it("records every event exactly once while the timeline grows, with 304s in between", async () => {
    github = await startFakeGitHub({ windowSize: 300, pollIntervalSeconds: 60 });
    const p = poller();
    let pushed = 0;
    const pushNext = (count: number): number => {
      const batch = timeline.slice(pushed, pushed + count);
      github.push(batch);
      pushed += batch.length;
      return batch.length;
    };

    pushNext(250);
    const first = await p.pollOnce();
    expect(first).toMatchObject({ status: "new", pages: 3, newEvents: 250, accepted: 250, gap: false });
    expect(first.waitMs).toBe(60_000); // X-Poll-Interval: 60 outweighs the 10 ms interval

    const unchanged = await p.pollOnce();
    expect(unchanged.status).toBe("not-modified");
    const conditional = github.requests.at(-1)!;
    expect(conditional.status).toBe(304);
    expect(conditional.ifNoneMatch).toMatch(/^W\/"/);

    // Then the rest of the hour arrives in uneven bursts, all below the 300-event window.
    const bursts = [1, 37, 100, 0, 150, 99, 101, 250, 299, 3];
    let i = 0;
    while (pushed < timeline.length) {
      const burst = pushNext(bursts[i++ % bursts.length]!);
      const result = await p.pollOnce();
      expect(result.gap).toBe(false);
      expect(result.status).toBe(burst === 0 ? "not-modified" : "new");
      expect(result.newEvents).toBe(burst);
    }

    const stats = p.stats;
    expect(stats.accepted).toBe(timeline.length);
    expect(stats.newEvents).toBe(timeline.length);
    expect(stats.duplicates).toBe(0);
    expect(stats.rejected).toBe(0);
    expect(stats.gaps).toBe(0);
    expect(stats.errors).toBe(0);
    expect(stats.notModified).toBeGreaterThanOrEqual(2);
    expect(await storedCount(timeline)).toBe(7702);
    const expected = perUser(timeline);
    for (const [user, count] of [...expected].slice(0, 200)) {
      const [tally] = await app.store.tallies([user], ALL_TIME);
      expect(tally?.count, user).toBe(count);
    }
  });

  it("deduplicates events that move to the next page while pages are walked", async () => {
    github = await startFakeGitHub({ windowSize: 300 });
    github.push(timeline.slice(0, 200));
    const p = poller();
    await p.pollOnce();

    github.push(timeline.slice(200, 380)); // 180 new: two pages
    let moved = false;
    github.onPage((page) => {
      if (page === 2 && !moved) {
        moved = true;
        github.push(timeline.slice(380, 420)); // 40 more land on top while page 2 is fetched
      }
    });
    const walked = await p.pollOnce();
    github.onPage(null);
    // Page 2 now starts 40 events earlier: 40 repeats of page 1, then 60 new; page 3 reaches the seen ones.
    expect(walked).toMatchObject({ status: "new", pages: 3, newEvents: 180, gap: false });

    const next = await p.pollOnce();
    expect(next).toMatchObject({ status: "new", newEvents: 40, gap: false });
    expect(p.stats.duplicates).toBe(0);
    expect(p.stats.accepted).toBe(420);
    expect(await storedCount(timeline.slice(0, 420))).toBe(420);
  });

  it("reports a possible gap when every page is new and there are no more pages", async () => {
    github = await startFakeGitHub({ windowSize: 300 });
    github.push(timeline.slice(0, 50));
    const p = poller();
    expect((await p.pollOnce()).gap).toBe(false); // no baseline yet: nothing can be missing

    github.push(timeline.slice(50, 500)); // 450 new, only the latest 300 are served
    const result = await p.pollOnce();
    expect(result).toMatchObject({ status: "new", pages: 3, newEvents: 300, gap: true });
    expect(p.stats.gaps).toBe(1);
    expect(await storedCount(timeline.slice(0, 500))).toBe(350);

    // A page limit that stops the walk early is a possible gap too.
    const shallow = poller({ maxPages: 1, perPage: 50 });
    await shallow.pollOnce();
    github.push(timeline.slice(500, 620));
    expect(await shallow.pollOnce()).toMatchObject({ pages: 1, newEvents: 50, gap: true });
  });

  it("polls users/NAME and orgs/NAME, with a bearer token", async () => {
    github = await startFakeGitHub({ token: "t0ken" });
    github.push(timeline.slice(0, 3000));
    const org = "cloudify-cosmo";
    const orgEvents = timeline.slice(0, 3000).filter((e) => e.org?.login === org);
    const result = await poller({ target: `orgs/${org}`, token: "t0ken" }).pollOnce();
    expect(result.newEvents).toBe(orgEvents.length);
    expect(github.requests.at(-1)).toMatchObject({
      path: `/orgs/${org}/events`,
      authorization: "Bearer t0ken",
    });

    const user = timeline[0]!.actor.login;
    const userEvents = timeline.slice(0, 3000).filter((e) => e.actor.login === user);
    expect((await poller({ target: `users/${user}`, token: "t0ken" }).pollOnce()).newEvents).toBe(
      userEvents.length,
    );

    const anonymous = await poller().pollOnce();
    expect(anonymous).toMatchObject({ status: "error" });
    expect(anonymous.error).toContain("401");
  });

  it("sleeps until X-RateLimit-Reset when the limit is spent", async () => {
    github = await startFakeGitHub({ pollIntervalSeconds: 1 });
    github.push(timeline.slice(0, 10));
    const now = Math.floor(Date.now() / 1000);

    // The poll that spends the last request waits for the reset, however short the interval.
    github.setRateLimit(1, now + 30);
    const spent = await poller().pollOnce();
    expect(spent.status).toBe("new");
    expect(spent.waitMs).toBeGreaterThanOrEqual(29_000);
    expect(spent.waitMs).toBeLessThanOrEqual(31_000);

    // A poll refused with 403 and remaining 0 does too.
    const refused = await poller().pollOnce();
    expect(refused.status).toBe("rate-limited");
    expect(refused.waitMs).toBeGreaterThanOrEqual(29_000);
    expect(github.requests.at(-1)?.status).toBe(403);
  });

  it("keeps running through a rate-limit window and picks up where it stopped", async () => {
    github = await startFakeGitHub({ pollIntervalSeconds: 1 });
    github.push(timeline.slice(0, 100));
    // The limit resets 2-3 s from now: long enough that the first poll meets it even on a busy machine.
    github.setRateLimit(0, Math.floor(Date.now() / 1000) + 3);
    const controller = new AbortController();
    const p = poller(
      { intervalMs: 10 },
      {
        sleep: (ms, signal) => {
          waits.push(ms);
          return sleep(Math.min(ms, 300), signal); // real time, so the fake's limit resets
        },
      },
    );
    const running = p.run(controller.signal);
    while (p.stats.accepted < 100) await sleep(20, undefined);
    controller.abort();
    await running;
    expect(p.stats.rateLimited).toBeGreaterThanOrEqual(1);
    expect(p.stats.errors).toBe(0);
    expect(Math.max(...waits)).toBeGreaterThanOrEqual(1000);
    expect(await storedCount(timeline.slice(0, 100))).toBe(100);
  });

  it("honours Retry-After on 403 and 429", async () => {
    github = await startFakeGitHub();
    github.script(
      { status: 429, headers: { "retry-after": "7" } },
      { status: 403, headers: { "retry-after": "120" } },
    );
    const p = poller();
    expect(await p.pollOnce()).toMatchObject({ status: "rate-limited", waitMs: 7_000 });
    expect(await p.pollOnce()).toMatchObject({ status: "rate-limited", waitMs: 120_000 });
    expect(p.stats.errors).toBe(0);
  });

  it("backs off on server and network errors and never throws out of its loop", async () => {
    github = await startFakeGitHub();
    github.push(timeline.slice(0, 20));
    github.script({ status: 500 }, { status: 502 }, { status: 200, body: "not json" });
    const p = poller({ intervalMs: 1_000, maxBackoffMs: 3_000 });
    expect(await p.pollOnce()).toMatchObject({ status: "error", waitMs: 1_000 });
    expect(await p.pollOnce()).toMatchObject({ status: "error", waitMs: 2_000 });
    expect(await p.pollOnce()).toMatchObject({ status: "error", waitMs: 3_000 }); // capped
    expect(await p.pollOnce()).toMatchObject({ status: "new", newEvents: 20 });

    // A server that is gone: run() keeps backing off until it is stopped.
    const gone = github.baseUrl;
    await github.close();
    const controller = new AbortController();
    const deadWaits: number[] = [];
    const dead = new GitHubPoller(
      { ...optionsFor(gone), intervalMs: 5 },
      {
        sink: app.services.ingest,
        sleep: (ms, signal) => {
          deadWaits.push(ms);
          return sleep(1, signal);
        },
      },
    );
    const running = dead.run(controller.signal);
    while (dead.stats.errors < 3) await sleep(5, undefined);
    controller.abort();
    await expect(running).resolves.toBeUndefined();
    expect(deadWaits.slice(0, 3)).toEqual([1000, 2000, 4000]);
  });

  it("does not keep the ETag when a later page fails, so nothing is skipped", async () => {
    github = await startFakeGitHub();
    github.push(timeline.slice(0, 10));
    const p = poller({ perPage: 100 });
    await p.pollOnce();
    github.push(timeline.slice(10, 260));
    github.script({ status: "timeline" }, { status: 500 }); // page 1 fine, page 2 fails
    const partial = await p.pollOnce();
    expect(partial).toMatchObject({ status: "new", pages: 1, newEvents: 100, gap: false });
    const rest = await p.pollOnce();
    expect(github.requests.at(-3)?.ifNoneMatch).not.toBeNull();
    expect(rest).toMatchObject({ status: "new", newEvents: 150, gap: false });
    expect(p.stats.accepted).toBe(260);
    expect(p.stats.duplicates).toBe(0);
  });

  it("keeps the ETag and recent ids in a state file across restarts", async () => {
    github = await startFakeGitHub();
    github.push(timeline.slice(0, 120));
    const dir = mkdtempSync(join(tmpdir(), "eventscore-poll-"));
    try {
      const stateFile = join(dir, "state", "github-poll.json");
      expect((await poller({ stateFile }).pollOnce()).newEvents).toBe(120);
      const saved = JSON.parse(readFileSync(stateFile, "utf8")) as { etag: string; seen: string[] };
      expect(saved.seen).toHaveLength(120);

      const restarted = poller({ stateFile });
      expect((await restarted.pollOnce()).status).toBe("not-modified");
      github.push(timeline.slice(120, 130));
      expect(await restarted.pollOnce()).toMatchObject({ newEvents: 10, gap: false });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses targets other than events, users/NAME, orgs/NAME, repos/OWNER/NAME", () => {
    github = undefined as unknown as FakeGitHub;
    for (const target of ["users/", "orgs/a/b", "../events", "users/a?x=1", "teams/x"]) {
      expect(
        () =>
          new GitHubPoller({ ...optionsFor("http://127.0.0.1:1"), target }, { sink: app.services.ingest }),
      ).toThrow(/poll target/);
    }
  });
});

function optionsFor(baseUrl: string): PollerOptions {
  return {
    baseUrl,
    target: "events",
    token: null,
    intervalMs: 10,
    perPage: 100,
    maxPages: 10,
    maxBackoffMs: 60_000,
    requestTimeoutMs: 2_000,
    stateFile: null,
  };
}
