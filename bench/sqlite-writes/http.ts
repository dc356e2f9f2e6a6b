/**
 * The second half of bench/sqlite-writes.ts: single-event recordEvent over HTTP, each request a new
 * event, against `eventscore serve` on a fresh SQLite file with default settings, next to the bare
 * node:http floor (bench/reads/bare-server.ts) driven the same way; then the stored events counted.
 */
import Database from "better-sqlite3";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { body, startBare, startEventscore, type LoadResult } from "../reads/harness.js";
import { loadDrafts } from "../github-data.js";

export interface WriteJob {
  readonly url: string;
  readonly bodies: readonly string[];
  readonly connections: number;
  readonly duration: number;
  /** Read every answer and count accepted events (off for the bare floor, which answers fixed JSON). */
  readonly check: boolean;
}

export interface WriteResult extends LoadResult {
  /** Bodies sent, answered or not (autocannon stops without waiting for the last of each connection). */
  readonly drawn: number;
  /** 2xx answers without errors whose event was accepted. */
  readonly ok: number;
  /** Other answers. */
  readonly failed: number;
}

export interface HttpRun {
  readonly bare: WriteResult;
  readonly warmUp: WriteResult;
  readonly eventscore: WriteResult;
  /** Rows in events_by_user_day once the server has stopped. */
  readonly stored: number;
}

const RECORD =
  "mutation ($e: EventInput!) { recordEvent(event: $e) { accepted duplicates rejected { code reason } } }";

/** `count` recordEvent bodies, each a distinct real event (ids unique per replay of the hours). */
export async function recordBodies(count: number): Promise<string[]> {
  const drafts = (await loadDrafts(Math.ceil(count / 15_129))).slice(0, count);
  return drafts.map((d) => body(RECORD, { e: { ...d, occurredAt: d.occurredAt.toISOString() } }));
}

/** Runs load-generator.ts in its own process and returns what it measured. */
async function drive(job: WriteJob): Promise<WriteResult> {
  const child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "load-generator.ts")], {
    cwd: join(import.meta.dirname, "../.."),
    stdio: ["pipe", "pipe", "inherit"],
  });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stdin!.end(JSON.stringify(job));
  const [code] = (await once(child, "exit")) as [number | null];
  if (code !== 0) throw new Error(`load generator exited with ${code}`);
  const result = JSON.parse(output.trim().split("\n").at(-1)!) as WriteResult;
  // Only a run against eventscore must not repeat a body (a repeat is a duplicate, not an insert);
  // the bare floor stores nothing and may cycle through them.
  if (job.check && result.drawn > job.bodies.length)
    throw new Error(`ran out of bodies: ${result.drawn} > ${job.bodies.length}`);
  return result;
}

export async function httpRun(
  dir: string,
  bodies: readonly string[],
  connections: number,
  duration: number,
): Promise<HttpRun> {
  const path = join(dir, "http.db");
  const bare = await startBare();
  let bareResult: WriteResult;
  try {
    bareResult = await drive({ url: bare.url, bodies, connections, duration, check: false });
  } finally {
    await bare.stop();
  }
  const server = await startEventscore({ EVENTSCORE_SQLITE_PATH: path });
  let warmUp: WriteResult;
  let eventscore: WriteResult;
  try {
    // A short warm-up (the JIT, SQLite's cache) on bodies of its own: the run goes on after every one it sent.
    warmUp = await drive({ url: server.url, bodies, connections, duration: 2, check: true });
    const rest = bodies.slice(warmUp.drawn);
    eventscore = await drive({ url: server.url, bodies: rest, connections, duration, check: true });
  } finally {
    await server.stop();
  }
  const db = new Database(path, { readonly: true });
  try {
    const stored =
      db.prepare<[], { n: number }>("SELECT count(*) AS n FROM events_by_user_day").get()?.n ?? 0;
    return { bare: bareResult, warmUp, eventscore, stored };
  } finally {
    db.close();
  }
}
