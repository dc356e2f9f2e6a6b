/** Processes of the read benchmark: the bare floor server, eventscore, and the load generator. */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { freePort } from "../../test/support/child-server.js";

const ROOT = join(import.meta.dirname, "../..");
const TSX = [process.execPath, "--import", "tsx"];

export interface Running {
  readonly url: string;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

async function stopped(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  await once(child, "exit");
}

/** bench/reads/bare-server.ts in its own process. */
export async function startBare(): Promise<Running> {
  const child = spawn(TSX[0]!, [...TSX.slice(1), join(import.meta.dirname, "bare-server.ts")], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const [chunk] = (await once(child.stdout!, "data")) as [Buffer];
  return { url: `http://127.0.0.1:${chunk.toString().trim()}/`, process: child, stop: () => stopped(child) };
}

/**
 * `eventscore serve` from the sources, in its own process, with its log written to /dev/null
 * (its lines are still built and written: that cost is part of what is measured). With
 * `cpuProfileDir`, the server writes a V8 CPU profile there when it stops (node --cpu-prof).
 */
export async function startEventscore(env: Record<string, string>, cpuProfileDir?: string): Promise<Running> {
  const port = await freePort();
  const profile = cpuProfileDir === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${cpuProfileDir}`];
  const child = spawn(TSX[0]!, [...profile, ...TSX.slice(1), "src/cli/main.ts", "serve"], {
    cwd: ROOT,
    env: { ...process.env, HOST: "127.0.0.1", PORT: String(port), NODE_ENV: "production", ...env },
    stdio: ["ignore", "ignore", "ignore"],
  });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`eventscore exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${base}/health/ready`)).ok)
        return { url: `${base}/graphql`, process: child, stop: () => stopped(child) };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  child.kill("SIGKILL");
  throw new Error("eventscore did not become ready");
}

export interface LoadResult {
  readonly rps: number;
  readonly total: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly errors: number;
  readonly non2xx: number;
}

/** Runs bench/reads/load-generator.ts in its own process and returns what it measured. */
export async function drive(job: {
  url: string;
  bodies: readonly string[];
  connections: number;
  duration: number;
  seed: number;
}): Promise<LoadResult> {
  const child = spawn(TSX[0]!, [...TSX.slice(1), join(import.meta.dirname, "load-generator.ts")], {
    cwd: ROOT,
    stdio: ["pipe", "pipe", "inherit"],
  });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stdin!.end(JSON.stringify(job));
  const [code] = (await once(child, "exit")) as [number | null];
  if (code !== 0) throw new Error(`load generator exited with ${code}`);
  return JSON.parse(output.trim().split("\n").at(-1)!) as LoadResult;
}

/** One GraphQL POST body. */
export function body(query: string, variables: Record<string, unknown> = {}): string {
  return JSON.stringify({ query, variables });
}
