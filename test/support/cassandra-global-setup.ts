/**
 * Vitest global setup: after the run, stops the local Cassandra node if a test file of this run
 * started it (see startLocalNode in ./cassandra.ts). A node that was running before is left alone.
 * Enable in vitest.config.ts: test.globalSetup: ["test/support/cassandra-global-setup.ts"].
 */
import { execFile } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { promisify } from "node:util";
import { skipWarnedMarker, startedMarker } from "./cassandra.js";

const run = promisify(execFile);

export default function setup(): () => Promise<void> {
  return async () => {
    rmSync(skipWarnedMarker(process.pid), { force: true });
    const marker = startedMarker(process.pid);
    if (!existsSync(marker)) return;
    rmSync(marker, { force: true });
    const script = new URL("../../scripts/cassandra.sh", import.meta.url).pathname;
    await run("bash", [script, "stop"], { timeout: 120_000 });
  };
}
