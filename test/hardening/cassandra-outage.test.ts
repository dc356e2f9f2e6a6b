import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deleteTestTopic } from "../support/kafka.js";
import { startChildServer, waitForExit, type ChildServer } from "../support/child-server.js";
import { recordBatch, recordFailures } from "../support/record-client.js";
import { postGraphQL } from "../support/server.js";
import { expectAggregatesMatch, loadBatch, readLog, type LoadEvent } from "./ledger.js";
import {
  createSecondNode,
  ownNodesPipeline,
  secondNodeSupport,
  type SecondNode,
} from "./second-cassandra.js";

const ROOT = join(import.meta.dirname, "../..");
const WORKERS = 4;
const BATCH = 20;

const { kafka, unsupported } = await ownNodesPipeline(
  "the Cassandra outage test needs a node of its own",
  secondNodeSupport,
);
const TOPIC = `es-outage-${process.pid}`;

describe.skipIf(unsupported !== null)("Cassandra outage mid-load", { timeout: 900_000 }, () => {
  let node: SecondNode;
  let api: ChildServer | null = null;
  const env = (contactPoint: string) => ({
    EVENTSCORE_STORE: "cassandra",
    CASSANDRA_CONTACT_POINTS: contactPoint,
    CASSANDRA_KEYSPACE: "eventscore_outage",
    EVENTSCORE_REQUEST_TIMEOUT_MS: "30000",
    EVENTSCORE_LOG: "kafka",
    KAFKA_BROKERS: kafka?.brokers.join(",") ?? "",
    KAFKA_TOPIC: TOPIC,
    KAFKA_GROUP: `${TOPIC}-aggregators`,
    KAFKA_PARTITIONS: "4",
    KAFKA_SESSION_TIMEOUT_MS: "3000",
    // While the store is down, mutations answer once the events are durable in the log.
    EVENTSCORE_APPLIED_TIMEOUT_MS: "2000",
  });
  const serveAndAggregate = {
    argv: [process.execPath, "--import", "tsx", "src/cli/main.ts", "serve", "--aggregate"] as const,
    cwd: ROOT,
  };

  beforeAll(async () => {
    node = await createSecondNode();
    await node.start();
  }, 600_000);

  afterAll(async () => {
    if (api && api.process.exitCode === null) api.process.kill("SIGKILL");
    await node?.destroy();
    if (kafka) await deleteTestTopic(kafka.brokers, TOPIC);
  }, 600_000);

  it("keeps taking events into the log while the node is SIGKILLed, answers reads with STORE_UNAVAILABLE, and counts everything exactly once after it returns, with no rebuild", async () => {
    api = await startChildServer(env(node.contactPoint), serveAndAggregate);
    const server = api;
    const base = server.url.replace(/\/graphql$/, "");
    const sent = new Map<string, LoadEvent[]>();
    const acknowledged = new Set<string>();
    const failures = recordFailures();
    let stop = false;
    let durableOnly = 0;

    const writer = async (worker: number): Promise<void> => {
      // Like a real client, a batch that failed is sent again until it is acknowledged.
      for (let batch = 0; !stop;) {
        const events = loadBatch(worker, batch, BATCH);
        sent.set(`${worker}/${batch}`, events);
        const recorded = await recordBatch(server.url, events, failures);
        if (recorded !== null) {
          events.forEach((e) => acknowledged.add(e.id));
          if (!recorded.applied) durableOnly += 1;
          batch += 1;
          continue;
        }
        await new Promise((resolve) => setTimeout(resolve, 100)); // a failing client backs off
      }
    };
    const waitUntil = async (what: string, condition: () => Promise<boolean> | boolean, ms: number) => {
      const deadline = Date.now() + ms;
      while (!(await condition())) {
        if (Date.now() > deadline) {
          // Both sides of the story: what the aggregator kept saying, and what the node said.
          const serverTail = server.output().split("\n").slice(-40).join("\n");
          throw new Error(
            `timed out waiting for ${what}\nserver:\n${serverTail}\nnode:\n${await node.logTail()}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    };
    const readiness = async () => (await fetch(`${base}/health/ready`)).status;

    const writers = Array.from({ length: WORKERS }, (_, worker) => writer(worker));
    await waitUntil("load before the outage", () => acknowledged.size >= 400, 120_000);

    await node.kill();
    const beforeOutage = acknowledged.size;
    const durableBefore = durableOnly;
    await waitUntil("readiness to fail", async () => (await readiness()) === 503, 60_000);
    // Ingest goes on: the log takes the events, and the mutations say they are durable, not applied.
    await waitUntil(
      "writes acknowledged as durable while the node is down",
      () => durableOnly >= durableBefore + 8,
      60_000,
    );
    expect(acknowledged.size).toBeGreaterThan(beforeOutage);
    const query = await postGraphQL(server.url, `{ score(userId: "ana") { score } }`);
    expect(query.errors?.[0]?.extensions?.["code"]).toBe("STORE_UNAVAILABLE");
    expect(query.errors?.[0]?.message).not.toMatch(/127\.0\.0\.1|NoHost|cassandra/i);

    await node.start();
    // Nobody restarts the API or the aggregator: the driver reconnects, the aggregator retries.
    await waitUntil("readiness to recover", async () => (await readiness()) === 200, 300_000);
    const afterOutage = acknowledged.size;
    await waitUntil("writes to go on", () => acknowledged.size >= afterOutage + 200, 120_000);
    stop = true;
    await Promise.all(writers);

    expect(failures.problems).toEqual([]);
    // During the outage, clients saw retryable store errors, never internal ones.
    const unexpected = [...failures.codes.keys()].filter(
      (code) => code !== "STORE_UNAVAILABLE" && code !== "TIMEOUT",
    );
    const internal = server
      .output()
      .split("\n")
      .filter((line) => line.includes('"internal error"'))
      .slice(0, 3);
    expect(unexpected, internal.join("\n")).toEqual([]);

    const sentIds = new Set([...sent.values()].flat().map((e) => e.id));

    // Clients retry what was left unacknowledged when they stopped. Then, with no rebuild, the
    // aggregator catches up on what the log took during the outage, and every count agrees with
    // the log exactly.
    for (const events of sent.values()) {
      if (events.every((e) => acknowledged.has(e.id))) continue;
      expect(await recordBatch(server.url, events, failures)).not.toBeNull();
    }
    await waitUntil(
      "the aggregator to apply every event",
      async () => (await readLog(server.url)).size === sentIds.size,
      300_000,
    );
    // Every acknowledged event is stored, and nothing that was never sent appeared.
    const after = await readLog(server.url);
    for (const id of acknowledged) expect(after.has(id), `acknowledged ${id} lost`).toBe(true);
    expect(new Set(after.keys())).toEqual(sentIds);
    await expectAggregatesMatch(server.url, after);

    server.process.kill("SIGTERM");
    expect(await waitForExit(server.process)).toBe(0);
  });
});
