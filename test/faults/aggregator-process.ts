/**
 * `eventscore aggregate` with a crash point, for the fault tests: configured from the
 * environment like the real command, and with EVENTSCORE_TEST_KILL_AT=<step>:<n> it SIGKILLs
 * itself right after the n-th time any of its shard writers finishes that write step
 * (log-cells-boards, type-counts, progress; see shard-writer.ts). No step: it just aggregates.
 */
import "reflect-metadata";
import { createApp } from "../../src/app/app.js";
import { loadConfig } from "../../src/app/config.js";
import { createJsonLogger } from "../../src/app/logger.js";

const [step, nth] = (process.env["EVENTSCORE_TEST_KILL_AT"] ?? "").split(":");
let seen = 0;
const config = loadConfig();
const app = await createApp(config, createJsonLogger("warn"), undefined, {
  afterWriteStep: (_shard, done) => {
    if (done !== step) return;
    seen += 1;
    if (seen === Number(nth)) {
      process.stdout.write(`killing myself after ${done} #${seen}\n`);
      process.kill(process.pid, "SIGKILL");
    }
  },
});
if (app.startAggregator === null) throw new Error("not a Kafka configuration");
const aggregator = await app.startAggregator();
process.on("SIGTERM", () => {
  void aggregator
    .stop()
    .then(() => app.close())
    .then(() => process.exit(0));
});
process.stdout.write("aggregating\n");
setInterval(() => process.stdout.write(`owned ${JSON.stringify(aggregator.owned())}\n`), 1000).unref();
await new Promise(() => undefined);
