/**
 * The production write path, measured against its floors in the same run:
 *
 *   npm run bench:pipeline [-- --rounds 2 --batch 500 --clients 8 --partitions 4 --latency-seconds 15]
 *
 * 1. raw producer: the same records (key = user id, value = the event's log encoding) sent by a bare
 *    @platformatic/kafka producer to a topic of the same broker (bench/kafka-raw.ts);
 * 2. DURABLE: `recordEvents(wait: DURABLE)` over HTTP to a server (child process) on the Kafka log,
 *    no aggregator: events/s, and the ratio to (1) (target >= 50 %);
 * 3. raw driver: the same log rows as plain prepared INSERTs into events_by_user_day (128 in flight);
 * 4. apply: an aggregator process started on the backlog of (2), timed from its first applied batch
 *    until the log is applied: events/s, and the ratio to (3) (target >= 50 %);
 * 5. APPLIED: `recordEvents` (wait: APPLIED) over HTTP to `serve --aggregate`: events/s;
 * 6. latency: 32 clients (--latency-clients), each sending one `recordEvent` at a time, first
 *    with `wait: DURABLE`, then with `wait: APPLIED`: p50/p95/p99 (target for APPLIED: p95 <= 50 ms).
 *
 * Options for looking into one phase: `--only durable` (phases 1 and 2) or `--only latency`
 * (phase 6); `--wait DURABLE|APPLIED` (phase 6's modes, default both); `--aggregator separate` (phase
 * 6 on `serve` beside an `aggregate` process, notices through Redis at REDIS_URL, instead of one
 * `serve --aggregate`); `--server-node-args="--cpu-prof --cpu-prof-dir=/tmp/prof"` (Node flags for
 * the servers of phases 1 and 6, e.g. a CPU profile; NODE_OPTIONS does not take --cpu-prof).
 *
 * Input: the two real 2015 GH Archive hours (15,129 events) x rounds, ids unique per round.
 * Cassandra from CASSANDRA_CONTACT_POINTS (default 127.0.0.1:9042), Kafka from KAFKA_BROKERS
 * (default 127.0.0.1:9092); every phase has its own keyspace and topic, dropped at the end.
 */
import "reflect-metadata";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Admin } from "@platformatic/kafka";
import cassandra from "cassandra-driver";
import type { EventDraft } from "../src/domain/event.js";
import { dayOf } from "../src/domain/time.js";
import { encodeEvent } from "../src/services/log/codec.js";
import { CassandraLogFedStore, createClient } from "../src/store/cassandra/index.js";
import { startChildServer, waitForExit, type ChildServer } from "../test/support/child-server.js";
import { batches, loadDrafts, quantiles, storeReady } from "./github-data.js";
import { measureRawProducer } from "./kafka-raw.js";
import { rowsPerEvent } from "./planned-writes.js";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "2" },
    batch: { type: "string", default: "500" },
    clients: { type: "string", default: "8" },
    partitions: { type: "string", default: "4" },
    "latency-seconds": { type: "string", default: "15" },
    "latency-clients": { type: "string", default: "32" },
    only: { type: "string" },
    aggregator: { type: "string", default: "inline" },
    wait: { type: "string", default: "DURABLE,APPLIED" },
    "server-node-args": { type: "string" },
  },
});
const ROUNDS = Number(values.rounds);
const BATCH = Number(values.batch);
const CLIENTS = Number(values.clients);
const PARTITIONS = Number(values.partitions);
const LATENCY_SECONDS = Number(values["latency-seconds"]);
/** 32 in the targets; fewer show what a request waits for when the server is not saturated. */
const LATENCY_CLIENTS = Number(values["latency-clients"]);
const ONLY = values.only;
/**
 * Where the latency phase's aggregator runs: "inline" (`serve --aggregate`, one process) or
 * "separate" (`serve` and an `eventscore aggregate` process, notices through Redis).
 */
const AGGREGATOR = values.aggregator;
if (AGGREGATOR !== "inline" && AGGREGATOR !== "separate")
  throw new Error(`--aggregator: "inline" or "separate", not ${AGGREGATOR}`);
/** Node flags for the latency phase's server, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof". */
const SERVER_NODE_ARGS = values["server-node-args"]?.split(" ").filter((arg) => arg !== "") ?? [];
const WAITS = values.wait.split(",").map((mode) => {
  if (mode !== "DURABLE" && mode !== "APPLIED") throw new Error(`--wait: ${mode} is not DURABLE or APPLIED`);
  return mode;
});
if (ONLY !== undefined && ONLY !== "latency" && ONLY !== "durable")
  throw new Error(`--only: "durable" (phases 1 and 2) or "latency" (phase 6)`);
const ROOT = join(import.meta.dirname, "..");
const contactPoints = (process.env["CASSANDRA_CONTACT_POINTS"] ?? "127.0.0.1:9042").split(",");
const localDataCenter = process.env["CASSANDRA_LOCAL_DC"] ?? "datacenter1";
const brokers = (process.env["KAFKA_BROKERS"] ?? "127.0.0.1:9092").split(",");
const run = `bench_${Date.now().toString(36)}`;
const fmt = (rate: number): string => `${Math.round(rate).toLocaleString("en-US")} events/s`;
const pct = (x: number): string => `${(x * 100).toFixed(0)} %`;

function env(name: string): Record<string, string> {
  return {
    EVENTSCORE_STORE: "cassandra",
    CASSANDRA_CONTACT_POINTS: contactPoints.join(","),
    CASSANDRA_LOCAL_DC: localDataCenter,
    CASSANDRA_KEYSPACE: `${run}_${name}`,
    EVENTSCORE_LOG: "kafka",
    KAFKA_BROKERS: brokers.join(","),
    KAFKA_TOPIC: `${run}-${name}`,
    KAFKA_GROUP: `${run}-${name}-aggregators`,
    KAFKA_PARTITIONS: String(PARTITIONS),
    EVENTSCORE_MAX_BATCH_SIZE: String(Math.max(BATCH, 1000)),
    EVENTSCORE_APPLIED_TIMEOUT_MS: "60000",
    EVENTSCORE_LOG_LEVEL: "warn",
  };
}

async function sendAll(
  server: ChildServer,
  drafts: readonly EventDraft[],
  wait: "APPLIED" | "DURABLE",
): Promise<number> {
  const bodies = batches(drafts, BATCH).map((batch) =>
    JSON.stringify({
      query: `mutation ($e: [EventInput!]!) { recordEvents(events: $e, wait: ${wait}) { applied accepted } }`,
      variables: { e: batch.map((d) => ({ ...d, occurredAt: d.occurredAt.toISOString() })) },
    }),
  );
  let next = 0;
  let accepted = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next < bodies.length) {
        const response = await fetch(server.url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: bodies[next++]!,
        });
        const result = (await response.json()) as {
          data?: { recordEvents: { accepted: number; applied: boolean } };
        };
        if (wait === "APPLIED" && result.data?.recordEvents.applied !== true)
          throw new Error("not applied in time");
        accepted += result.data?.recordEvents.accepted ?? 0;
      }
    }),
  );
  if (accepted !== drafts.length) throw new Error(`accepted ${accepted} of ${drafts.length}`);
  return accepted / ((performance.now() - started) / 1000);
}

async function rawDriver(drafts: readonly EventDraft[]): Promise<number> {
  const options = { contactPoints, localDataCenter, keyspace: `${run}_raw` };
  const client = createClient(options);
  await client.connect();
  try {
    await new CassandraLogFedStore(client, options, { ownsClient: false }).migrate();
    const insert = `INSERT INTO ${options.keyspace}.events_by_user_day (user_id, day, occurred_at, event_id, type, repo,
      category, group_names, payload, points, ranked, fingerprint, log_partition, log_offset) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
    const rows = storeReady(drafts).map((e, i) => [
      e.userId,
      dayOf(e.occurredAt),
      e.occurredAt,
      e.id,
      e.type,
      e.repo,
      e.category,
      [...e.groups],
      e.payload,
      e.points,
      e.ranked,
      e.fingerprint,
      0,
      i,
    ]);
    const started = performance.now();
    await cassandra.concurrent.executeConcurrent(client, insert, rows, { concurrencyLevel: 128 });
    return rows.length / ((performance.now() - started) / 1000);
  } finally {
    await client.execute(`DROP KEYSPACE IF EXISTS ${options.keyspace}`);
    await client.shutdown();
  }
}

/** Records applied so far (from log_progress), and whether that is all the log holds. */
async function appliedSoFar(name: string): Promise<{ applied: number; done: boolean }> {
  const admin = new Admin({ clientId: "eventscore-bench", bootstrapBrokers: brokers });
  const client = createClient({ contactPoints, localDataCenter, keyspace: `${run}_${name}` });
  try {
    await client.connect();
    const [ends] = await admin.listOffsets({
      topics: [
        {
          name: `${run}-${name}`,
          partitions: Array.from({ length: PARTITIONS }, (_, p) => ({ partitionIndex: p, timestamp: -1n })),
        },
      ],
    });
    const progress = await client.execute(
      `SELECT log_partition, applied_offset FROM ${run}_${name}.log_progress`,
    );
    const applied = new Map(
      progress.rows.map((row) => [Number(row["log_partition"]), Number(row["applied_offset"])]),
    );
    return {
      applied: [...applied.values()].reduce((sum, offset) => sum + offset + 1, 0),
      done: (ends?.partitions ?? []).every(
        (p) => Number(p.offset) === 0 || applied.get(p.partitionIndex) === Number(p.offset) - 1,
      ),
    };
  } finally {
    await admin.close();
    await client.shutdown();
  }
}

async function cleanup(names: readonly string[]): Promise<void> {
  const admin = new Admin({ clientId: "eventscore-bench", bootstrapBrokers: brokers });
  const client = createClient({ contactPoints, localDataCenter, keyspace: "system" });
  await client.connect();
  for (const name of names) {
    await admin.deleteTopics({ topics: [`${run}-${name}`] }).catch(() => undefined);
    await client.execute(`DROP KEYSPACE IF EXISTS ${run}_${name}`);
  }
  await admin.close();
  await client.shutdown();
}

/** Phases 1 to 5: the rates of each path and their floors. */
async function throughputPhases(
  drafts: readonly EventDraft[],
  ready: ReturnType<typeof storeReady>,
  names: string[],
): Promise<void> {
  // 1 + 2: DURABLE against the raw producer, same records, same broker.
  const durable = await startChildServer(env("durable"), {
    argv: [process.execPath, ...SERVER_NODE_ARGS, "--import", "tsx", "src/cli/main.ts", "serve"],
    cwd: ROOT,
  });
  const admin = new Admin({ clientId: "eventscore-bench", bootstrapBrokers: brokers });
  await admin.createTopics({ topics: [`${run}-rawproducer`], partitions: PARTITIONS, replicas: 1 });
  await admin.close();
  names.push("rawproducer");
  const producer = await measureRawProducer(
    brokers,
    `${run}-rawproducer`,
    ready.map((e) => ({ key: e.userId, value: encodeEvent(e) })),
  );
  const durableRate = await sendAll(durable, drafts, "DURABLE");
  durable.process.kill("SIGTERM");
  await waitForExit(durable.process);
  if (ONLY === "durable") {
    console.log(`raw producer (same records, same broker):      ${fmt(producer.messagesPerSecond)}`);
    console.log(
      `DURABLE recordEvents over HTTP:                ${fmt(durableRate)} = ${pct(durableRate / producer.messagesPerSecond)} of the raw producer`,
    );
    return;
  }
  console.log(`raw producer (same records, same broker):      ${fmt(producer.messagesPerSecond)}`);
  console.log(
    `DURABLE recordEvents over HTTP:                ${fmt(durableRate)} = ${pct(durableRate / producer.messagesPerSecond)} of the raw producer (target >= 50 %)`,
  );

  // 3 + 4: the aggregators' apply rate on that backlog, against raw INSERTs of the same rows.
  const rawRate = await rawDriver(drafts);
  const aggregator = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "aggregate"], {
    cwd: ROOT,
    env: { ...process.env, ...env("durable") },
    stdio: "ignore",
  });
  // Timed from the first applied batch, so that the process start (tsx, connections, the group
  // join) is not counted as applying.
  let first: { at: number; applied: number } | null = null;
  for (;;) {
    const progress = await appliedSoFar("durable");
    if (first === null && progress.applied > 0) first = { at: performance.now(), applied: progress.applied };
    if (progress.done) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const applyRate = (drafts.length - first!.applied) / ((performance.now() - first!.at) / 1000);
  aggregator.kill("SIGTERM");
  await new Promise((resolve) => aggregator.once("exit", resolve));
  console.log(`raw driver, plain INSERTs of the log rows:     ${fmt(rawRate)}`);
  console.log(
    `aggregator apply rate (one process):          ${fmt(applyRate)} = ${pct(applyRate / rawRate)} of the raw driver (target >= 50 %)`,
  );
  // The raw driver writes one row per event; the aggregators write every aggregate row too.
  const rows = rowsPerEvent(ready, PARTITIONS);
  console.log(
    `rows written per event by the aggregators: ${rows.toFixed(2)}; in rows/s the apply rate is ${pct((applyRate * rows) / rawRate)} of the raw driver's`,
  );

  // 5: APPLIED end to end.
  const applied = await startChildServer(env("applied"), {
    argv: [process.execPath, "--import", "tsx", "src/cli/main.ts", "serve", "--aggregate"],
    cwd: ROOT,
  });
  const appliedRate = await sendAll(applied, drafts, "APPLIED");
  applied.process.kill("SIGTERM");
  await waitForExit(applied.process);
  console.log(`APPLIED recordEvents over HTTP (serve --aggregate): ${fmt(appliedRate)}`);
}

/**
 * Phase 6: single-event latency at 32 clients, DURABLE then APPLIED, on one `serve --aggregate`
 * (or, with --aggregator separate, `serve` beside an `aggregate` process).
 */
async function latencyPhase(drafts: readonly EventDraft[]): Promise<void> {
  const separate = AGGREGATOR === "separate";
  const settings = {
    ...env("latency"),
    ...(separate
      ? { EVENTSCORE_PUBSUB: "redis", REDIS_URL: process.env["REDIS_URL"] ?? "redis://127.0.0.1:6379" }
      : {}),
  };
  const latency = await startChildServer(settings, {
    argv: [
      process.execPath,
      ...SERVER_NODE_ARGS,
      "--import",
      "tsx",
      "src/cli/main.ts",
      "serve",
      ...(separate ? [] : ["--aggregate"]),
    ],
    cwd: ROOT,
  });
  const aggregator = separate
    ? spawn(process.execPath, [...SERVER_NODE_ARGS, "--import", "tsx", "src/cli/main.ts", "aggregate"], {
        cwd: ROOT,
        env: { ...process.env, ...settings },
        stdio: "ignore",
      })
    : null;
  let n = 0;
  for (const wait of WAITS) {
    const samples: number[] = [];
    const deadline = performance.now() + LATENCY_SECONDS * 1000;
    await Promise.all(
      Array.from({ length: LATENCY_CLIENTS }, async () => {
        while (performance.now() < deadline) {
          const d = drafts[n++ % drafts.length]!;
          const body = JSON.stringify({
            query: `mutation ($e: EventInput!) { recordEvent(event: $e, wait: ${wait}) { applied } }`,
            variables: { e: { ...d, id: `${d.id}-lat${n}`, occurredAt: d.occurredAt.toISOString() } },
          });
          const t0 = performance.now();
          const response = await fetch(latency.url, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body,
          });
          const result = (await response.json()) as { data?: { recordEvent: { applied: boolean } } };
          if (result.data?.recordEvent.applied !== (wait === "APPLIED")) throw new Error(`not ${wait}`);
          samples.push(performance.now() - t0);
        }
      }),
    );
    const q = quantiles(samples);
    const target = wait === "APPLIED" ? " (target p95 <= 50 ms)" : "";
    console.log(
      `${wait} latency, ${LATENCY_CLIENTS} single-event clients: ${samples.length} requests (${Math.round(samples.length / LATENCY_SECONDS)}/s), p50 ${q.p50.toFixed(1)} ms, p95 ${q.p95.toFixed(1)} ms, p99 ${q.p99.toFixed(1)} ms${target}`,
    );
  }
  latency.process.kill("SIGTERM");
  aggregator?.kill("SIGTERM");
  await waitForExit(latency.process);
  if (aggregator) await new Promise((resolve) => aggregator.once("exit", resolve));
}

async function main(): Promise<void> {
  const drafts = await loadDrafts(ROUNDS);
  const ready = storeReady(drafts);
  console.log(
    `events ${drafts.length} (GH Archive 2015-01-01 hours 0-1 x ${ROUNDS}), batches of ${BATCH}, ${CLIENTS} HTTP clients, ${PARTITIONS} partitions`,
  );
  const names = ["durable", "applied", "latency"];
  try {
    if (ONLY !== "latency") await throughputPhases(drafts, ready, names);
    if (ONLY !== "durable") await latencyPhase(drafts);
  } finally {
    await cleanup(names);
  }
}

await main();
