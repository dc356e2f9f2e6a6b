/**
 * Live-update benchmark (issue 10): N subscriptions (80 % scoreChanged for distinct users, 18 %
 * eventRecorded(types: [ReleaseEvent]), 2 % leaderboardChanged(window: ALL_TIME, first: 10)) opened
 * from a separate process, while events stream in at a fixed rate through recordEvents. Printed in
 * one run, each for the API and for the floor (a bare `ws` server sending the same messages):
 * push latency (from the batch's send, which the commit follows, and from its answer), pushes
 * delivered against expected, mutation latency with and without the subscribers, server CPU and
 * peak RSS.
 *
 *   npm run bench:live -- --subscriptions 5000
 *   npm run bench:live -- --subscriptions 50000 --seconds 30 --per-socket 10
 *
 * The server is the production build (`npm run build` first), on a fresh SQLite file
 * (synchronous=FULL). BENCHMARKS.md records results.
 */
import { fork, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { freePort, startChildServer, type ChildServer } from "../test/support/child-server.js";
import { memoryOf, sampleRss } from "../test/support/attacks.js";
import { quantiles } from "./github-data.js";
import { makePlan, RECORD_MUTATION, type PlanSettings } from "./live/plan.js";
import type { FinishRequest, OpenRequest, SubscriberReport } from "./live/subscribers.js";

const { values } = parseArgs({
  options: {
    subscriptions: { type: "string", default: "5000" },
    "per-socket": { type: "string", default: "10" },
    seconds: { type: "string", default: "30" },
    rate: { type: "string", default: "1000" },
    batch: { type: "string", default: "100" },
    "no-build": { type: "boolean", default: false },
    only: { type: "string" },
    /** The SQLite synchronous mode of the API server (FULL, its default; NORMAL skips commit fsyncs). */
    synchronous: { type: "string", default: "FULL" },
    /** Writes a CPU profile of the API server into this folder (node --cpu-prof). */
    profile: { type: "string" },
  },
});
const subscriptions = Number(values.subscriptions);
const perSocket = Number(values["per-socket"]);
const batchSize = Number(values.batch);
const batchesPerSecond = Number(values.rate) / batchSize;
const batchCount = Math.round(Number(values.seconds) * batchesPerSecond);
const ROOT = join(import.meta.dirname, "..");
const TICKS_PER_SECOND = 100;

interface PhaseResult {
  readonly name: string;
  readonly mutation: { p50: number; p95: number; p99: number };
  readonly failedMutations: number;
  readonly cpuPercent: number;
  /** CPU seconds the server used over the phase: its work, whatever share of the cores it got. */
  readonly cpuSeconds: number;
  readonly peakRssMiB: number;
  readonly subscribers: SubscriberReport | null;
  readonly openMs: number;
}

const load = (): string => loadavg()[0]!.toFixed(2);

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

function settings(tag: string): PlanSettings {
  return {
    subscriptions,
    batches: batchCount,
    batchSize,
    occurredAt: new Date().toISOString(),
    tag,
  };
}

/** A server under test: where its GraphQL endpoint is, its process, how to stop it. */
interface Target {
  readonly url: string;
  readonly process: ChildProcess;
  readonly subscriptionsOpen: () => Promise<number>;
  stop(): Promise<void>;
}

async function startApi(): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), "eventscore-bench-live-"));
  const server: ChildServer = await startChildServer(
    {
      NODE_ENV: "production",
      EVENTSCORE_SQLITE_PATH: join(dir, "bench.db"),
      EVENTSCORE_SQLITE_SYNCHRONOUS: values.synchronous,
      EVENTSCORE_LOG_LEVEL: "warn",
      EVENTSCORE_WS_MAX_SOCKETS_PER_CLIENT: "1000000",
      EVENTSCORE_MAX_SUBSCRIPTIONS: "1000000",
      EVENTSCORE_GRAPHIQL: "false",
    },
    {
      argv: [
        process.execPath,
        ...(values.profile ? ["--cpu-prof", `--cpu-prof-dir=${values.profile}`] : []),
        "bin/eventscore.js",
        "serve",
      ],
      cwd: ROOT,
    },
  );
  const base = server.url.replace("/graphql", "");
  return {
    url: server.url,
    process: server.process,
    subscriptionsOpen: async () => {
      const text = await (await fetch(`${base}/metrics`)).text();
      return Number(/^eventscore_subscriptions_open (\d+)/m.exec(text)?.[1] ?? 0);
    },
    stop: async () => {
      server.process.kill("SIGTERM");
      await new Promise((resolve) => server.process.once("exit", resolve));
      rmSync(dir, { recursive: true, force: true });
      const problems = server
        .output()
        .split("\n")
        .filter((line) => /"level":"(warn|error)"/.test(line) && !line.includes('"alert":"open-mutations"'));
      if (problems.length > 0) console.log(`  server warnings: ${problems.length}, first: ${problems[0]}`);
    },
  };
}

async function startFloor(): Promise<Target> {
  const port = await freePort();
  const child = fork(join(import.meta.dirname, "live/floor.ts"), [], {
    execArgv: ["--import", "tsx"],
    env: { ...process.env, PORT: String(port) },
  });
  await new Promise<void>((resolve) => child.once("message", () => resolve()));
  const base = `http://127.0.0.1:${port}`;
  return {
    url: `${base}/graphql`,
    process: child,
    subscriptionsOpen: async () => Number(await (await fetch(`${base}/count`)).text()),
    stop: async () => {
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
    },
  };
}

/** Sends the plan's batches at the fixed rate without waiting for answers; times each one. */
async function stream(url: string, plan: ReturnType<typeof makePlan>) {
  const sentAt: number[] = [];
  const answeredAt: number[] = [];
  const latencies: number[] = [];
  let failed = 0;
  const started = performance.now();
  const inFlight: Promise<void>[] = [];
  for (const [b, batch] of plan.batches.entries()) {
    const due = started + (b * 1000) / batchesPerSecond;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const t0 = performance.now();
    sentAt[b] = performance.timeOrigin + t0;
    inFlight.push(
      fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify({ query: RECORD_MUTATION, variables: { e: batch } }),
      })
        .then(async (response) => {
          const body = (await response.json()) as { data?: { recordEvents?: { accepted: number } } };
          const t1 = performance.now();
          answeredAt[b] = performance.timeOrigin + t1;
          latencies.push(t1 - t0);
          if (body.data?.recordEvents?.accepted !== batch.length) failed += 1;
        })
        .catch(() => {
          failed += 1;
          answeredAt[b] = performance.timeOrigin + performance.now();
        }),
    );
  }
  await Promise.all(inFlight);
  return { sentAt, answeredAt, mutation: quantiles(latencies), failed };
}

function ask<T>(child: ChildProcess, message: OpenRequest | FinishRequest, answer: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (reply: { kind: string; error?: string } & Record<string, unknown>) => {
      if (reply.kind === "failed") reject(new Error(reply.error));
      else if (reply.kind === answer) {
        child.off("message", onMessage);
        resolve(reply as T);
      }
    };
    child.on("message", onMessage);
    child.send(message);
  });
}

async function phase(name: string, target: Target, withSubscribers: boolean): Promise<PhaseResult> {
  const plan = makePlan(settings(`${name.replace(/\W+/g, "")}${Date.now()}`));
  let subscriber: ChildProcess | null = null;
  let openMs = 0;
  try {
    if (withSubscribers) {
      subscriber = fork(join(import.meta.dirname, "live/subscribers.ts"), [], {
        execArgv: ["--import", "tsx"],
      });
      const opened = await ask<{ openMs: number }>(
        subscriber,
        { kind: "open", url: target.url.replace("http:", "ws:"), perSocket, plan: plan.settings },
        "opened",
      );
      openMs = opened.openMs;
      const deadline = Date.now() + 120_000;
      while ((await target.subscriptionsOpen()) < subscriptions && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 200));
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    const pid = target.process.pid!;
    const rss = sampleRss(pid, 100);
    const cpuBefore = cpuSeconds(pid);
    const wallBefore = performance.now();
    const streamed = await stream(target.url, plan);
    let report: SubscriberReport | null = null;
    if (subscriber) {
      const reply = await ask<{ report: SubscriberReport }>(
        subscriber,
        { kind: "finish", sentAt: streamed.sentAt, answeredAt: streamed.answeredAt, waitMs: 20_000 },
        "report",
      );
      report = reply.report;
    }
    const cpuUsed = cpuSeconds(pid) - cpuBefore;
    const cpuPercent = (cpuUsed / ((performance.now() - wallBefore) / 1000)) * 100;
    rss.stop();
    return {
      name,
      mutation: streamed.mutation,
      failedMutations: streamed.failed,
      cpuPercent,
      cpuSeconds: cpuUsed,
      peakRssMiB: memoryOf(pid).peakMiB,
      subscribers: report,
      openMs,
    };
  } finally {
    subscriber?.kill("SIGKILL");
  }
}

const ms = (value: number): string => (Number.isFinite(value) ? `${value.toFixed(0)} ms` : "n/a");
const q = (x: { p50: number; p95: number; p99: number }): string =>
  `${ms(x.p50)} / ${ms(x.p95)} / ${ms(x.p99)}`;

function print(result: PhaseResult): void {
  console.log(`\n${result.name}`);
  console.log(`  mutation latency p50/p95/p99: ${q(result.mutation)}  (failed: ${result.failedMutations})`);
  console.log(
    `  server CPU: ${result.cpuPercent.toFixed(0)} % of one core (${result.cpuSeconds.toFixed(1)} s)   peak RSS: ${result.peakRssMiB.toFixed(0)} MiB`,
  );
  const r = result.subscribers;
  if (!r) return;
  console.log(
    `  opened ${subscriptions} subscriptions on ${r.sockets} sockets in ${(result.openMs / 1000).toFixed(1)} s`,
  );
  console.log(
    `  per-commit pushes (scoreChanged + eventRecorded): ${r.perCommit.count}, latency p50/p95/p99 from send ${q(r.perCommit.fromSend)}, from answer ${q(r.perCommit.fromAnswer)}`,
  );
  console.log(
    `  scoreChanged: ${r.score.delivered} of ${r.score.expected} delivered (${(r.score.expected - r.score.delivered).toString()} coalesced), final right ${r.score.finalRight}/${r.score.users}, backwards ${r.score.backwards}`,
  );
  console.log(
    `  eventRecorded: ${r.releases.delivered} of ${r.releases.expected} delivered, complete (each once) ${r.releases.complete}/${r.releases.subscriptions}, in the same order ${r.releases.sameOrder}`,
  );
  console.log(
    `  leaderboardChanged: ${r.board.pushes} pushes, final right ${r.board.finalRight}/${r.board.subscriptions}, latency from send ${q(r.leaderboard.fromSend)} (coalesced to 1/s)`,
  );
  console.log(
    `  sockets closed by the server: ${r.closedSockets} ${JSON.stringify(r.closeCodes)}; errors: ${r.errors}; last push ${r.finishedWaitingMs.toFixed(0)} ms after the last answer`,
  );
}

if (!values["no-build"]) {
  const built = spawn("npm", ["run", "build"], { cwd: ROOT, stdio: "ignore" });
  await new Promise((resolve) => built.once("exit", resolve));
}
console.log(
  `bench:live — ${subscriptions} subscriptions (${perSocket} per socket), ${values.rate} events/s in batches of ${batchSize} for ${values.seconds} s, SQLite synchronous=${values.synchronous}; load ${load()}`,
);
const results: PhaseResult[] = [];
const run = async (name: string, start: () => Promise<Target>, withSubscribers: boolean): Promise<void> => {
  if (values.only !== undefined && !name.includes(values.only)) return;
  const target = await start();
  try {
    const result = await phase(name, target, withSubscribers);
    results.push(result);
    print(result);
  } finally {
    await target.stop();
  }
};
await run("API, no subscribers", startApi, false);
await run("API, with subscribers", startApi, true);
await run("floor: bare ws, with subscribers", startFloor, true);
const api = results.find((r) => r.name === "API, with subscribers");
const bare = results.find((r) => r.name === "API, no subscribers");
const floor = results.find((r) => r.name.startsWith("floor"));
if (api?.subscribers && floor?.subscribers) {
  console.log(
    `\nAPI / floor: push p95 ${(api.subscribers.perCommit.fromSend.p95 / floor.subscribers.perCommit.fromSend.p95).toFixed(1)}x, CPU ${(api.cpuPercent / floor.cpuPercent).toFixed(1)}x, RSS ${(api.peakRssMiB / floor.peakRssMiB).toFixed(1)}x`,
  );
}
if (api && bare)
  console.log(
    `mutation p95 with / without subscribers: ${(api.mutation.p95 / bare.mutation.p95).toFixed(2)}x`,
  );
console.log(`load at the end: ${load()}`);
