import type { types as DriverTypes } from "cassandra-driver";
import { daysByMonth, daysOfMonth, type Period } from "../../domain/time.js";
import type { RankPosition } from "../../domain/cursor.js";
import { boardKeyOf, type BoardScope } from "../aggregates.js";
import { reportCellOf } from "../report-cells.js";
import type {
  AppendOutcome,
  BoardStandings,
  HistoryQuery,
  LeaderboardQuery,
  LogFedStore,
  LogRecord,
  ReportCell,
  ReportRollup,
  ReportScope,
  RollupUsersRead,
  ShardWriter,
  Standing,
  StoredEvent,
  UserTally,
} from "../port.js";
import { placesOf, rankOf } from "../ranking.js";
import { mapConcurrent } from "./concurrency.js";
import { cassandraCall } from "./errors.js";
import { toNumber, toText } from "./context.js";
import { readHistory, type HistoryContext } from "./history.js";
import { runMigrations } from "./migrations.js";
import { checkKeyspaceName } from "./keyspace.js";
import { createClient, DEV_REPLICATION, type CassandraStoreOptions, type Client } from "./options.js";
import { BoardReader } from "./shard/board-read.js";
import { CELL_BUCKETS } from "./shard/cell-buckets.js";
import { allRollupBuckets } from "./shard/rollup-buckets.js";
import { storedCellOf } from "./shard/cell-rows.js";
import { DEFAULT_DAY_SPLIT_EVENTS, standingOf } from "./shard/plan.js";
import { rollupsOfCells } from "./shard/rollups.js";
import type { LogFedContext } from "./shard/context.js";
import { Layout, readAppliedOffsets } from "./shard/layout.js";
import { rebuildLogFed } from "./shard/rebuild.js";
import { CassandraShardWriter, type AfterWriteStep } from "./shard/shard-writer.js";
import { ShardCql } from "./shard/statements.js";
import { readTypeCounts, tallyOfPartition } from "./shard/type-counts.js";

const ALL_BUCKETS = Array.from({ length: CELL_BUCKETS }, (_, bucket) => bucket);

/** Rows a shard writer remembers per kind (type-count partitions, users' report cells of a day). */
const DEFAULT_CACHE_SIZE = 200_000;

export interface LogFedStoreSettings {
  /** Close the client in close(). False when the client is shared (tests reuse one per file). */
  readonly ownsClient: boolean;
  readonly cacheSize?: number;
  /** Called after each write step of every apply: where fault tests crash a writer. */
  readonly afterWriteStep?: AfterWriteStep;
}

/**
 * The production store, fed by the event log (docs/cassandra.md, "Log-first ingest"): the
 * aggregator that owns a log partition writes that partition's rows through `openShard`, and
 * every instance reads them. No counters, no LWT, nothing to heal on read.
 */
export class CassandraLogFedStore implements LogFedStore {
  readonly kind = "cassandra";
  private readonly ctx: LogFedContext;
  private readonly history$: HistoryContext;
  private readonly layout: Layout;
  private readonly boards: BoardReader;

  constructor(
    readonly client: Client,
    private readonly options: CassandraStoreOptions,
    private readonly settings: LogFedStoreSettings = { ownsClient: true },
  ) {
    const keyspace = checkKeyspaceName(options.keyspace);
    const sql = new ShardCql(keyspace);
    this.ctx = { client, keyspace, sql, concurrency: options.concurrency ?? 64 };
    this.history$ = { client, cql: sql };
    this.layout = new Layout(this.ctx);
    this.boards = new BoardReader(this.ctx);
  }

  async migrate(): Promise<void> {
    await runMigrations(this.client, {
      keyspace: this.options.keyspace,
      replication:
        this.options.replication ??
        (this.options.replicationFactor !== undefined
          ? { class: "SimpleStrategy", replicationFactor: this.options.replicationFactor }
          : DEV_REPLICATION),
    });
  }

  ping(): Promise<void> {
    return cassandraCall(async () => {
      await this.client.execute("SELECT release_version FROM system.local", [], { isIdempotent: true });
    });
  }

  async close(): Promise<void> {
    if (this.settings.ownsClient) await this.client.shutdown();
  }

  async openShard(shard: number, shardCount: number): Promise<ShardWriter> {
    const { epoch } = await this.layout.claim(shardCount);
    return new CassandraShardWriter(this.ctx, shard, epoch, {
      cacheSize: this.settings.cacheSize ?? DEFAULT_CACHE_SIZE,
      afterWriteStep: this.settings.afterWriteStep ?? null,
      daySplitEvents: this.options.daySplitEvents ?? DEFAULT_DAY_SPLIT_EVENTS,
    });
  }

  /**
   * Recomputes every aggregate from the event log; no aggregator may run meanwhile (the caller
   * checks the consumer group; new aggregators wait). Returns the number of events counted.
   */
  rebuild(): Promise<number> {
    return rebuildLogFed(this.ctx);
  }

  appliedOffsets(): Promise<Map<number, number>> {
    return cassandraCall(() => readAppliedOffsets(this.ctx));
  }

  outcomesOf(records: readonly (LogRecord & { readonly shard: number })[]): Promise<AppendOutcome[]> {
    return cassandraCall(async () => {
      return mapConcurrent(records, this.ctx.concurrency, async ({ shard, offset, event }) => {
        const result = await this.client.execute(this.ctx.sql.claimsOf, [event.id], {
          prepare: true,
          isIdempotent: true,
        });
        const own = result.rows.find((row) => toText(row["user_id"]) === event.userId);
        if (own === undefined) return "conflict";
        if (toNumber(own["log_partition"]) === shard && toNumber(own["log_offset"]) === offset)
          return "inserted";
        return toText(own["fingerprint"]) === event.fingerprint ? "duplicate" : "conflict";
      });
    });
  }

  history(query: HistoryQuery): Promise<StoredEvent[]> {
    return cassandraCall(async () => {
      return readHistory(this.history$, query);
    });
  }

  histories(userIds: readonly string[], query: Omit<HistoryQuery, "userId">): Promise<StoredEvent[][]> {
    return cassandraCall(async () => {
      return mapConcurrent(userIds, this.ctx.concurrency, (userId) =>
        readHistory(this.history$, { ...query, userId }),
      );
    });
  }

  /** One single-partition read per user, concurrently. */
  tallies(userIds: readonly string[], period: Period): Promise<UserTally[]> {
    return cassandraCall(async () => {
      return mapConcurrent(userIds, this.ctx.concurrency, async (userId) =>
        tallyOfPartition(userId, (await readTypeCounts(this.ctx, { userId, ...period })).types),
      );
    });
  }

  leaderboard(query: LeaderboardQuery): Promise<Standing[]> {
    return cassandraCall(async () => {
      const shards = await this.layout.shards();
      const board = boardKeyOf(query.period, query.type, query.scope ?? null);
      return this.boards.page(board, shards, query.after, query.limit);
    });
  }

  leaderboardBefore(
    query: Omit<LeaderboardQuery, "after"> & { readonly before: RankPosition },
  ): Promise<Standing[]> {
    return cassandraCall(async () => {
      const shards = await this.layout.shards();
      const board = boardKeyOf(query.period, query.type, query.scope ?? null);
      return this.boards.pageBefore(board, shards, query.before, query.limit);
    });
  }

  /**
   * Each value comes from the user's own counts; the board's size and every rank from its
   * histogram (every shard's users per value), read once, alongside the counts.
   */
  standings(
    userIds: readonly string[],
    period: Period,
    type: string | null,
    scope: BoardScope | null = null,
  ): Promise<BoardStandings> {
    return cassandraCall(async () => {
      const board = boardKeyOf(period, type, scope);
      const shards = await this.layout.shards();
      const [values, summary] = await Promise.all([
        mapConcurrent(userIds, this.ctx.concurrency, async (userId) => {
          const { types } = await readTypeCounts(this.ctx, { userId, ...period });
          const standing = standingOf(types, board.metric);
          return standing.member ? standing.value : null;
        }),
        this.boards.summary(board, shards),
      ]);
      return {
        total: summary.total,
        standings: placesOf(userIds, values, (value) => rankOf(summary.usersAbove(value))),
      };
    });
  }

  /**
   * Every bucket of every shard of the day and scope (cql/009), or every shard's one partition of a
   * keyspace whose cells are not in buckets yet; "" in category and group means none.
   */
  reportCells(day: string, scope: ReportScope): Promise<ReportCell[]> {
    return cassandraCall(async () => {
      const decode = (row: DriverTypes.Row): ReportCell => reportCellOf(storedCellOf(day, row));
      if (!(await this.layout.cellBucketsKept())) {
        return this.everyShard(this.ctx.sql.legacyCellsOfShard, (shard) => [day, scope, shard], decode);
      }
      return this.everyShard(
        this.ctx.sql.cellsOfBuckets,
        (shard) => [day, scope, shard, ALL_BUCKETS],
        decode,
      );
    });
  }

  /**
   * Every shard's rollups of the days and scope: every bucket of the days' partitions
   * (report_rollup_buckets, cql/011), one request per month and shard, a few rows per day and
   * bucket instead of a row per user; asked for counts, only the sets' sizes (cql/010), so no set is
   * read. A keyspace not rebuilt since cql/011 has them read from report_rollups, one before cql/010
   * has its sets read, one before cql/007 has them summed from its cells, so reports stay exact
   * through the upgrades.
   */
  reportRollups(
    days: readonly string[],
    scope: ReportScope,
    users: RollupUsersRead = "join",
  ): Promise<ReportRollup[]> {
    return cassandraCall(async () => {
      const kept = await this.layout.rollupsKept();
      if (kept === "none") {
        const cells = await Promise.all(days.map((day) => this.reportCells(day, scope)));
        return cells.flatMap(rollupsOfCells);
      }
      const byMonth = [...daysByMonth(days)];
      if (kept === "in buckets") {
        return this.rollupBuckets(
          byMonth.map(([, inMonth]) => inMonth),
          scope,
          users === "count",
        );
      }
      const wanted = new Set(days);
      const counts = users === "count" && kept === "days, months and counts";
      const slices = byMonth.map(([month, inMonth]) => ({
        month,
        first: inMonth[0]!,
        last: inMonth[inMonth.length - 1]!,
      }));
      return (await this.legacyRollupSlices(slices, scope, counts)).filter((rollup) =>
        wanted.has(rollup.day),
      );
    });
  }

  /**
   * Every shard's month rows (cql/010) of whole months: one row per (type, group) and bucket of a
   * whole month and shard instead of one per day, read one request per month and shard (cql/011).
   * A keyspace without them (before cql/010, not rebuilt) answers with the rows of the months'
   * days; one not rebuilt since cql/011 from report_rollups.
   */
  reportMonthRollups(
    months: readonly string[],
    scope: ReportScope,
    users: RollupUsersRead = "join",
  ): Promise<ReportRollup[]> {
    return cassandraCall(async () => {
      const kept = await this.layout.rollupsKept();
      if (kept === "in buckets") {
        return this.rollupBuckets(
          months.map((month) => [month]),
          scope,
          users === "count",
        );
      }
      if (kept !== "days, months and counts") {
        return this.reportRollups(months.flatMap(daysOfMonth), scope, "join");
      }
      // A month row's clustering `day` is the month: the slice [month, month] is that row alone.
      const slices = months.map((month) => ({ month, first: month, last: month }));
      return this.legacyRollupSlices(slices, scope, users === "count");
    });
  }

  /**
   * Every shard's rows of every bucket of some groups of periods (days of one month, or one month),
   * one request per group and shard: its periods and buckets as IN lists, read by the coordinator
   * together, so a report makes as many requests as it did with a month per partition.
   */
  private async rollupBuckets(
    groups: readonly (readonly string[])[],
    scope: ReportScope,
    counts: boolean,
  ): Promise<ReportRollup[]> {
    const query = counts ? this.ctx.sql.rollupCountsOfBuckets : this.ctx.sql.rollupsOfBuckets;
    const perGroup = await Promise.all(
      groups.map((periods) =>
        this.everyShard(
          query,
          (shard) => [periods, scope, shard, allRollupBuckets(periods[0]!)],
          (row) => rollupOf(row, "period", counts),
        ),
      ),
    );
    return perGroup.flat();
  }

  /** Every shard's report_rollups rows (before cql/011) of clustering days first..last of each month partition. */
  private async legacyRollupSlices(
    slices: readonly { month: string; first: string; last: string }[],
    scope: ReportScope,
    counts: boolean,
  ): Promise<ReportRollup[]> {
    const query = counts ? this.ctx.sql.legacyRollupCountsOfDays : this.ctx.sql.legacyRollupsOfDays;
    const perMonth = await Promise.all(
      slices.map(({ month, first, last }) =>
        this.everyShard(
          query,
          (shard) => [month, scope, shard, first, last],
          (row) => rollupOf(row, "day", counts),
        ),
      ),
    );
    return perMonth.flat();
  }

  /** The rows of one partition query on every shard, each decoded. */
  private async everyShard<T>(
    query: string,
    params: (shard: number) => unknown[],
    decode: (row: DriverTypes.Row) => T,
  ): Promise<T[]> {
    const shards = await this.layout.shards();
    const perShard = await mapConcurrent(
      Array.from({ length: shards }, (_, shard) => shard),
      this.ctx.concurrency,
      async (shard) => {
        const result = await this.client.execute(query, params(shard), {
          prepare: true,
          isIdempotent: true,
          fetchSize: 5000,
        });
        const rows: T[] = [];
        for await (const row of result) rows.push(decode(row));
        return rows;
      },
    );
    return perShard.flat();
  }
}

/** A rollup row as reports read it, its day or month from `periodColumn`; "" is no group. */
function rollupOf(row: DriverTypes.Row, periodColumn: "period" | "day", counts: boolean): ReportRollup {
  const group = toText(row["group_name"]);
  return {
    day: toText(row[periodColumn]),
    type: toText(row["type"]),
    group: group === "" ? null : group,
    events: toNumber(row["events"]),
    points: toNumber(row["points"]),
    users: counts
      ? { count: toNumber(row["users_count"]) }
      : { ids: (row["users"] as string[] | null) ?? [] },
  };
}

/** Connects, and runs the migrations unless `migrate: false`. */
export async function createLogFedStore(
  options: CassandraStoreOptions,
  settings: Omit<LogFedStoreSettings, "ownsClient"> = {},
): Promise<CassandraLogFedStore> {
  const client = createClient(options);
  await client.connect();
  const store = new CassandraLogFedStore(client, options, { ...settings, ownsClient: true });
  try {
    if (options.migrate !== false) await store.migrate();
  } catch (error) {
    await client.shutdown();
    throw error;
  }
  return store;
}
