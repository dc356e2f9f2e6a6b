/**
 * Hostile traffic for the fuzz test and bench/hostile-input.ts, and the two things every attack
 * is judged by besides its answers: how long a health probe waited while it ran (measured from a
 * worker thread, so the attacker's own work in this process does not inflate the figures) and how
 * much memory the server process held (from /proc, so the server must run as a child process).
 */
import { readFileSync } from "node:fs";
import { getIntrospectionQuery } from "graphql";
import { Worker } from "node:worker_threads";
import WebSocket from "ws";

/**
 * What "the server kept answering" means in the hostile-input tests: health probes (GET
 * /health/live, one at a time, 10 ms apart) answered within these while an attack runs. The
 * issue asks for 100 ms; the max leaves room for a noisy 2-core machine. Before the fixes of
 * issue 12 the same attacks held probes for 1 to 30 s (BENCHMARKS.md, "Hostile input").
 */
export const HEALTH_BUDGET = { p95Ms: 100, maxMs: 250 } as const;

export interface HealthBudget {
  readonly p95Ms: number;
  readonly maxMs: number;
}

/**
 * HEALTH_BUDGET on a quiet machine. On a loaded one (other engineers' test runs share the 2
 * cores) a server starved of CPU answers slowly whatever it serves, so the bound is at least 3x
 * what the same probe measured, just before the attack, while the server answered as many of
 * the heaviest routine requests at once (GraphiQL's schema query: ~2,600 fields) as the attack
 * sends hostile ones: the floor of "busy, but not attacked" on this machine now. That still fails
 * the multi-second stalls the attacks caused before (a refused request must cost no more than a
 * routine one) without failing because the machine is busy.
 */
export function healthBudget(floor: ProbeReport): HealthBudget {
  return {
    p95Ms: Math.max(HEALTH_BUDGET.p95Ms, 3 * floor.p95),
    maxMs: Math.max(HEALTH_BUDGET.maxMs, 3 * floor.max),
  };
}

/** Health probe figures while `concurrency` clients send GraphiQL's schema query in a loop for `ms`. */
export async function routineLoadHealth(url: string, concurrency: number, ms = 1500): Promise<ProbeReport> {
  const probe = probeHealth(url.replace(/\/graphql$/, ""));
  const until = performance.now() + ms;
  const client = async (): Promise<void> => {
    while (performance.now() < until) {
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: getIntrospectionQuery() }),
      });
      await response.text();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, client));
  return probe.stop();
}

/**
 * Resident memory the server (`eventscore serve` under tsx, ~130 MiB idle) must stay below while
 * attacked; before the fixes one introspection bomb took it to 350 MiB, four to 850 MiB.
 */
export const RSS_BOUND_MIB = 256;

/** `count` aliases of a deep __schema selection: the introspection bomb of issue 12. */
export function introspectionBomb(count: number): string {
  const inner =
    "__schema { types { name fields { name args { name type { name ofType { name ofType { name } } } } } } }";
  return `{ ${Array.from({ length: count }, (_, i) => `a${i}: ${inner}`).join(" ")} }`;
}

/** `count` aliases of a cheap field: many aliases, little cost. */
export function aliasBomb(count: number): string {
  return `{ ${Array.from({ length: count }, (_, i) => `a${i}: __typename`).join(" ")} }`;
}

/** A document of about `tokens` tokens that would validate if it were parsed: `{ __typename __typename … }`. */
export function tokenFlood(tokens: number): string {
  return `{ ${"__typename ".repeat(Math.max(1, tokens - 2))}}`;
}

export interface ProbeReport {
  readonly count: number;
  readonly failures: number;
  readonly p50: number;
  readonly p95: number;
  readonly max: number;
}

export interface HealthProbe {
  /** Stops probing and reports the latencies (ms) of every probe sent since start. */
  stop(): Promise<ProbeReport>;
}

const PROBE_WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const { request } = require("node:http");
const latencies = [];
let failures = 0;
let running = true;
parentPort.on("message", () => { running = false; });
const once = () => new Promise((resolve) => {
  const started = performance.now();
  const req = request(workerData.url, { agent: false, timeout: 30000 }, (res) => {
    res.resume();
    res.on("end", () => { if (res.statusCode !== 200) failures++; latencies.push(performance.now() - started); resolve(); });
  });
  req.on("error", () => { failures++; latencies.push(performance.now() - started); resolve(); });
  req.end();
});
(async () => {
  while (running) {
    await once();
    await new Promise((resolve) => setTimeout(resolve, workerData.intervalMs));
  }
  parentPort.postMessage({ latencies, failures });
})();
`;

/** Sends GET /health/live one at a time, every `intervalMs` after the previous answer, until stopped. */
export function probeHealth(base: string, intervalMs = 10): HealthProbe {
  const worker = new Worker(PROBE_WORKER, {
    eval: true,
    workerData: { url: `${base}/health/live`, intervalMs },
  });
  const done = new Promise<{ latencies: number[]; failures: number }>((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
  return {
    stop: async () => {
      worker.postMessage("stop");
      const { latencies, failures } = await done;
      await worker.terminate();
      const sorted = [...latencies].sort((a, b) => a - b);
      const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
      return { count: sorted.length, failures, p50: at(0.5), p95: at(0.95), max: sorted.at(-1) ?? 0 };
    },
  };
}

/** Resident memory of a process, now and at its peak (VmHWM), in MiB. Linux only. */
export function memoryOf(pid: number): { rssMiB: number; peakMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (field: string) => Number(status.match(new RegExp(`${field}:\\s+(\\d+)`))?.[1] ?? 0);
  return { rssMiB: kib("VmRSS") / 1024, peakMiB: kib("VmHWM") / 1024 };
}

/** Samples a process's RSS every `intervalMs` until stopped; reports the highest sample (MiB). */
export function sampleRss(pid: number, intervalMs = 25): { stop(): number } {
  let highest = memoryOf(pid).rssMiB;
  const timer = setInterval(() => {
    try {
      highest = Math.max(highest, memoryOf(pid).rssMiB);
    } catch {
      // the process is gone; keep what was seen
    }
  }, intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      return highest;
    },
  };
}

export interface FloodResult {
  /** Close code of each socket, in order (0: still open when the flood ended). */
  readonly closeCodes: number[];
  /** Messages the server sent back, over all sockets. */
  readonly replies: number;
  readonly ms: number;
}

/**
 * Opens `sockets` graphql-ws connections, waits for every connection_ack, then has each send
 * `frames(socketIndex)` as fast as it can. Ends when every socket is closed or has received
 * `expectedReplies` messages after its ack, or after `timeoutMs`.
 */
export async function websocketFlood(options: {
  readonly url: string;
  readonly sockets: number;
  readonly frames: (socket: number) => readonly string[];
  readonly expectedReplies: (socket: number) => number;
  readonly timeoutMs?: number;
}): Promise<FloodResult> {
  const opened = await Promise.all(
    Array.from({ length: options.sockets }, async () => {
      const socket = new WebSocket(options.url, "graphql-transport-ws");
      await new Promise<void>((resolve, reject) => {
        socket.once("open", () => socket.send(JSON.stringify({ type: "connection_init", payload: {} })));
        socket.once("message", () => resolve());
        socket.once("error", reject);
      });
      return socket;
    }),
  );
  const started = performance.now();
  let replies = 0;
  const closeCodes = opened.map(() => 0);
  const finished = opened.map(
    (socket, index) =>
      new Promise<void>((resolve) => {
        let mine = 0;
        const expected = options.expectedReplies(index);
        socket.on("message", () => {
          replies += 1;
          mine += 1;
          if (mine >= expected) resolve();
        });
        socket.on("close", (code) => {
          closeCodes[index] = code;
          resolve();
        });
        socket.on("error", () => resolve());
      }),
  );
  opened.forEach((socket, index) => {
    for (const frame of options.frames(index)) socket.send(frame);
  });
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all(finished),
    new Promise((resolve) => (timer = setTimeout(resolve, options.timeoutMs ?? 120_000))),
  ]);
  clearTimeout(timer);
  const ms = performance.now() - started;
  for (const socket of opened) socket.terminate();
  return { closeCodes, replies, ms };
}

/** A graphql-ws subscribe frame. */
export function subscribeFrame(id: string, query: string, variables?: Record<string, unknown>): string {
  return JSON.stringify({ type: "subscribe", id, payload: { query, ...(variables ? { variables } : {}) } });
}
