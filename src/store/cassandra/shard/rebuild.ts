import type { types as DriverTypes } from "cassandra-driver";
import { periodsContaining } from "../../../domain/time.js";
import { POINTS_METRIC, scopeMetricsOf } from "../../aggregates.js";
import { toNumber, toText } from "../context.js";
import { toStoredEvent } from "../history.js";
import { packByReplicas, replicaLookup, type KeyedStatement } from "../partition-batches.js";
import { mapConcurrent } from "../concurrency.js";
import { encodeHistogram } from "./board-values.js";
import { cellBucketOf } from "./cell-buckets.js";
import { encodeTop, topOf } from "./board-top.js";
import type { RankedValue } from "../../ranking.js";
import type { LogFedContext } from "./context.js";
import { epochStart, fenceOf, MAX_EPOCH } from "./fence.js";
import { AGGREGATES_VERSION, readAppliedOffsets, readMeta } from "./layout.js";
import { rollupBucketOf } from "./rollup-buckets.js";
import { monthOf } from "./rollups.js";
import { reportCellKeys } from "../../report-cells.js";
import { countedIn, periodKeyId, standingOf, type TypeCounts } from "./plan.js";

interface TypeCountsTotal {
  readonly shard: number;
  readonly userId: string;
  readonly window: string;
  readonly bucket: string;
  readonly types: Map<string, TypeCounts>;
}

interface CellTotal {
  readonly shard: number;
  readonly params: readonly string[];
  events: number;
  points: number;
}

/**
 * Recomputes every aggregate from the event log (docs/cassandra.md, "Rebuild"). The caller
 * makes sure no aggregator runs; `meta.rebuilding` keeps new ones from starting meanwhile.
 *
 * It takes a new epoch, counts each log partition's logged events up to that partition's applied
 * offset, deletes every aggregate partition with the timestamp just below the new epoch (which
 * covers every earlier write, whatever its offset) and writes the totals with the fence of the
 * applied offset in the new epoch. Records after the applied offset are left to the aggregators,
 * which replay them from the log when they start again. Returns the number of events counted.
 */
export async function rebuildLogFed(ctx: LogFedContext): Promise<number> {
  const { client, sql } = ctx;
  const meta = await readMeta(ctx);
  const epoch = (meta.get("epoch") ?? 0) + 1;
  if (epoch > MAX_EPOCH) throw new Error(`rebuild: the store has used all ${MAX_EPOCH} epochs`);
  await client.execute(sql.metaWrite, [1, "rebuilding"], { prepare: true, isIdempotent: true });
  await client.execute(sql.metaWrite, [epoch, "epoch"], { prepare: true, isIdempotent: true });

  const applied = await readAppliedOffsets(ctx);
  const typeCounts = new Map<string, TypeCountsTotal>();
  const cells = new Map<string, CellTotal>();
  const days: KeyedStatement[] = [];
  let counted = 0;
  for await (const row of scanLog(ctx)) {
    const shard = row["log_partition"] === null ? null : toNumber(row["log_partition"]);
    if (shard === null || toNumber(row["log_offset"]) > (applied.get(shard) ?? -1)) continue;
    counted += 1;
    const event = toStoredEvent(row);
    const fence = fenceOf(applied.get(shard)!, epoch);
    const quarter = row["quarter"] === undefined || row["quarter"] === null ? null : toNumber(row["quarter"]);
    days.push(
      quarter === null
        ? {
            query: sql.insertDay,
            params: [event.userId, toText(row["day"]), fence],
            partition: [event.userId],
          }
        : {
            query: sql.addDayQuarters,
            params: [fence, [quarter], event.userId, toText(row["day"])],
            partition: [event.userId],
          },
    );
    for (const { window, bucket } of periodsContaining(event.occurredAt)) {
      const id = periodKeyId({ userId: event.userId, window, bucket });
      let total = typeCounts.get(id);
      if (!total)
        typeCounts.set(id, (total = { shard, userId: event.userId, window, bucket, types: new Map() }));
      // The event's type row, and a row per scope (as the shard writer's plan keeps them).
      for (const row of [event.type, ...scopeMetricsOf(event)]) {
        total.types.set(row, countedIn(total.types.get(row), event));
      }
    }
    for (const key of reportCellKeys(event)) {
      const params = [key.day, key.scope, key.userId, key.type, key.category, key.group];
      const id = `${shard}\u0000${params.join("\u0000")}`;
      const cell = cells.get(id) ?? { shard, params, events: 0, points: 0 };
      cell.events += 1;
      cell.points += event.points;
      cells.set(id, cell);
    }
  }

  await dropEarlierEpochs(ctx, epoch);
  const fenceOfShard = (shard: number): number => fenceOf(applied.get(shard) ?? -1, epoch);
  const statements: KeyedStatement[] = [...days];
  // Users per board value of each shard and its best users (board_values), from the same board rows.
  const histograms = new Map<
    string,
    { board: (string | number)[]; fence: number; users: Map<number, number>; members: RankedValue[] }
  >();
  for (const total of typeCounts.values()) {
    const fence = fenceOfShard(total.shard);
    const key = [total.userId, total.window, total.bucket];
    for (const [type, c] of total.types) {
      statements.push({
        query: sql.insertTypeCounts,
        params: [...key, type, c.events, c.points, c.rankedEvents, c.rankedPoints, fence, fence],
        partition: key,
      });
    }
    for (const [metric, value] of boardValues(total.types)) {
      const board = [total.window, total.bucket, metric, total.shard];
      statements.push({
        query: sql.boardInsert,
        params: [...board, value, total.userId, fence],
        partition: board,
      });
      const id = board.join("\u0000");
      const histogram = histograms.get(id) ?? { board, fence, users: new Map<number, number>(), members: [] };
      histogram.users.set(value, (histogram.users.get(value) ?? 0) + 1);
      histogram.members.push({ userId: total.userId, value });
      histograms.set(id, histogram);
    }
  }
  const histogramStatements: KeyedStatement[] = [...histograms.values()].map(
    ({ board, fence, users, members }) => ({
      query: sql.boardValuesWrite,
      params: [...board, encodeHistogram(users), encodeTop(topOf(members)), fence, fence],
      partition: board,
    }),
  );
  // The rollups (cql/007): the cells summed over categories and users, with their users' ids and
  // their count, per day and per whole month (cql/010: the month row's period is the month), each
  // user in its bucket of the row (cql/011).
  const rollups = new Map<
    string,
    {
      partition: [string, string, number, number];
      key: string[];
      events: number;
      points: number;
      users: Set<string>;
    }
  >();
  for (const cell of cells.values()) {
    const fence = fenceOfShard(cell.shard);
    const [day, scope, userId, type, category, group] = cell.params;
    const bucket = cellBucketOf({ userId: userId!, type: type!, category: category!, group: group! });
    statements.push({
      query: sql.insertCell,
      params: [
        day,
        scope,
        cell.shard,
        bucket,
        userId,
        type,
        category,
        group,
        cell.events,
        cell.points,
        fence,
        fence,
      ],
      partition: [day!, scope!, cell.shard, bucket],
    });
    for (const period of [day!, monthOf(day!)]) {
      const rollupBucket = rollupBucketOf({ day: period, userId: userId!, type: type!, group: group! });
      const partition: [string, string, number, number] = [period, scope!, cell.shard, rollupBucket];
      const id = [...partition, type, group].join("\u0000");
      const rollup = rollups.get(id) ?? {
        partition,
        key: [type!, group!],
        events: 0,
        points: 0,
        users: new Set<string>(),
      };
      rollup.events += cell.events;
      rollup.points += cell.points;
      rollup.users.add(userId!);
      rollups.set(id, rollup);
    }
  }
  for (const { partition, key, events, points, users } of rollups.values()) {
    const fence = fenceOfShard(partition[2]);
    statements.push({
      query: sql.insertRollup,
      params: [fence, events, points, fence, [...users], users.size, ...partition, ...key],
      partition,
    });
  }
  const replicas = replicaLookup(client, ctx.keyspace);
  const batches = [
    ...packByReplicas(statements, replicas, true),
    ...packByReplicas(histogramStatements, replicas, false),
  ];
  await mapConcurrent(batches, ctx.concurrency, (batch) =>
    client.batch(batch, { prepare: true, logged: false, isIdempotent: true }),
  );
  await client.execute(sql.metaWrite, [AGGREGATES_VERSION, "aggregates"], {
    prepare: true,
    isIdempotent: true,
  });
  await client.execute(sql.metaWrite, [0, "rebuilding"], { prepare: true, isIdempotent: true });
  return counted;
}

/** Every log row: the day partitions (events_by_user_day), then a heavy day's quarters (cql/008). */
async function* scanLog(ctx: LogFedContext): AsyncGenerator<DriverTypes.Row> {
  for (const query of [ctx.sql.scanEvents, ctx.sql.scanQuarterEvents]) {
    const scan = await ctx.client.execute(query, [], { prepare: true, isIdempotent: true, fetchSize: 5000 });
    for await (const row of scan) yield row;
  }
}

/** Board values of one user in one period (points, each type's count, each scope's points), when ranked. */
function boardValues(types: ReadonlyMap<string, TypeCounts>): [string, number][] {
  const metrics = [POINTS_METRIC, ...types.keys()];
  return metrics.flatMap((metric): [string, number][] => {
    const standing = standingOf(types, metric);
    return standing.member ? [[metric, standing.value]] : [];
  });
}

/** Deletes every partition of the aggregate tables as of just before the epoch. */
async function dropEarlierEpochs(ctx: LogFedContext, epoch: number): Promise<void> {
  const before = epochStart(epoch) - 1;
  const tables: [string, string[]][] = [
    ["type_counts", ["user_id", "time_window", "bucket"]],
    ["board_shards", ["time_window", "bucket", "metric", "shard"]],
    ["board_values", ["time_window", "bucket", "metric", "shard"]],
    // The cells of a keyspace from before cql/009 too: this rebuild moves them into buckets.
    ["report_cells", ["day", "scope", "shard"]],
    ["report_cell_buckets", ["day", "scope", "shard", "bucket"]],
    // The rollups of a keyspace from before cql/011 too: this rebuild moves them into buckets.
    ["report_rollups", ["month", "scope", "shard"]],
    ["report_rollup_buckets", ["period", "scope", "shard", "bucket"]],
  ];
  for (const [table, columns] of tables) {
    const keys = await ctx.client.execute(
      `SELECT DISTINCT ${columns.join(", ")} FROM ${ctx.keyspace}.${table}`,
      [],
      {
        prepare: true,
        isIdempotent: true,
        fetchSize: 5000,
      },
    );
    const where = columns.map((column) => `${column} = ?`).join(" AND ");
    const query = `DELETE FROM ${ctx.keyspace}.${table} USING TIMESTAMP ? WHERE ${where}`;
    const deletes: unknown[][] = [];
    for await (const row of keys) deletes.push([before, ...columns.map((column) => row[column])]);
    await mapConcurrent(deletes, ctx.concurrency, (params) =>
      ctx.client.execute(query, params, { prepare: true, isIdempotent: true }),
    );
  }
}
