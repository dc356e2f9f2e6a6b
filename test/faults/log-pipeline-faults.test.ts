/**
 * Faults of the production write path, with real processes: an API server (`serve`) and
 * aggregator processes (`aggregate`) on a Kafka broker of the test's own and the shared Cassandra.
 * While clients keep sending (and re-sending what failed), the test SIGKILLs aggregators at three
 * crash points of one batch, pauses one past its session so the group moves its partitions while
 * it still writes (a zombie), and SIGKILLs and restarts the broker. Afterwards, with no rebuild,
 * every acknowledged event must be in the log once and every aggregate row must equal the brute
 * force of the log: nothing lost, nothing counted twice, no stale leaderboard row.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { Admin } from "@platformatic/kafka";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { partitionOf } from "../../src/services/kafka/pipelined-sender.js";
import { createClient } from "../../src/store/cassandra/index.js";
import { cassandraForTests, uniqueKeyspace } from "../support/cassandra.js";
import { startChildServer, waitForExit, type ChildServer } from "../support/child-server.js";
import { privateBroker, privateBrokerSupport, type PrivateBroker } from "../support/kafka.js";
import { expectExactAggregates, storedEvents, wholeLogApplied } from "../support/log-fed-truth.js";

const ROOT = join(import.meta.dirname, "../..");
const PARTITIONS = 4;
const WORKERS = 4;
const BATCH = 20;
const USERS = Array.from({ length: 40 }, (_, i) => `user-${i}`);
const TYPES = ["PushEvent", "PullRequestEvent", "IssuesEvent", "WatchEvent", "DeleteEvent"];
/** Which faults to inject (all by default): EVENTSCORE_TEST_FAULTS=crash,zombie,broker. */
const FAULTS = new Set((process.env["EVENTSCORE_TEST_FAULTS"] ?? "crash,zombie,broker").split(","));
const RECORD = `mutation ($events: [EventInput!]!) { recordEvents(events: $events) { applied accepted duplicates rejected { index code } } }`;

const cassandra = await cassandraForTests();
const unsupported = cassandra === null ? "no Cassandra for tests" : await privateBrokerSupport();
if (unsupported !== null && process.env["CI"] === "true") {
  throw new Error(`the log pipeline fault test needs a broker of its own: ${unsupported}`);
}

interface Draft {
  readonly id: string;
  readonly userId: string;
  readonly type: string;
  readonly occurredAt: string;
  readonly groups: string[];
}

/** The same batch every time it is (re)sent, so a retry is a true duplicate. */
function batchOf(worker: number, batch: number): Draft[] {
  let seed = worker * 100_003 + batch * 7919 + 1;
  const next = (): number => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
  return Array.from({ length: BATCH }, (_, i) => ({
    id: `f-${worker}-${batch}-${i}`,
    userId: USERS[Math.floor(next() * USERS.length)]!,
    type: TYPES[Math.floor(next() * TYPES.length)]!,
    occurredAt: new Date(
      Date.UTC(2024, 5, 1 + Math.floor(next() * 20), Math.floor(next() * 24)),
    ).toISOString(),
    groups: next() > 0.5 ? ["acme"] : [],
  }));
}

describe.skipIf(unsupported !== null)("log pipeline faults", { timeout: 900_000 }, () => {
  const keyspace = uniqueKeyspace("faults");
  const topic = `es-faults-${process.pid}`;
  let broker: PrivateBroker;
  let api: ChildServer | null = null;
  const aggregators: ChildProcess[] = [];
  const env = (): Record<string, string> => ({
    EVENTSCORE_STORE: "cassandra",
    CASSANDRA_CONTACT_POINTS: cassandra!.contactPoints.join(","),
    CASSANDRA_LOCAL_DC: cassandra!.localDataCenter,
    CASSANDRA_KEYSPACE: keyspace,
    EVENTSCORE_LOG: "kafka",
    KAFKA_BROKERS: broker.brokers.join(","),
    KAFKA_TOPIC: topic,
    KAFKA_GROUP: `${topic}-aggregators`,
    KAFKA_PARTITIONS: String(PARTITIONS),
    KAFKA_SESSION_TIMEOUT_MS: "3000",
    EVENTSCORE_APPLIED_TIMEOUT_MS: "3000",
    EVENTSCORE_PUBSUB: "redis",
    EVENTSCORE_LOG_LEVEL: "warn",
  });

  const startAggregator = (killAt = ""): ChildProcess => {
    const child = spawn(process.execPath, ["--import", "tsx", "test/faults/aggregator-process.ts"], {
      cwd: ROOT,
      env: { ...process.env, ...env(), EVENTSCORE_TEST_KILL_AT: killAt },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    Object.defineProperty(child, "output", { get: () => output });
    aggregators.push(child);
    return child;
  };
  const outputOf = (child: ChildProcess): string => (child as unknown as { output: string }).output;

  beforeAll(async () => {
    broker = await privateBroker();
    await broker.start();
  }, 300_000);

  afterAll(async () => {
    for (const child of aggregators)
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    if (api && api.process.exitCode === null) api.process.kill("SIGKILL");
    await broker?.destroy();
    const client = createClient({ ...cassandra!, keyspace });
    await client.connect();
    if (process.env["EVENTSCORE_TEST_KEEP"] === undefined)
      await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
    else console.log(`kept keyspace ${keyspace}`);
    await client.shutdown();
  }, 300_000);

  it("counts every acknowledged event exactly once after aggregator crashes, a zombie and a broker restart", async () => {
    api = await startChildServer(env());
    const url = api.url;
    const sent = new Map<string, Draft[]>();
    const acknowledged = new Set<string>();
    const failures = new Map<string, number>();
    let stop = false;

    const send = async (events: Draft[]): Promise<boolean> => {
      try {
        const response = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ query: RECORD, variables: { events } }),
        });
        const reply = (await response.json()) as {
          data?: { recordEvents: { rejected: unknown[] } } | null;
          errors?: { extensions?: { code?: string } }[];
        };
        if (reply.data?.recordEvents) {
          expect(reply.data.recordEvents.rejected).toEqual([]);
          return true;
        }
        const code = reply.errors?.[0]?.extensions?.code ?? "NONE";
        failures.set(code, (failures.get(code) ?? 0) + 1);
      } catch {
        failures.set("NO_ANSWER", (failures.get("NO_ANSWER") ?? 0) + 1);
      }
      return false;
    };
    const writer = async (worker: number): Promise<void> => {
      for (let batch = 0; !stop;) {
        const events = batchOf(worker, batch);
        sent.set(`${worker}/${batch}`, events);
        if (await send(events)) {
          events.forEach((e) => acknowledged.add(e.id));
          batch += 1;
        } else {
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }
    };
    const waitUntil = async (what: string, condition: () => boolean | Promise<boolean>, ms = 120_000) => {
      const deadline = Date.now() + ms;
      while (!(await condition())) {
        if (Date.now() > deadline) {
          throw new Error(
            `timed out waiting for ${what}\n${aggregators.map(outputOf).join("\n---\n").slice(-4000)}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    };
    const progress = async (what: string, events = 300) => {
      const target = acknowledged.size + events;
      await waitUntil(what, () => acknowledged.size >= target);
    };

    const steady = startAggregator();
    const writers = Array.from({ length: WORKERS }, (_, worker) => writer(worker));
    await progress("load with one aggregator");

    // An aggregator that dies at each crash point of a batch, while the steady one runs.
    for (const point of FAULTS.has("crash") ? ["log-cells-boards", "type-counts", "progress"] : []) {
      const doomed = startAggregator(`${point}:3`);
      await waitUntil(`the aggregator to die after ${point}`, () => doomed.signalCode === "SIGKILL");
      expect(outputOf(doomed)).toContain(`killing myself after ${point} #3`);
      await progress(`load after the crash at ${point}`);
    }

    // A zombie: paused past its session, so the group moves its partitions; then it resumes
    // with its batch in flight and writes late, before it learns it lost them.
    const zombie = startAggregator();
    if (FAULTS.has("zombie")) {
      await waitUntil("the second aggregator to own partitions", () => /owned \[\d/.test(outputOf(zombie)));
      zombie.kill("SIGSTOP");
      await progress("load while the zombie sleeps");
      zombie.kill("SIGCONT");
      await progress("load after the zombie woke");
    }

    // The broker crashes and comes back with its log; producers and consumers reconnect.
    if (FAULTS.has("broker")) {
      await broker.kill();
      await new Promise((resolve) => setTimeout(resolve, 2000));
      await broker.start();
      await progress("load after the broker restart", 500);
    }

    stop = true;
    await Promise.all(writers);
    // A client re-sends what it never got an answer for.
    for (const events of sent.values()) {
      if (events.every((e) => acknowledged.has(e.id))) continue;
      await waitUntil("a re-sent batch to be acknowledged", () => send(events));
      events.forEach((e) => acknowledged.add(e.id));
    }
    const sentIds = new Set([...sent.values()].flat().map((e) => e.id));
    expect(acknowledged).toEqual(sentIds);

    // No rebuild: the aggregators catch up on their own.
    const client = createClient({ ...cassandra!, keyspace });
    await client.connect();
    const admin = new Admin({ clientId: "eventscore-test-admin", bootstrapBrokers: broker.brokers });
    try {
      await waitUntil("the aggregators to apply the whole log", () =>
        wholeLogApplied(admin, client, keyspace, topic, PARTITIONS),
      );
      const logged = await storedEvents(client, keyspace);
      expect(logged.length).toBe(sentIds.size);
      expect(new Set(logged.map((e) => e.id))).toEqual(sentIds);
      await expectExactAggregates(client, keyspace, logged, (user) => partitionOf(user, PARTITIONS));
    } finally {
      await admin.close();
      await client.shutdown();
    }
    // What clients saw while things broke: retryable errors at most, never an internal one.
    expect([...failures.keys()].filter((code) => code === "INTERNAL_SERVER_ERROR")).toEqual([]);

    steady.kill("SIGTERM");
    zombie.kill("SIGTERM");
    api.process.kill("SIGTERM");
    expect(await waitForExit(api.process)).toBe(0);
  });
});
