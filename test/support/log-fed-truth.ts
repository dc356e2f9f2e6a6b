/**
 * Brute-force truth for the log-fed Cassandra store: from the events that must be counted, every
 * row that must exist in `type_counts`, `board_shards`, `report_cell_buckets` and `report_rollup_buckets`, compared with a full
 * scan of those tables. Exact equality of the row sets also proves there is no stale board row
 * (a user held twice on a board) and no row counted twice.
 */
import { decodeHistogram } from "../../src/store/cassandra/shard/board-values.js";
import { cellBucketOf } from "../../src/store/cassandra/shard/cell-buckets.js";
import { rollupBucketOf } from "../../src/store/cassandra/shard/rollup-buckets.js";
import type { Admin } from "@platformatic/kafka";
import { expect } from "vitest";
import { periodsContaining } from "../../src/domain/time.js";
import type { ReportRollup, StoredEvent } from "../../src/store/port.js";
import type { Client } from "../../src/store/cassandra/options.js";

type Row = Record<string, unknown>;

/** Every table of the log-fed store (cql/004), emptied between tests with TRUNCATE. */
export const LOG_FED_TABLES = [
  "event_claims",
  "events_by_user_day",
  "events_by_user_quarter",
  "days_by_user",
  "meta",
  "type_counts",
  "board_shards",
  "board_values",
  "report_cells",
  "report_cell_buckets",
  "report_rollups",
  "report_rollup_buckets",
  "log_progress",
] as const;

const num = (value: unknown): number =>
  typeof value === "object" && value !== null && "toNumber" in value
    ? (value as { toNumber(): number }).toNumber()
    : Number(value);

/** Which shard holds a user's board and report rows: the log tells, the test passes it in. */
export type ShardOf = (userId: string) => number;

export interface ExpectedRows {
  readonly typeCounts: string[];
  readonly boards: string[];
  /** Users per board value of each shard (cql/005), derived from the boards. */
  readonly boardValues: string[];
  readonly reportCells: string[];
  /**
   * The cells summed over categories and users, with the count and the sorted ids of their users
   * (cql/007, cql/010), per day and per month (the month row's period is the month), per bucket of
   * their users (cql/011).
   */
  readonly reportRollups: string[];
}

/** The rows the counted events must produce, each as one comparable line. */
export function expectedRows(events: readonly StoredEvent[], shardOf: ShardOf): ExpectedRows {
  const counts = new Map<
    string,
    { events: number; points: number; rankedEvents: number; rankedPoints: number }
  >();
  const cells = new Map<string, { events: number; points: number }>();
  const rollups = new Map<string, { events: number; points: number; users: Set<string> }>();
  for (const event of events) {
    // A type's row, and a row per scope: each group "@g/<group>", the category "@c/<category>".
    const rows = [
      event.type,
      ...event.groups.map((g) => `@g/${g}`),
      ...(event.category === null ? [] : [`@c/${event.category}`]),
    ];
    for (const { window, bucket } of periodsContaining(event.occurredAt)) {
      for (const row of rows) {
        const key = [event.userId, window, bucket, row].join("|");
        const c = counts.get(key) ?? { events: 0, points: 0, rankedEvents: 0, rankedPoints: 0 };
        c.events += 1;
        c.points += event.points;
        if (event.ranked) {
          c.rankedEvents += 1;
          c.rankedPoints += event.points;
        }
        counts.set(key, c);
      }
    }
    const day = event.occurredAt.toISOString().slice(0, 10);
    const shard = shardOf(event.userId);
    const groups = event.groups.length === 0 ? [""] : event.groups;
    const scoped: [string, string][] = [["all", ""], ...groups.map((g): [string, string] => ["group", g])];
    for (const [scope, group] of scoped) {
      const cell = { userId: event.userId, type: event.type, category: event.category ?? "", group };
      // The bucket each cell must be in (cql/009): a cell anywhere else is a line that differs.
      const key = [
        day,
        scope,
        shard,
        cellBucketOf(cell),
        event.userId,
        event.type,
        cell.category,
        group,
      ].join("|");
      const c = cells.get(key) ?? { events: 0, points: 0 };
      c.events += 1;
      c.points += event.points;
      cells.set(key, c);
      for (const dayOrMonth of [day, day.slice(0, 7)]) {
        // The bucket each user of a rollup must be in (cql/011).
        const bucket = rollupBucketOf({ day: dayOrMonth, userId: event.userId, type: event.type, group });
        const rollupKey = [dayOrMonth, scope, shard, bucket, event.type, group].join("|");
        const r = rollups.get(rollupKey) ?? { events: 0, points: 0, users: new Set<string>() };
        r.events += 1;
        r.points += event.points;
        r.users.add(event.userId);
        rollups.set(rollupKey, r);
      }
    }
  }
  const boards = new Map<string, number>();
  for (const [key, c] of counts) {
    if (c.rankedEvents === 0) continue;
    const [user, window, bucket, type] = key.split("|") as [string, string, string, string];
    const shard = shardOf(user);
    if (type.startsWith("@")) {
      // A scope's board ranks by the points of its events.
      boards.set([window, bucket, type, shard, user].join("|"), c.rankedPoints);
      continue;
    }
    boards.set([window, bucket, type, shard, user].join("|"), c.rankedEvents);
    const points = [window, bucket, "*", shard, user].join("|");
    boards.set(points, (boards.get(points) ?? 0) + c.rankedPoints);
  }
  return {
    typeCounts: [...counts]
      .map(([k, c]) => `${k}=${c.events},${c.points},${c.rankedEvents},${c.rankedPoints}`)
      .sort(),
    boards: [...boards].map(([k, v]) => `${k}=${v}`).sort(),
    boardValues: histogramOf([...boards].map(([k, v]) => [k.split("|").slice(0, 4).join("|"), v])),
    reportCells: [...cells].map(([k, c]) => `${k}=${c.events},${c.points}`).sort(),
    reportRollups: [...rollups]
      .map(([k, r]) => `${k}=${r.events},${r.points},${r.users.size},${[...r.users].sort().join(" ")}`)
      .sort(),
  };
}

/** Lines `board|value=users` from (board, value) pairs, one per user on a board. */
function histogramOf(entries: readonly [string, number][]): string[] {
  const users = new Map<string, number>();
  for (const [board, value] of entries)
    users.set(`${board}|${value}`, (users.get(`${board}|${value}`) ?? 0) + 1);
  return [...users].map(([k, n]) => `${k}=${n}`).sort();
}

/** The same lines, read from the store's tables. */
export async function storedRows(client: Client, keyspace: string): Promise<ExpectedRows> {
  const all = async (query: string): Promise<Row[]> => {
    const rows: Row[] = [];
    const result = await client.execute(query, [], { prepare: true, fetchSize: 5000 });
    for await (const row of result) rows.push(row as unknown as Row);
    return rows;
  };
  const typeCounts = (await all(`SELECT * FROM ${keyspace}.type_counts`))
    .filter((r) => r["type"] !== null)
    .map(
      (r) =>
        `${[r["user_id"], r["time_window"], r["bucket"], r["type"]].join("|")}=` +
        `${num(r["events"])},${num(r["points"])},${num(r["ranked_events"])},${num(r["ranked_points"])}`,
    );
  const boards = (await all(`SELECT * FROM ${keyspace}.board_shards`)).map(
    (r) =>
      `${[r["time_window"], r["bucket"], r["metric"], r["shard"], r["user_id"]].join("|")}=${num(r["value"])}`,
  );
  const boardValues = (await all(`SELECT * FROM ${keyspace}.board_values`)).flatMap((r) =>
    decodeHistogram(r["histogram"] as Buffer | null).map(
      ({ value, users }) =>
        `${[r["time_window"], r["bucket"], r["metric"], r["shard"], value].join("|")}=${users}`,
    ),
  );
  const reportCells = (await all(`SELECT * FROM ${keyspace}.report_cell_buckets`)).map(
    (r) =>
      `${[r["day"], r["scope"], r["shard"], r["bucket"], r["user_id"], r["type"], r["category"], r["group_name"]].join("|")}=` +
      `${num(r["events"])},${num(r["points"])}`,
  );
  const reportRollups = (await all(`SELECT * FROM ${keyspace}.report_rollup_buckets`)).map(
    (r) =>
      `${[r["period"], r["scope"], r["shard"], r["bucket"], r["type"], r["group_name"]].join("|")}=` +
      `${num(r["events"])},${num(r["points"])},${num(r["users_count"])},` +
      [...((r["users"] as string[] | null) ?? [])].sort().join(" "),
  );
  return {
    typeCounts: typeCounts.sort(),
    boards: boards.sort(),
    boardValues: boardValues.sort(),
    reportCells: reportCells.sort(),
    reportRollups: reportRollups.sort(),
  };
}

/** Every aggregate row equals the brute force of the counted events: nothing lost, twice or stale. */
export async function expectExactAggregates(
  client: Client,
  keyspace: string,
  counted: readonly StoredEvent[],
  shardOf: ShardOf,
): Promise<void> {
  const expected = expectedRows(counted, shardOf);
  const stored = await storedRows(client, keyspace);
  expect(stored.typeCounts).toEqual(expected.typeCounts);
  expect(stored.boards).toEqual(expected.boards);
  expect(stored.boardValues).toEqual(expected.boardValues);
  expect(stored.reportCells).toEqual(expected.reportCells);
  expect(stored.reportRollups).toEqual(expected.reportRollups);
}

/**
 * Every event in the store's log (`events_by_user_day` and a heavy day's `events_by_user_quarter`),
 * as the aggregators stored it.
 */
export async function storedEvents(client: Client, keyspace: string): Promise<StoredEvent[]> {
  const logged: StoredEvent[] = [];
  for (const table of ["events_by_user_day", "events_by_user_quarter"]) {
    const rows = await client.execute(`SELECT * FROM ${keyspace}.${table}`, [], {
      fetchSize: 5000,
      prepare: true,
    });
    for await (const row of rows) logged.push(loggedEvent(row as unknown as Row));
  }
  return logged;
}

function loggedEvent(row: Row): StoredEvent {
  return {
    id: String(row["event_id"]),
    userId: String(row["user_id"]),
    type: String(row["type"]),
    occurredAt: row["occurred_at"] as Date,
    repo: null,
    category: row["category"] === null ? null : String(row["category"]),
    groups: (row["group_names"] as string[] | null) ?? [],
    payload: null,
    points: Number(row["points"]),
    ranked: row["ranked"] === true,
    fingerprint: String(row["fingerprint"]),
  };
}

/** True when `log_progress` shows every partition of the topic applied up to its end. */
export async function wholeLogApplied(
  admin: Admin,
  client: Client,
  keyspace: string,
  topic: string,
  partitions: number,
): Promise<boolean> {
  const [ends] = await admin.listOffsets({
    topics: [
      {
        name: topic,
        partitions: Array.from({ length: partitions }, (_, p) => ({ partitionIndex: p, timestamp: -1n })),
      },
    ],
  });
  const applied = await client.execute(`SELECT log_partition, applied_offset FROM ${keyspace}.log_progress`);
  const progressOf = new Map(
    applied.rows.map((row) => [Number(row["log_partition"]), Number(row["applied_offset"])]),
  );
  return (ends?.partitions ?? []).every(
    (p) => Number(p.offset) === 0 || progressOf.get(p.partitionIndex) === Number(p.offset) - 1,
  );
}

/**
 * Rollups as lines `period|type|group=events,points,users`, summed over shards and buckets the way
 * a report sums them: sets joined, counts added (each shard's and bucket's users are disjoint).
 */
export function rollupLines(rollups: readonly ReportRollup[]): string[] {
  const rows = new Map<string, { events: number; points: number; ids: Set<string>; counted: number }>();
  for (const r of rollups) {
    const key = `${r.day}|${r.type}|${r.group ?? ""}`;
    const s = rows.get(key) ?? { events: 0, points: 0, ids: new Set<string>(), counted: 0 };
    s.events += r.events;
    s.points += r.points;
    if ("count" in r.users) s.counted += r.users.count;
    else if ("ids" in r.users) for (const id of r.users.ids) s.ids.add(id);
    rows.set(key, s);
  }
  return [...rows].map(([k, s]) => `${k}=${s.events},${s.points},${s.ids.size + s.counted}`).sort();
}
