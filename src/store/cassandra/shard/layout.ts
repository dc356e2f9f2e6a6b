import { toNumber, toText } from "../context.js";
import type { LogFedContext } from "./context.js";

/**
 * The version of the aggregate tables' layout, recorded in `meta` (name 'aggregates') by the first
 * writer of a new keyspace and by each rebuild: 5 since cql/005 added board_values, 7 since cql/007
 * added report_rollups, 9 since cql/009 moved report cells into hash buckets, 10 since cql/010 added
 * the rollups' users_count and month rows, 11 since cql/011 moved the rollups into day and month
 * partitions split by hash buckets (report_rollup_buckets).
 */
export const AGGREGATES_VERSION = 11;
/** The first layout whose report_rollups are kept: readers of an older one sum the cells. */
const ROLLUPS_SINCE = 7;
/** The first layout whose cells are in report_cell_buckets: readers of an older one read report_cells. */
const CELL_BUCKETS_SINCE = 9;
/** The first layout whose rollups carry users_count and month rows: readers of an older one read the days' sets. */
const ROLLUP_COUNTS_SINCE = 10;
/** The first layout whose rollups are in report_rollup_buckets: readers of an older one read report_rollups. */
const ROLLUP_BUCKETS_SINCE = 11;

/**
 * Where a keyspace's rollups are and what they hold, by its layout (see AGGREGATES_VERSION): none;
 * report_rollups' day rows; also its counts and month rows; the same in report_rollup_buckets.
 */
export type RollupsKept = "none" | "days" | "days, months and counts" | "in buckets";

/** How long readers trust a missing shard count (no aggregator has started yet). */
const UNKNOWN_SHARDS_MS = 1_000;

/**
 * The store's layout, kept in `meta`: `shards`, the log's partition count (boards and report
 * cells have one shard per log partition, so readers must know how many there are), and
 * `epoch`, raised by each rebuild (see fence.ts).
 */
export class Layout {
  private known: number | null = null;
  private unknownUntil = 0;
  private rollupsKnown: RollupsKept = "none";
  private cellBucketsKnown = false;

  constructor(private readonly ctx: LogFedContext) {}

  /**
   * Read by an aggregator taking over a partition: records the partition count, or checks it,
   * and checks that the aggregate tables are of this version (AGGREGATES_VERSION).
   */
  async claim(shardCount: number): Promise<{ epoch: number }> {
    const meta = await this.read();
    if ((meta.get("rebuilding") ?? 0) !== 0) throw new RebuildInProgressError(this.ctx.keyspace);
    await this.checkAggregatesVersion(meta.get("aggregates"));
    const stored = meta.get("shards");
    if (stored === undefined) {
      await this.ctx.client.execute(this.ctx.sql.metaWrite, [shardCount, "shards"], {
        prepare: true,
        isIdempotent: true,
      });
    } else if (stored !== shardCount) {
      throw new Error(
        `keyspace ${this.ctx.keyspace} was built for a log of ${stored} partitions, but the log has ${shardCount}: ` +
          "a topic's partition count is fixed for the life of its keyspace (docs/cassandra.md)",
      );
    }
    this.known = shardCount;
    return { epoch: meta.get("epoch") ?? 0 };
  }

  /** The shard count for reads; 0 until an aggregator has started. */
  async shards(): Promise<number> {
    if (this.known !== null) return this.known;
    if (Date.now() < this.unknownUntil) return 0;
    const stored = (await this.read()).get("shards");
    if (stored === undefined) {
      this.unknownUntil = Date.now() + UNKNOWN_SHARDS_MS;
      return 0;
    }
    this.known = stored;
    return stored;
  }

  /**
   * What the rollups hold for every counted event: report_rollups' day rows once the keyspace's
   * layout is 7 or later (a new keyspace, or one rebuilt since cql/007), also users_count and the
   * month rows once it is 10 or later (cql/010), all of it in report_rollup_buckets once it is 11 or
   * later (cql/011). Remembered once complete: a layout never goes back.
   */
  async rollupsKept(): Promise<RollupsKept> {
    if (this.rollupsKnown === "in buckets") return this.rollupsKnown;
    const version = (await this.read()).get("aggregates") ?? 0;
    this.rollupsKnown =
      version >= ROLLUP_BUCKETS_SINCE
        ? "in buckets"
        : version >= ROLLUP_COUNTS_SINCE
          ? "days, months and counts"
          : version >= ROLLUPS_SINCE
            ? "days"
            : "none";
    return this.rollupsKnown;
  }

  /**
   * Whether report cells are in report_cell_buckets (layout 9 or later: a new keyspace, or one
   * rebuilt since cql/009); else they are still in report_cells. Remembered once true.
   */
  async cellBucketsKept(): Promise<boolean> {
    if (this.cellBucketsKnown) return true;
    const version = (await this.read()).get("aggregates");
    this.cellBucketsKnown = version !== undefined && version >= CELL_BUCKETS_SINCE;
    return this.cellBucketsKnown;
  }

  /**
   * A keyspace written before a migration that added an aggregate table (005: board_values) or
   * moved one (009: report cells into buckets; 010: rollup counts and month rows; 011: rollups into
   * buckets) has data the new table lacks; writers would move counts they never had. They refuse
   * until a rebuild has filled it. A keyspace that has applied nothing yet is marked current.
   */
  private async checkAggregatesVersion(stored: number | undefined): Promise<void> {
    if (stored !== undefined && stored >= AGGREGATES_VERSION) return;
    if (stored === undefined) {
      const progress = await this.ctx.client.execute(this.ctx.sql.progressRead, [], {
        prepare: true,
        isIdempotent: true,
      });
      if (progress.rowLength === 0) {
        await this.ctx.client.execute(this.ctx.sql.metaWrite, [AGGREGATES_VERSION, "aggregates"], {
          prepare: true,
          isIdempotent: true,
        });
        return;
      }
    }
    throw new AggregatesNeedRebuildError(this.ctx.keyspace);
  }

  private read(): Promise<Map<string, number>> {
    return readMeta(this.ctx);
  }
}

/** The layout's values in `meta`, by name ('shards', 'epoch', 'rebuilding', 'aggregates'). */
export async function readMeta(ctx: Pick<LogFedContext, "client" | "sql">): Promise<Map<string, number>> {
  const result = await ctx.client.execute(ctx.sql.metaRead, [], { prepare: true, isIdempotent: true });
  return new Map(result.rows.map((row) => [toText(row["name"]), toNumber(row["value"])]));
}

/** The last applied offset of each log partition that has applied anything (log_progress). */
export async function readAppliedOffsets(
  ctx: Pick<LogFedContext, "client" | "sql">,
): Promise<Map<number, number>> {
  const result = await ctx.client.execute(ctx.sql.progressRead, [], { prepare: true, isIdempotent: true });
  return new Map(result.rows.map((row) => [toNumber(row["log_partition"]), toNumber(row["applied_offset"])]));
}

/** A rebuild is running (or died half-way and must be run again): aggregators wait for it. */
export class RebuildInProgressError extends Error {
  constructor(keyspace: string) {
    super(`a rebuild of keyspace ${keyspace} is in progress (or must be run again): aggregators wait for it`);
  }
}

/** The keyspace has data from before an aggregate table was added: `eventscore rebuild` fills it. */
export class AggregatesNeedRebuildError extends Error {
  constructor(keyspace: string) {
    super(
      `keyspace ${keyspace} holds aggregates from before migration ${AGGREGATES_VERSION}: stop the aggregators and run ` +
        '`eventscore rebuild` once, then start them again (docs/cassandra.md, "Schema and migrations")',
    );
  }
}
