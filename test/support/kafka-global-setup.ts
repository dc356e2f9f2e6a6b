/**
 * Vitest global setup: after the run, stops the local Kafka broker if a test file of this run
 * started it (see test/support/kafka.ts). A broker that was running before is left alone.
 * Enable in vitest.config.ts: test.globalSetup: ["test/support/kafka-global-setup.ts"].
 */
import { stopIfStartedByThisRun } from "./local-service.js";

export default function setup(): () => Promise<void> {
  return stopIfStartedByThisRun("kafka");
}
