/**
 * What reading report rollups costs in report_rollup_buckets (cql/011) against report_rollups
 * (cql/007, cql/010) on the same data: the same keyspace is read through the report service in
 * layout 11, then brought back to layout 10 (its rollups merged into report_rollups, as the previous
 * version wrote them) and read again. Counts the requests each report makes and times them.
 *
 *   npx tsx bench/rollup-reads.ts [-- --events 20000 --users 2000 --shards 12 --reads 20]
 *
 * Needs a Cassandra on 127.0.0.1:9042 (or CASSANDRA_CONTACT_POINTS); writes only its own keyspace,
 * bench_rollup_reads, dropped at the end.
 */
import { parseArgs } from "node:util";
import { createClient } from "../src/store/cassandra/index.js";
import { CassandraLogFedStore } from "../src/store/cassandra/log-fed-store.js";
import { ReportService, type ReportRequest } from "../src/services/reports.js";
import { fingerprintOf } from "../src/domain/event.js";
import type { StoredEvent } from "../src/store/port.js";
import { InProcessLog } from "../test/support/in-process-log.js";
import { backToLayout10 } from "../test/support/legacy-rollups.js";
import { mixSource } from "./zipf-mix.js";

const { values } = parseArgs({
  options: {
    events: { type: "string", default: "20000" },
    users: { type: "string", default: "2000" },
    shards: { type: "string", default: "12" },
    reads: { type: "string", default: "20" },
  },
});
const EVENTS = Number(values.events);
const USERS = Number(values.users);
const SHARDS = Number(values.shards);
const READS = Number(values.reads);
const TYPES = ["PushEvent", "CreateEvent", "WatchEvent", "PullRequestEvent", "IssuesEvent"];
const FIRST_DAY = Date.UTC(2024, 4, 20);
const DAYS = 45;
const keyspace = "bench_rollup_reads";

// The seeded source of the hot-partition benchmarks; its users and types are not used here.
const { random } = mixSource(1, 7);

const events: StoredEvent[] = Array.from({ length: EVENTS }, (_, i) => {
  const base = {
    id: `rr-${i}`,
    // Skewed: a few users make most events.
    userId: `user-${Math.floor(USERS * random() ** 3)}`,
    type: TYPES[Math.floor(random() * TYPES.length)]!,
    occurredAt: new Date(FIRST_DAY + Math.floor((i / EVENTS) * DAYS * 86_400_000)),
    repo: null,
    category: null,
    groups: random() < 0.3 ? [`org-${Math.floor(random() * 200)}`] : [],
    payload: null,
  };
  return { ...base, points: 1 + (i % 5), fingerprint: fingerprintOf(base), ranked: true };
});

const contactPoints = (process.env["CASSANDRA_CONTACT_POINTS"] ?? "127.0.0.1").split(",");
const options = {
  contactPoints,
  localDataCenter: process.env["CASSANDRA_LOCAL_DC"] ?? "datacenter1",
  keyspace,
};
const client = createClient(options);
await client.connect();
await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
const fresh = (): CassandraLogFedStore => new CassandraLogFedStore(client, options, { ownsClient: false });
await fresh().migrate();
const log = new InProcessLog(fresh(), SHARDS);
const loadStarted = performance.now();
for (let i = 0; i < events.length; i += 1000) await log.append(events.slice(i, i + 1000));
console.log(
  `loaded ${EVENTS} events over ${DAYS} days, ${SHARDS} shards, in ${Math.round(performance.now() - loadStarted)} ms`,
);

const noFilter = { types: null, categories: null, groups: null, userIds: null };
const REPORTS: [string, ReportRequest][] = [
  [
    "30 days by DAY, TYPE",
    { from: new Date("2024-06-01"), to: new Date("2024-07-01"), groupBy: ["DAY", "TYPE"], filter: noFilter },
  ],
  [
    "30 days by DAY, TYPE, GROUP",
    {
      from: new Date("2024-06-01"),
      to: new Date("2024-07-01"),
      groupBy: ["DAY", "TYPE", "GROUP"],
      filter: noFilter,
    },
  ],
  [
    "45 days by MONTH, TYPE",
    {
      from: new Date("2024-05-20"),
      to: new Date("2024-07-04"),
      groupBy: ["MONTH", "TYPE"],
      filter: noFilter,
    },
  ],
  [
    "45 days, no grouping (sets joined)",
    { from: new Date("2024-05-20"), to: new Date("2024-07-04"), groupBy: [], filter: noFilter },
  ],
];

/** Per report: requests to Cassandra, median and p90 latency over READS runs, and the answer. */
async function measure(label: string): Promise<Map<string, string>> {
  const answers = new Map<string, string>();
  const original = client.execute.bind(client);
  let requests = 0;
  // Counts the requests the store makes; every one still goes to Cassandra.
  client.execute = ((...args: Parameters<typeof original>) => {
    requests += 1;
    return original(...args);
  }) as typeof client.execute;
  try {
    for (const [name, request] of REPORTS) {
      const times: number[] = [];
      let perReport = 0;
      for (let i = 0; i < READS; i++) {
        // A new service each time: no shared computation between runs.
        const service = new ReportService(fresh(), 400);
        const before = requests;
        const started = performance.now();
        const rows = await service.run(request);
        times.push(performance.now() - started);
        perReport = requests - before;
        answers.set(name, JSON.stringify(rows));
      }
      times.sort((a, b) => a - b);
      const at = (q: number): string =>
        times[Math.min(times.length - 1, Math.floor(q * times.length))]!.toFixed(1);
      console.log(`${label} | ${name} | ${perReport} requests | median ${at(0.5)} ms | p90 ${at(0.9)} ms`);
    }
  } finally {
    client.execute = original;
  }
  return answers;
}

const now = await measure("layout 11 (report_rollup_buckets)");

// Back to layout 10: the buckets' rows merged per (period, type, group) into report_rollups.
await backToLayout10(client, keyspace);
const before = await measure("layout 10 (report_rollups)");
for (const [name, answer] of now) {
  if (before.get(name) !== answer) throw new Error(`${name}: the two layouts answer differently`);
}
console.log("both layouts gave the same answers");
await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
await client.shutdown();
