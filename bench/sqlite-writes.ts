/**
 * Embedded write-path benchmark (issue 11): each target next to its floor, measured in the same run.
 *
 *   npm run bench:sqlite-writes                                   # 2 rounds, batch 500, 20 s
 *   npm run bench:sqlite-writes -- --rounds 1 --duration 3        # quick look
 *
 * 1. `SqliteStore.append` events/s with the writer the server uses (writer: "thread"), on a fresh
 *    file with synchronous=FULL, in sequential batches of `--batch`; its floor: the very same rows
 *    as plain INSERTs (statements.ts insertEvent) into a fresh file holding only events_by_user_day
 *    (the store's own DDL and index), same pragmas, one transaction per batch. Target: >= 25 %.
 *    Input: the two real 2015 GH Archive hours (15,129 events) x `--rounds`, ids unique per round.
 * 2. Single-event recordEvent over HTTP at `--connections` (32), each request a new real event,
 *    against `eventscore serve` on a fresh SQLite file with default settings (synchronous=FULL);
 *    its floor: the bare node:http server of bench/reads at the same connections. Target: p95 <= 10 ms.
 *    Afterwards the events stored are counted against the answers that accepted one.
 *
 * Server, floor and load generator are separate processes sharing the CPU; read the ratios.
 */
import "reflect-metadata";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadDrafts, storeReady } from "./github-data.js";
import { appendRates } from "./sqlite-writes/append.js";
import { httpRun, recordBodies, type WriteResult } from "./sqlite-writes/http.js";

const { values } = parseArgs({
  options: {
    batch: { type: "string", default: "500" },
    rounds: { type: "string", default: "2" },
    duration: { type: "string", default: "20" },
    connections: { type: "string", default: "32" },
    bodies: { type: "string", default: "100000" },
  },
});
const batchSize = Number(values.batch);
const rounds = Number(values.rounds);
const duration = Number(values.duration);
const connections = Number(values.connections);
const bodyCount = Number(values.bodies);

const fmt = (n: number, digits = 0): string =>
  n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
const pct = (part: number, whole: number): string => `${fmt((100 * part) / whole)} %`;

function latencyLine(name: string, r: WriteResult): string {
  return (
    `${name}: ${fmt(r.rps)} req/s, p50 ${fmt(r.p50, 1)} ms, p95 ${fmt(r.p95, 1)} ms, p99 ${fmt(r.p99, 1)} ms` +
    ` (${fmt(r.total)} answers, ${r.non2xx} non-2xx, ${r.errors} socket errors/timeouts)`
  );
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "eventscore-bench-writes-"));
  try {
    const ready = storeReady(await loadDrafts(rounds));
    console.log(
      `1. append: ${fmt(ready.length)} events (2015-01-01 hours 0-1 x ${rounds}), batches of ${batchSize}`,
    );
    const append = await appendRates(dir, ready, batchSize);
    console.log(`  SqliteStore.append (writer: "thread", synchronous=FULL): ${fmt(append.store)} events/s`);
    console.log(
      `  floor, plain INSERTs into ${append.floorSchema.join(" + ")}: ${fmt(append.floor)} events/s`,
    );
    console.log(`  append = ${pct(append.store, append.floor)} of the floor (target >= 25 %)`);

    const bodies = await recordBodies(bodyCount);
    console.log(
      `2. recordEvent over HTTP: ${connections} connections, ${duration} s, ${fmt(bodies.length)} distinct events`,
    );
    const run = await httpRun(dir, bodies, connections, duration);
    const { bare, warmUp, eventscore: es } = run;
    console.log(`  ${latencyLine("bare node:http (floor)", bare)}`);
    console.log(`  ${latencyLine("recordEvent", es)}`);
    console.log(
      `  recordEvent = ${pct(es.rps, bare.rps)} of bare req/s; p95 ${fmt(es.p95, 1)} ms = ` +
        `${fmt(es.p95 / Math.max(bare.p95, 1), 1)} x bare p95 (target p95 <= 10 ms)`,
    );
    // Autocannon stops without waiting for the requests in flight (one per connection): the server
    // may still store those events, so stored lies between the accepted answers and the bodies sent.
    const accepted = warmUp.ok + es.ok;
    const taken = warmUp.drawn + es.drawn;
    const sane = es.failed === 0 && warmUp.failed === 0 && accepted <= run.stored && run.stored <= taken;
    console.log(
      `  check: ${fmt(run.stored)} events stored, ${fmt(accepted)} answers accepted one ` +
        `(warm-up ${fmt(warmUp.ok)} + run ${fmt(es.ok)}), ${warmUp.failed + es.failed} failed answers, ` +
        `${fmt(taken - accepted)} sent but unanswered at the stop: ${sane ? "ok" : "MISMATCH"}`,
    );
    if (!sane) process.exitCode = 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
