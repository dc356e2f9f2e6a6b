import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/app/config.js";
import { ConfigError } from "../../../src/app/env.js";
import { loadGitHubConfig } from "../../../src/sources/github/config.js";
import { createJsonLogger } from "../../../src/app/logger.js";
import { startInstance } from "../../../src/cli/instance.js";
import { sleep } from "../../../src/services/abortable.js";
import { HOUR_1 } from "../../support/github-truth.js";
import { loadTimeline, startFakeGitHub } from "../../support/fake-github.js";

describe("GitHub configuration", () => {
  it("has defaults: webhook off, poller off, public events from api.github.com", () => {
    expect(loadGitHubConfig({})).toEqual({
      webhook: { secret: null, maxBodyBytes: 26_214_400, starSource: "watch" },
      poll: {
        onStart: false,
        baseUrl: "https://api.github.com",
        target: "events",
        token: null,
        intervalMs: 60_000,
        perPage: 100,
        maxPages: 10,
        maxBackoffMs: 900_000,
        requestTimeoutMs: 30_000,
        stateFile: null,
      },
    });
  });

  it("reads every variable", () => {
    const config = loadGitHubConfig({
      GITHUB_WEBHOOK_SECRET: "s3cret",
      GITHUB_WEBHOOK_MAX_BYTES: "2048",
      GITHUB_WEBHOOK_STARS: "star",
      GITHUB_POLL_ON_START: "true",
      GITHUB_POLL_URL: "https://ghe.example.com/api/v3/",
      GITHUB_POLL_TARGET: "/repos/nodejs/node.js/",
      GITHUB_TOKEN: "tok",
      GITHUB_POLL_INTERVAL_MS: "5000",
      GITHUB_POLL_PER_PAGE: "50",
      GITHUB_POLL_MAX_PAGES: "3",
      GITHUB_POLL_MAX_BACKOFF_MS: "10000",
      GITHUB_POLL_TIMEOUT_MS: "1000",
      GITHUB_POLL_STATE_FILE: "data/poll.json",
    });
    expect(config.webhook).toEqual({ secret: "s3cret", maxBodyBytes: 2048, starSource: "star" });
    expect(config.poll).toMatchObject({
      onStart: true,
      baseUrl: "https://ghe.example.com/api/v3",
      target: "repos/nodejs/node.js",
      token: "tok",
      perPage: 50,
      stateFile: "data/poll.json",
    });
  });

  it("names the variable of a bad value", () => {
    const bad: [string, string][] = [
      ["GITHUB_POLL_TARGET", "teams/core"],
      ["GITHUB_POLL_TARGET", "users/a/b"],
      ["GITHUB_POLL_URL", "not a url"],
      ["GITHUB_POLL_URL", "ftp://example.com"],
      ["GITHUB_POLL_PER_PAGE", "101"],
      ["GITHUB_POLL_ON_START", "maybe"],
      ["GITHUB_WEBHOOK_STARS", "both"],
    ];
    for (const [variable, value] of bad) {
      expect(() => loadGitHubConfig({ [variable]: value }), `${variable}=${value}`).toThrow(ConfigError);
      expect(() => loadGitHubConfig({ [variable]: value })).toThrow(variable);
    }
  });
});

describe("GITHUB_POLL_ON_START=true", () => {
  it("polls inside the server, and stop() ends the poller", async () => {
    const github = await startFakeGitHub({ pollIntervalSeconds: 60 });
    const events = (await loadTimeline(HOUR_1)).slice(0, 40);
    const users = new Set(events.map((e) => e.actor.login)).size;
    github.push(events);
    const config = loadConfig({
      ...process.env,
      PORT: "0",
      HOST: "127.0.0.1",
      EVENTSCORE_SQLITE_PATH: ":memory:",
    });
    const instance = await startInstance(
      config,
      createJsonLogger("silent"),
      loadGitHubConfig({ GITHUB_POLL_ON_START: "true", GITHUB_POLL_URL: github.baseUrl }),
    );
    try {
      let total = 0;
      for (let i = 0; i < 200 && total < users; i++) {
        await sleep(25, undefined);
        const response = await fetch(`http://127.0.0.1:${instance.server.port}/graphql`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ query: "{ leaderboard(first: 100) { nodes { value } } }" }),
        });
        const body = (await response.json()) as { data: { leaderboard: { nodes: { value: number }[] } } };
        total = body.data.leaderboard.nodes.length;
      }
      expect(total).toBe(users);
      expect(github.requests).toHaveLength(1);
    } finally {
      const started = Date.now();
      await instance.stop(); // the poller is asleep for X-Poll-Interval (60 s): stop must not wait for it
      expect(Date.now() - started).toBeLessThan(5_000);
      await github.close();
    }
  });
});
