/**
 * Read benchmark (issue 11): every query of the issue at 64 concurrent HTTP connections against a
 * server holding 1,000,000 events of 100,000 users (bench/reads/dataset.ts), next to two floors
 * measured in the same run: a bare node:http server answering fixed JSON, and eventscore's own
 * `{ __typename }`. Prints a table and, last, the worst query's ratio to the `{ __typename }` floor.
 *
 *   npm run bench:reads                                  # SQLite, 20 s per query
 *   npm run bench:reads -- --duration 5 --only rank,report   # quick look at some queries
 *   npm run bench:reads -- --store cassandra             # 200,000 events / 20,000 users, 32 connections
 *   npm run bench:reads -- --only report --cpu-prof DIR  # and a CPU profile of the server, written when it stops
 *   npm run bench:reads -- --store cassandra --upgrade KEYSPACE  # an older bench keyspace, migrated and rebuilt
 *
 * The server and the load generator (autocannon) are separate processes; on a 2-core machine they
 * share the CPU, so read the ratios. BENCHMARKS.md records results.
 */
import { parseArgs } from "node:util";
import { bottomUsersOf, prepareCassandra } from "./reads/cassandra-dataset.js";
import { FULL_DATASET, random, userName, type DatasetShape } from "./reads/dataset.js";
import { body, drive, startBare, startEventscore, type LoadResult } from "./reads/harness.js";
import { bottomUsers, prepareSqlite } from "./reads/sqlite-dataset.js";

const { values } = parseArgs({
  options: {
    store: { type: "string", default: "sqlite" },
    duration: { type: "string", default: "20" },
    connections: { type: "string" },
    only: { type: "string" },
    "cpu-prof": { type: "string" },
    upgrade: { type: "string" },
  },
});
const duration = Number(values.duration);
const onCassandra = values.store === "cassandra";
if (!onCassandra && values.store !== "sqlite") throw new Error("--store sqlite|cassandra");
// The scales: what one 2-core machine loads in minutes on each store.
const SHAPE: DatasetShape = onCassandra ? { ...FULL_DATASET, events: 200_000, users: 20_000 } : FULL_DATASET;
const connections = Number(values.connections ?? (onCassandra ? 32 : 64));

interface Case {
  readonly name: string;
  readonly bodies: readonly string[];
  readonly connections?: number;
}

/** The queries, each with enough distinct bodies that caches see what real traffic gives them. */
function cases(shape: DatasetShape, bottom: readonly string[]): Case[] {
  const rand = random(shape.seed + 1);
  const anyUser = (): string => userName(1 + Math.floor(rand() * shape.users));
  const activeUser = (): string => userName(1 + Math.floor(rand() * 10));
  // Users k with k % 5 < 2 have the home org org{k % 2000} (bench/reads/dataset.ts).
  const anyOrg = (): string => `org${(5 * Math.floor(rand() * 400) + Math.floor(rand() * 2)) % 2000}`;
  const lastDay = new Date(shape.start.getTime() + shape.days * 86_400_000);
  const daysBefore = (n: number): string =>
    new Date(lastDay.getTime() - n * 86_400_000).toISOString().slice(0, 10);
  const at = new Date(lastDay.getTime() - 3 * 86_400_000).toISOString();
  const many = (make: () => string, n = 500): string[] => Array.from({ length: n }, make);
  const q = {
    score: "query ($u: String!, $at: DateTime) { score(userId: $u, window: WEEK, at: $at) { score events } }",
    top: "{ leaderboard(window: ALL_TIME, first: 10) { nodes { rank userId value } } }",
    around:
      "query ($u: String!) { leaderboard(window: ALL_TIME, around: $u, first: 10) { nodes { rank userId value } } }",
    group:
      "query ($g: String!) { leaderboard(window: ALL_TIME, group: $g, first: 10) { nodes { rank userId value percentile } } }",
    events:
      'query ($u: String!, $from: DateTime, $to: DateTime) { events(userId: $u, from: $from, to: $to, types: ["PushEvent"], first: 20) { nodes { id type occurredAt repo } pageInfo { endCursor } } }',
    rank: "query ($u: String!) { rank(userId: $u, window: ALL_TIME) { rank value } }",
    userPage:
      "query ($u: String!) { user(id: $u) { score { score events } counts { type count } events(first: 10) { nodes { id type occurredAt } } rank { rank value } } }",
    nested:
      "{ leaderboard(window: ALL_TIME, first: 100) { nodes { rank userId user { counts { type count } } } } }",
    report:
      "query ($from: Date!, $to: Date!) { report(from: $from, to: $to, groupBy: [DAY, TYPE]) { rows { period type events users score } } }",
    reportYear:
      "query ($from: Date!, $to: Date!) { report(from: $from, to: $to, groupBy: [MONTH, TYPE]) { rows { period type events users score } } }",
  };
  const yearFrom = new Date(lastDay.getTime() - 366 * 86_400_000).toISOString().slice(0, 10);
  const yearBody = body(q.reportYear, { from: yearFrom, to: daysBefore(0) });
  return [
    { name: "eventscore { __typename }", bodies: [body("{ __typename }")] },
    { name: "score(user, WEEK)", bodies: many(() => body(q.score, { u: anyUser(), at })) },
    { name: "leaderboard(ALL_TIME, first: 10)", bodies: [body(q.top)] },
    {
      name: "events(active user, 7 days, [PushEvent], first: 20)",
      bodies: many(() =>
        body(q.events, {
          u: activeUser(),
          from: `${daysBefore(7)}T00:00:00Z`,
          to: `${daysBefore(0)}T00:00:00Z`,
        }),
      ),
    },
    { name: "rank(random user, ALL_TIME)", bodies: many(() => body(q.rank, { u: anyUser() })) },
    { name: "rank(user at the bottom)", bodies: bottom.map((u) => body(q.rank, { u })) },
    {
      name: "leaderboard(around: random user, first: 10)",
      bodies: many(() => body(q.around, { u: anyUser() })),
    },
    { name: "leaderboard(group: random org, first: 10)", bodies: many(() => body(q.group, { g: anyOrg() })) },
    {
      name: "user(id) { score counts events(first: 10) rank }",
      bodies: many(() => body(q.userPage, { u: anyUser() })),
    },
    { name: "leaderboard(first: 100) { nodes { user { counts } } }", bodies: [body(q.nested)] },
    {
      name: "report(30 days, groupBy: [DAY, TYPE])",
      bodies: [body(q.report, { from: daysBefore(30), to: daysBefore(0) })],
    },
    { name: "report(366 days, groupBy: [MONTH, TYPE])", bodies: [yearBody] },
    { name: "report(366 days, groupBy: [MONTH, TYPE]) at 1 connection", bodies: [yearBody], connections: 1 },
  ];
}

interface Row {
  readonly name: string;
  readonly result: LoadResult;
  readonly connections: number;
}

/** A figure, or "n/a" when the load generator measured none (no request completed in time). */
const fmt = (n: number | null, digits = 0): string =>
  n === null || !Number.isFinite(n)
    ? "n/a"
    : n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

function printTable(bare: LoadResult, floor: LoadResult, rows: readonly Row[]): void {
  console.log("");
  console.log(
    "| request | conns | req/s | p95 ms | / bare req/s | / {__typename} req/s | p95 / floor p95 | errors |",
  );
  console.log("|---|---:|---:|---:|---:|---:|---:|---:|");
  const line = (name: string, r: LoadResult, conns: number): void =>
    console.log(
      `| ${name} | ${conns} | ${fmt(r.rps)} | ${fmt(r.p95, 1)} | ${fmt((100 * r.rps) / bare.rps)} % | ${fmt((100 * r.rps) / floor.rps)} % | ${fmt(r.p95 / Math.max(floor.p95, 1), 2)} | ${r.errors + r.non2xx} |`,
    );
  line("bare node:http, fixed JSON (floor)", bare, connections);
  for (const row of rows) line(row.name, row.result, row.connections);
}

/** The dataset on the chosen store, and the server's settings to read it. */
async function prepare(shape: DatasetShape): Promise<{ env: Record<string, string>; bottom: string[] }> {
  const common = { EVENTSCORE_MAX_PAGE_SIZE: "100", EVENTSCORE_REQUEST_TIMEOUT_MS: "30000" };
  if (!onCassandra) {
    const prepared = await prepareSqlite(shape);
    console.log(
      prepared.loadRate === null
        ? `reusing ${prepared.path}`
        : `loaded ${prepared.path} through SqliteStore.append at ${fmt(prepared.loadRate)} events/s`,
    );
    return {
      env: { ...common, EVENTSCORE_SQLITE_PATH: prepared.path },
      bottom: bottomUsers(prepared.path, 200),
    };
  }
  const target = {
    contactPoints: (process.env["CASSANDRA_CONTACT_POINTS"] ?? "127.0.0.1:9042").split(","),
    localDataCenter: process.env["CASSANDRA_LOCAL_DC"] ?? "datacenter1",
    shards: Number(process.env["KAFKA_PARTITIONS"] ?? 12),
  };
  const prepared = await prepareCassandra(shape, target, values.upgrade);
  console.log(
    prepared.loadRate === null
      ? `reusing keyspace ${prepared.keyspace}`
      : `loaded keyspace ${prepared.keyspace} through the shard writers at ${fmt(prepared.loadRate)} events/s`,
  );
  return {
    env: {
      ...common,
      EVENTSCORE_STORE: "cassandra",
      EVENTSCORE_LOG: "kafka",
      CASSANDRA_KEYSPACE: prepared.keyspace,
      CASSANDRA_CONTACT_POINTS: target.contactPoints.join(","),
      CASSANDRA_LOCAL_DC: target.localDataCenter,
      KAFKA_PARTITIONS: String(target.shards),
      KAFKA_TOPIC: `${prepared.keyspace}-log`,
    },
    bottom: bottomUsersOf(shape, 200),
  };
}

async function main(): Promise<void> {
  const shape = SHAPE;
  console.log(
    `dataset on ${values.store}: ${fmt(shape.events)} events, ${fmt(shape.users)} users, ${shape.days} days (seed ${shape.seed}); ` +
      `${connections} connections, ${duration} s per query`,
  );
  const prepared = await prepare(shape);
  const all = cases(shape, prepared.bottom);
  // --only takes parts of names, comma-separated: "report,first: 100" runs the reports and the nested board.
  const only = values.only?.split(",");
  const chosen =
    only === undefined ? all : all.filter((c, i) => i === 0 || only.some((part) => c.name.includes(part)));
  const bare = await startBare();
  const server = await startEventscore(prepared.env, values["cpu-prof"]);
  const rows: Row[] = [];
  try {
    const run = (url: string, bodies: readonly string[], conns = connections): Promise<LoadResult> =>
      drive({ url, bodies, connections: conns, duration, seed: 7 });
    const bareResult = await run(bare.url, [body("{ __typename }")]);
    for (const c of chosen) {
      // A short warm-up, so that caches and the JIT are in the state a serving process is in.
      await drive({
        url: server.url,
        bodies: c.bodies,
        connections: c.connections ?? connections,
        duration: 2,
        seed: 3,
      });
      const result = await run(server.url, c.bodies, c.connections ?? connections);
      rows.push({ name: c.name, result, connections: c.connections ?? connections });
      console.log(`  ${c.name}: ${fmt(result.rps)} req/s, p95 ${fmt(result.p95, 1)} ms`);
    }
    const floor = rows[0]!.result;
    printTable(bareResult, floor, rows);
    const measured = rows.slice(1).filter((r) => r.connections === connections);
    const worst = measured.reduce<Row | null>(
      (w, r) => (w === null || r.result.rps < w.result.rps ? r : w),
      null,
    );
    console.log("");
    console.log(
      `{ __typename } = ${fmt((100 * floor.rps) / bareResult.rps)} % of bare node:http req/s (target >= 50 %)`,
    );
    if (worst)
      console.log(
        `worst query: ${worst.name} at ${fmt((100 * worst.result.rps) / floor.rps)} % of the { __typename } floor's req/s (target >= ${onCassandra ? 25 : 50} %)`,
      );
  } finally {
    await server.stop();
    await bare.stop();
  }
}

await main();
