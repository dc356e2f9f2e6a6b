/**
 * Hostile-input benchmark (issue 12): how long the server takes to get through each attack, how
 * long a health probe waits meanwhile, and how much memory the server holds. Each scenario runs
 * against a fresh `eventscore serve` child process (in-memory SQLite); the floor, printed first
 * and compared against in every line, is the same probe against that idle server.
 *
 *   npx tsx bench/hostile-input.ts                 # every scenario
 *   npx tsx bench/hostile-input.ts --only "ws flood" # the scenarios whose name has this
 *
 * BENCHMARKS.md records results.
 */
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import {
  introspectionBomb,
  memoryOf,
  probeHealth,
  sampleRss,
  subscribeFrame,
  tokenFlood,
  websocketFlood,
  type ProbeReport,
} from "../test/support/attacks.js";
import { startChildServer, waitForExit } from "../test/support/child-server.js";

const { values } = parseArgs({ options: { only: { type: "string" } } });

interface Scenario {
  readonly name: string;
  readonly env?: Record<string, string>;
  /** Runs the attack against `base`; returns a one-line summary of what the server answered. */
  readonly attack: (base: string) => Promise<string>;
}

const post = async (base: string, query: string): Promise<string> => {
  const response = await fetch(`${base}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ query }),
  });
  const text = await response.text();
  const code = /"code":"([A-Z_]+)"/.exec(text)?.[1] ?? "no error";
  return `${response.status} ${code} (${(text.length / 1024).toFixed(0)} KiB)`;
};

const SCENARIOS: Scenario[] = [
  {
    name: "introspection bomb (2,000 aliases, one POST)",
    attack: (base) => post(base, introspectionBomb(2000)),
  },
  {
    name: "introspection bomb x4 at once",
    attack: async (base) =>
      (await Promise.all(Array.from({ length: 4 }, () => post(base, introspectionBomb(2000))))).join(", "),
  },
  {
    // Under the token limit: only introspection's cost can refuse these.
    name: "introspection under the token limit (60 aliases, 40 POSTs, 4 at once)",
    attack: async (base) => {
      const answers = new Map<string, number>();
      const worker = async (): Promise<void> => {
        for (let i = 0; i < 10; i++) {
          const answer = await post(base, introspectionBomb(60));
          const key = answer.replace(/ \(.*\)$/, "");
          answers.set(key, (answers.get(key) ?? 0) + 1);
        }
      };
      await Promise.all(Array.from({ length: 4 }, worker));
      return [...answers].map(([answer, n]) => `${n}x ${answer}`).join(", ");
    },
  },
  {
    name: "token flood (200,000 tokens, one POST)",
    attack: (base) => post(base, tokenFlood(200_000)),
  },
  {
    name: "ws flood: 100 sockets x 200 invalid subscribes",
    attack: async (base) => {
      const result = await websocketFlood({
        url: `${base.replace("http:", "ws:")}/graphql`,
        sockets: 100,
        frames: (s) => Array.from({ length: 200 }, (_, i) => subscribeFrame(`${s}-${i}`, "{ nope }")),
        expectedReplies: () => 200,
      });
      return wsSummary(result);
    },
  },
  {
    name: "ws flood: 1 socket x 20,000 valid queries",
    attack: async (base) => {
      const result = await websocketFlood({
        url: `${base.replace("http:", "ws:")}/graphql`,
        sockets: 1,
        frames: () =>
          Array.from({ length: 20_000 }, (_, i) =>
            subscribeFrame(`q${i}`, "{ scoringRules { defaultWeight } }"),
          ),
        expectedReplies: () => 40_000,
      });
      return wsSummary(result);
    },
  },
];

function wsSummary(result: { closeCodes: number[]; replies: number; ms: number }): string {
  const codes = new Map<number, number>();
  for (const code of result.closeCodes) codes.set(code, (codes.get(code) ?? 0) + 1);
  const closes = [...codes].map(([code, n]) => `${n}x ${code === 0 ? "open" : code}`).join(", ");
  return `${result.replies} replies, sockets: ${closes}`;
}

const fmt = (report: ProbeReport) =>
  `p50 ${report.p50.toFixed(1)} ms, p95 ${report.p95.toFixed(1)} ms, max ${report.max.toFixed(1)} ms (${report.count} probes${report.failures ? `, ${report.failures} failed` : ""})`;

async function run(scenario: Scenario): Promise<void> {
  const server = await startChildServer({
    EVENTSCORE_SQLITE_PATH: ":memory:",
    EVENTSCORE_LOG_LEVEL: "warn",
    ...scenario.env,
  });
  const base = server.url.replace(/\/graphql$/, "");
  const pid = server.process.pid!;
  try {
    const idle = probeHealth(base);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const floor = await idle.stop();
    const before = memoryOf(pid).rssMiB;
    const rss = sampleRss(pid);
    const probe = probeHealth(base);
    const started = performance.now();
    const answered = await scenario.attack(base);
    const ms = performance.now() - started;
    const during = await probe.stop();
    const peak = rss.stop();
    console.log(`\n${scenario.name}`);
    console.log(`  answered:         ${answered} in ${ms.toFixed(0)} ms`);
    console.log(`  health, idle:     ${fmt(floor)}   (floor)`);
    console.log(
      `  health, attacked: ${fmt(during)}   max ${(during.max / Math.max(floor.max, 0.1)).toFixed(0)}x the idle max`,
    );
    console.log(`  server RSS:       ${before.toFixed(0)} MiB before, ${peak.toFixed(0)} MiB peak`);
  } finally {
    server.process.kill("SIGKILL");
    await waitForExit(server.process);
  }
}

console.log(
  `load average at start: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);
for (const scenario of SCENARIOS) {
  if (values.only && !scenario.name.includes(values.only)) continue;
  await run(scenario);
}
console.log(
  `\nload average at end: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);
