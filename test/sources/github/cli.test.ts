import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HOUR_0 } from "../../support/github-truth.js";
import { loadTimeline, startFakeGitHub, type FakeGitHub } from "../../support/fake-github.js";

const require = createRequire(import.meta.url);
const TSX = require.resolve("tsx/cli");
const MAIN = join(import.meta.dirname, "../../../src/cli/main.ts");

function cli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [TSX, MAIN, ...args],
      { env: { ...process.env, ...env } },
      (error, stdout, stderr) => {
        resolve({
          code: error === null ? 0 : typeof error.code === "number" ? error.code : 1,
          stdout,
          stderr,
        });
      },
    );
  });
}

describe("eventscore import / poll-github (child processes, SQLite file)", () => {
  let dir: string;
  let env: Record<string, string>;
  let github: FakeGitHub;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "eventscore-cli-"));
    env = { EVENTSCORE_SQLITE_PATH: join(dir, "events.db") };
    github = await startFakeGitHub({ pollIntervalSeconds: 1 });
  });

  afterAll(async () => {
    await github.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("imports a file, then finds only duplicates on a re-run", async () => {
    const lines = (await loadTimeline(HOUR_0)).slice(0, 300).map((event) => JSON.stringify(event));
    const file = join(dir, "part.json");
    writeFileSync(file, `${lines.join("\n")}\nnot json\n`);
    const [first, missing, usage] = await Promise.all([
      cli(["import", file], env),
      cli(["import", join(dir, "nope.json.gz")], { EVENTSCORE_SQLITE_PATH: ":memory:" }),
      cli(["import"], env),
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain("FAILED: ENOENT");
    expect(usage.code).toBe(2);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("300 events, 300 accepted, 0 duplicates, 0 rejected, 1 malformed lines");
    const again = await cli(["import", "--no-progress", file], env);
    expect(again.stdout).toContain("300 events, 0 accepted, 300 duplicates");
  });

  it("polls once against the configured API", async () => {
    github.push((await loadTimeline(HOUR_0)).slice(0, 400)); // the fake serves the latest 300
    const result = await cli(["poll-github", "--once"], {
      ...env,
      GITHUB_POLL_URL: github.baseUrl,
      GITHUB_POLL_TARGET: "events",
      GITHUB_TOKEN: "secret-token",
    });
    expect(result.code).toBe(0);
    const output = JSON.parse(result.stdout) as {
      status: string;
      newEvents: number;
      stats: { accepted: number; duplicates: number };
    };
    expect(output).toMatchObject({ status: "new", newEvents: 300 });
    // Events 100-299 were imported above from the archive: the same GitHub ids, so not counted twice.
    expect(output.stats).toMatchObject({ accepted: 100, duplicates: 200 });
    expect(github.requests.at(-1)?.authorization).toBe("Bearer secret-token");

    const bad = await cli(["poll-github", "--once"], { ...env, GITHUB_POLL_TARGET: "teams/x" });
    expect(bad.code).toBe(78);
    expect(bad.stderr).toContain("GITHUB_POLL_TARGET");
  });
});
