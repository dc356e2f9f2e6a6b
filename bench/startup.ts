/**
 * Start-up benchmark: time from spawn to a listening server, and its resident memory, for the compiled
 * build that production runs (`node bin/eventscore.js serve`, the image's command) against the sources
 * through tsx, and in the same run the floor: a bare node:http server started the same way.
 *
 *   npm run bench:startup                 # 3 runs (each starts every variant once, in turn)
 *   npm run bench:startup -- --runs 5
 *
 * Start-up: from spawn until the process prints its "listening" line (eventscore prints it once the
 * store is open and the port accepts connections). RSS: the sum of VmRSS over the process and its
 * children (`tsx FILE` runs the server in a child of its own), after the start and one GraphQL query.
 * The store is SQLite `:memory:`, so neither disk nor a previous run's data is measured. `npm run build`
 * runs first, so the build measured is the current source; each variant starts once before the runs
 * (tsx's transform cache and the OS page cache are warm for all). BENCHMARKS.md records results.
 */
import { spawn, spawnSync } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { freePort } from "../test/support/child-server.js";

const ROOT = join(import.meta.dirname, "..");
const { values } = parseArgs({ options: { runs: { type: "string", default: "3" } } });
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error("--runs must be a positive integer");

interface Variant {
  readonly name: string;
  readonly argv: readonly [string, ...string[]];
  /** The query that proves it serves, answered before RSS is read; none for the floor. */
  readonly graphql: boolean;
}

const BARE_HTTP = `require("node:http").createServer((q, s) => s.end("ok")).listen(Number(process.env.PORT), "127.0.0.1", () => console.log("listening"));`;
const VARIANTS: readonly Variant[] = [
  { name: "floor: bare node:http", argv: [process.execPath, "-e", BARE_HTTP], graphql: false },
  {
    name: "compiled: node bin/eventscore.js serve",
    argv: [process.execPath, "bin/eventscore.js", "serve"],
    graphql: true,
  },
  {
    name: "tsx in-process: node --import tsx src/cli/main.ts serve",
    argv: [process.execPath, "--import", "tsx", "src/cli/main.ts", "serve"],
    graphql: true,
  },
  {
    name: "tsx CLI (npm start): tsx src/cli/main.ts serve",
    argv: [process.execPath, join(ROOT, "node_modules/tsx/dist/cli.mjs"), "src/cli/main.ts", "serve"],
    graphql: true,
  },
];

interface Sample {
  readonly startMs: number;
  readonly rssMiB: number;
}

/** VmRSS of pid and every descendant, in MiB. */
async function treeRssMiB(pid: number): Promise<number> {
  const parents = new Map<number, number>();
  const rss = new Map<number, number>();
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const status = await readFile(`/proc/${name}/status`, "utf8").catch(() => "");
    parents.set(Number(name), Number(/^PPid:\s+(\d+)/m.exec(status)?.[1] ?? 0));
    rss.set(Number(name), Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0));
  }
  const tree = new Set([pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [child, parent] of parents) {
      if (tree.has(parent) && !tree.has(child)) {
        tree.add(child);
        grew = true;
      }
    }
  }
  let kib = 0;
  for (const member of tree) kib += rss.get(member) ?? 0;
  return kib / 1024;
}

async function measure(variant: Variant): Promise<Sample> {
  const port = await freePort();
  const [file, ...args] = variant.argv;
  const started = performance.now();
  const child = spawn(file, args, {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: "production",
      HOST: "127.0.0.1",
      PORT: String(port),
      EVENTSCORE_SQLITE_PATH: ":memory:",
      EVENTSCORE_LOG_LEVEL: "warn",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const listening = new Promise<number>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (/listening|GraphQL at/.test(output)) resolve(performance.now() - started);
    });
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    void exited.then((code) => reject(new Error(`${variant.name} exited with ${code}:\n${output}`)));
  });
  try {
    const startMs = await listening;
    if (variant.graphql) {
      const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: "{ scoringRules { defaultWeight } }" }),
      });
      if (!response.ok) throw new Error(`${variant.name}: HTTP ${response.status} ${await response.text()}`);
    } else if ((await (await fetch(`http://127.0.0.1:${port}/`)).text()) !== "ok") {
      throw new Error("the floor server did not answer");
    }
    return { startMs, rssMiB: await treeRssMiB(child.pid ?? 0) };
  } finally {
    child.kill("SIGTERM");
    await exited;
  }
}

const median = (xs: readonly number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};
const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
const ms = (x: number): string => `${Math.round(x)} ms`;
const mib = (x: number): string => `${x.toFixed(0)} MiB`;

console.log(`load average at start: ${load()} (2 cores)`);
console.log("npm run build …");
const build = spawnSync(process.execPath, ["scripts/build.mjs"], { cwd: ROOT, stdio: "ignore" });
if (build.status !== 0) throw new Error("npm run build failed");
for (const variant of VARIANTS) await measure(variant); // warm-up, not counted

const samples = new Map<string, Sample[]>(VARIANTS.map((v) => [v.name, []]));
for (let run = 1; run <= runs; run++) {
  // A different variant goes first in each run, so none always meets the machine in the same state.
  const order = VARIANTS.map((_, i) => VARIANTS[(i + run - 1) % VARIANTS.length] as Variant);
  const line: string[] = [];
  for (const variant of order) {
    const sample = await measure(variant);
    samples.get(variant.name)?.push(sample);
    line.push(`${variant.name.split(":")[0]} ${ms(sample.startMs)} / ${mib(sample.rssMiB)}`);
  }
  console.log(`run ${run} (load ${load()}): ${line.join("; ")}`);
}

console.log(`\nmedians of ${runs} runs (spread = min–max); load average at end: ${load()}`);
const floor = samples.get(VARIANTS[0]?.name ?? "") ?? [];
const floorStart = median(floor.map((s) => s.startMs));
const floorRss = median(floor.map((s) => s.rssMiB));
for (const variant of VARIANTS) {
  const own = samples.get(variant.name) ?? [];
  const starts = own.map((s) => s.startMs);
  const rss = own.map((s) => s.rssMiB);
  console.log(
    `${variant.name}\n  start-up ${ms(median(starts))} (${ms(Math.min(...starts))}–${ms(Math.max(...starts))}, ` +
      `${(median(starts) / floorStart).toFixed(1)}× the floor)` +
      `  RSS ${mib(median(rss))} (${mib(Math.min(...rss))}–${mib(Math.max(...rss))}, ` +
      `${(median(rss) / floorRss).toFixed(1)}× the floor)`,
  );
}
