import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/app/config.js";

const ROOT = join(import.meta.dirname, "../..");

describe("configuration", () => {
  it.each([
    ["PORT", "forty", /PORT: "forty" is not a whole number/],
    ["EVENTSCORE_STORE", "mongo", /EVENTSCORE_STORE: "mongo" is not one of sqlite, cassandra/],
    ["EVENTSCORE_MAX_BATCH_SIZE", "0", /EVENTSCORE_MAX_BATCH_SIZE: 0 is outside 1\.\.100000/],
    ["EVENTSCORE_RANK_BOTS", "maybe", /EVENTSCORE_RANK_BOTS: "maybe" is not a boolean/],
    ["EVENTSCORE_WEIGHTS_FILE", "/nonexistent.json", /EVENTSCORE_WEIGHTS_FILE: cannot read/],
  ])("refuses %s=%s with a message naming the variable", (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });

  it("stops `eventscore serve` with exit code 78 and one clear line", () => {
    const result = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", "serve"], {
      cwd: ROOT,
      env: { ...process.env, PORT: "99999" },
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(result.status).toBe(78);
    expect(result.stderr).toContain("eventscore: configuration error: PORT: 99999 is outside 0..65535");
    expect(result.stderr).not.toContain("    at ");
  });

  it("has defaults that need no setup", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 4000,
      store: { kind: "sqlite", path: "data/eventscore.db" },
      pubsub: { kind: "memory" },
    });
  });
});
