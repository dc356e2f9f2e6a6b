/**
 * Hot-partition report of the log-fed Cassandra store: which share of the writes the busiest
 * Cassandra partition receives, and how large partitions grow.
 *
 *   npm run bench:hot-partitions [-- --events 1000000 --users 100000 --shards 12 --batch 1000]
 *
 * It generates events with Zipf-like activity per user (s = 1.1) and a GitHub-like type mix over
 * one UTC day, sends each user's events to the log partition Kafka would (murmur2), and runs the
 * store's own apply planning (claims, plan.ts, applyStatements) per partition in batches, as the
 * aggregators do, counting every statement it would issue by (table, partition key). Nothing is
 * sent to Cassandra: the counts are of the statements themselves. The floor is the design target:
 * no partition may take more than 1/shards of the board writes.
 */
import { parseArgs } from "node:util";
import { fingerprintOf } from "../src/domain/event.js";
import { DEFAULT_DAY_SPLIT_EVENTS } from "../src/store/cassandra/shard/plan.js";
import { PartitionSizes } from "./partition-sizes.js";
import { plannedWrites, recordsByPartition } from "./planned-writes.js";
import type { StoredEvent } from "../src/store/port.js";
import { mixSource } from "./zipf-mix.js";

const { values } = parseArgs({
  options: {
    events: { type: "string", default: "1000000" },
    users: { type: "string", default: "100000" },
    shards: { type: "string", default: "12" },
    batch: { type: "string", default: "1000" },
  },
});
const EVENTS = Number(values.events);
const USERS = Number(values.users);
const SHARDS = Number(values.shards);
const BATCH = Number(values.batch);
const PER_DAY = 100_000_000;

const { random, pickUser, pickType } = mixSource(USERS);

const started = Date.now();
const events: StoredEvent[] = [];
const dayStart = Date.UTC(2024, 5, 12);
for (let i = 0; i < EVENTS; i++) {
  const userId = `user-${pickUser()}`;
  const [type, points] = pickType();
  const base = {
    id: `e${i}`,
    userId,
    type,
    occurredAt: new Date(dayStart + Math.floor((i / EVENTS) * 86_400_000)),
    repo: null,
    category: random() < 0.6 ? `org-${Math.floor(random() * 5000)}` : null,
    groups: random() < 0.3 ? [`org-${Math.floor(random() * 5000)}`] : [],
    payload: null,
  };
  events.push({ ...base, points, fingerprint: fingerprintOf(base), ranked: true });
}
const byShard = recordsByPartition(events, SHARDS);

const writes = new Map<string, number>();
const sizes = new PartitionSizes();
// UPDATE too: the rollups' and a heavy day's quarters' statements are updates (cql/007, cql/008).
const tableOf = (query: string): string => /(?:INTO|FROM|UPDATE) bench\.(\w+)/.exec(query)?.[1] ?? "?";
// The sample stands for a day of PER_DAY events, so a user's day spills into quarters (cql/008)
// at the same share of its events as it would at full scale: the store's threshold, scaled down.
const scale = PER_DAY / EVENTS;
const sampleSplit = Math.max(1, Math.round(DEFAULT_DAY_SPLIT_EVENTS / scale));
for (const statements of plannedWrites(byShard, BATCH, "bench", sampleSplit)) {
  for (const statement of statements) {
    const key = `${tableOf(statement.query)} ${JSON.stringify(statement.partition)}`;
    writes.set(key, (writes.get(key) ?? 0) + 1);
    sizes.add(tableOf(statement.query), statement);
  }
}

const all = [...writes.values()].reduce((a, b) => a + b, 0);
const board = [...writes].filter(([k]) => k.startsWith("board_shards"));
const boardTotal = board.reduce((n, [, v]) => n + v, 0);
const [hottest, hottestWrites] = [...writes].sort((a, b) => b[1] - a[1])[0]!;
const [hottestBoard, hottestBoardWrites] = board.sort((a, b) => b[1] - a[1])[0]!;
const largestOf = (bytes: Map<string, number>): [string, number] =>
  [...bytes].sort((a, b) => b[1] - a[1])[0]!;
const [largest, largestBytes] = largestOf(sizes.written);
const [largestLive, largestLiveBytes] = largestOf(sizes.live());
const pct = (x: number): string => `${(x * 100).toFixed(2)} %`;
console.log(
  `events ${EVENTS}, users ${USERS} (Zipf s=1.1), shards ${SHARDS}, batches of ${BATCH} (${Date.now() - started} ms)`,
);
console.log(`statements: ${all} (${(all / EVENTS).toFixed(2)} per event), board statements ${boardTotal}`);
console.log(
  `hottest partition overall: ${hottest}: ${hottestWrites} writes = ${pct(hottestWrites / all)} of all writes`,
);
console.log(
  `hottest board partition: ${hottestBoard}: ${pct(hottestBoardWrites / boardTotal)} of board writes; ` +
    `floor 1/shards = ${pct(1 / SHARDS)}; ratio ${(hottestBoardWrites / boardTotal / (1 / SHARDS)).toFixed(2)}`,
);
const scaled = (bytes: number): string =>
  `${(bytes / 1e6).toFixed(2)} MB; at ${PER_DAY / 1e6}M events/day about ${((bytes * scale) / 1e6).toFixed(0)} MB ` +
  "(scaled by events; target < 100 MB)";
console.log(
  `a user's day spills into quarters of an hour past ${DEFAULT_DAY_SPLIT_EVENTS.toLocaleString("en-US")} events, ` +
    `${sampleSplit} in this sample`,
);
console.log(
  `largest partition, bytes written (every write), a day of this mix: ${largest}: ${scaled(largestBytes)}`,
);
console.log(`largest partition, live bytes (each row once): ${largestLive}: ${scaled(largestLiveBytes)}`);
// Per table, live and written: the figures cql/009 and cql/011 size their buckets by.
const live = sizes.live();
const tables = [...new Set([...sizes.written.keys()].map((key) => key.split(" ", 1)[0]!))].sort();
const mb = (bytes: number): string => `${((bytes * scale) / 1e6).toFixed(1)} MB`;
console.log("largest partition per table at 100M events/day (scaled by events), live / written:");
for (const table of tables) {
  const ofTable = (bytes: Map<string, number>): Map<string, number> =>
    new Map([...bytes].filter(([key]) => key.startsWith(`${table} `)));
  const [liveKey, liveBytes] = largestOf(ofTable(live));
  const [, writtenBytes] = largestOf(ofTable(sizes.written));
  console.log(
    `  ${table}: live ${mb(liveBytes)} (${liveKey.slice(table.length + 1)}), written ${mb(writtenBytes)}`,
  );
}
// A month's rollup partitions (cql/011) grow all month; one day of them is what this sample shows
// (bench/rollup-month-growth.ts measures how much a month adds).
const [monthKey, monthBytes] = largestOf(
  new Map([...live].filter(([key]) => /^report_rollup_buckets \["\d{4}-\d{2}",/.test(key))),
);
// The mean of that month's buckets of the same scope and shard: with a few dozen users per bucket
// in this sample, the largest bucket is above the mean by chance more than it would be at scale.
const monthPrefix = monthKey.slice(0, monthKey.lastIndexOf(",") + 1);
const siblings = [...live].filter(([key]) => key.startsWith(monthPrefix));
const meanBytes = siblings.reduce((sum, [, bytes]) => sum + bytes, 0) / siblings.length;
console.log(
  `largest month partition of report_rollup_buckets after one day, live: ${monthKey}: ${mb(monthBytes)} ` +
    `(mean of its ${siblings.length} buckets ${mb(meanBytes)})`,
);
