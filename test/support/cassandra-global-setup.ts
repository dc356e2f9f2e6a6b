/**
 * Vitest global setup: after the run, stops the local Cassandra node if a test file of this run
 * started it (see startLocalNode in ./cassandra.ts). A node that was running before is left alone.
 * Enable in vitest.config.ts: test.globalSetup: ["test/support/cassandra-global-setup.ts"].
 */
import { stopIfStartedByThisRun } from "./local-service.js";

export default function setup(): () => Promise<void> {
  return stopIfStartedByThisRun("cassandra");
}
