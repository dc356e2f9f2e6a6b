import { dayOf, periodsContaining } from "../../../domain/time.js";
import { POINTS_METRIC, scopeMetricsOf, type BoardKey } from "../../aggregates.js";
import type { LogRecord, ReportScope, ShardApplied, ShardWriter, TallyChange } from "../../port.js";
import { reportCellId, reportCellKeys, type ReportCellKey } from "../../report-cells.js";
import cassandra from "cassandra-driver";
import { mapConcurrent } from "../concurrency.js";
import { toNumber, toText } from "../context.js";
import { packByReplicas, replicaLookup, type KeyedStatement, type Statement } from "../partition-batches.js";
import {
  boardKeyId,
  boardValueStatements,
  decodeHistogram,
  NO_BOARD_VALUES,
  planBoardValues,
  type BoardValues,
  type BoardValuesWrite,
} from "./board-values.js";
import { readClaims } from "./claim-reads.js";
import { decideClaims, type ClaimsById } from "./claims.js";
import { fenceOf } from "./fence.js";
import { Lru } from "../../../domain/lru.js";
import { decodeTop, type BoardTop } from "./board-top.js";
import {
  periodKeyId,
  planAggregates,
  type AggregatePlan,
  type PlacedRecord,
  type PeriodKey,
  type ReportCellState,
  type TypeCountsPartition,
  type TypeCountsWrite,
} from "./plan.js";
import { cellBucketOf } from "./cell-buckets.js";
import { storedCellOf } from "./cell-rows.js";
import type { LogFedContext } from "./context.js";
import type { ShardCql } from "./statements.js";
import {
  rollupId,
  rollupKeysOf,
  rollupPartitionId,
  type ReportRollupKey,
  type ReportRollupState,
} from "./rollups.js";
import { readUserTypeCounts, tallyOfPartition } from "./type-counts.js";

/** The write steps of one apply, in order (see CassandraShardWriter). */
export type WriteStep = "log-cells-boards" | "type-counts" | "progress";
export type AfterWriteStep = (shard: number, step: WriteStep) => void | Promise<void>;

/** What one load found: the highest fence of the rows it read, and whether it used the cache. */
interface Seen {
  highest: number;
  cached: boolean;
}

interface LoadedState extends Seen {
  readonly claims: ClaimsById;
  readonly typeState: Map<string, TypeCountsPartition>;
  /** By reportCellId. */
  readonly cellState: Map<string, ReportCellState>;
  /** Per rollup partition (period, scope, bucket) of this shard, its rows by rollupId. */
  readonly rollupState: Map<string, Map<string, ReportRollupState>>;
  readonly boardState: Map<string, BoardValues>;
  /** A row read was written past what this writer knows: by another writer. */
  readonly foreign: boolean;
}

const { Tuple } = cassandra.types;
const EMPTY_PARTITION: TypeCountsPartition = { fence: 0, types: new Map() };
const NO_CELL: ReportCellState = { events: 0, points: 0, fence: 0 };
/**
 * Passed board values per delete: a user who moves through hundreds of values in one batch (each
 * of its events a value) deletes them in a few statements, each well under the batch size warning.
 */
const VALUES_PER_DELETE = 100;
/** Cell keys per IN list when reading back the report cells of a batch. */
const CELLS_PER_READ = 100;

/**
 * The single writer of one log partition's rows (docs/cassandra.md, "Log-first ingest").
 *
 * One apply: read the claims of the batch's ids and, at the same time, the stored state of every
 * row the records touch (from the cache, else one read per partition); decide each record; plan the new
 * values under the fences; then write in two steps. First the claims, log rows, report cells and
 * board moves; then the `type_counts` partitions, each whole in one batch. Board moves are
 * derived from `type_counts`, so they must be in place before the counts they derive from: a
 * crash between the steps leaves counts unwritten, and the replay recomputes the same moves.
 * Last, the partition's progress row. Every write is fenced, so a crash at any point is repaired
 * by applying the same records again.
 *
 * `board_values` counts users across many `type_counts` partitions, so the writer must plan from
 * one consistent view of both (docs/cassandra.md, "One view of the log"): it reads `type_counts`
 * before `board_values` (every writer writes them the other way round), and when a row it reads
 * shows a fence above the last one it knows, another writer (a newer owner, or a zombie that got
 * further) has written since its cache was filled, so it forgets the cache and reads everything
 * again instead of mixing the two.
 */
export class CassandraShardWriter implements ShardWriter {
  private readonly typeCounts: Lru<string, TypeCountsPartition>;
  private readonly cells: Lru<string, ReportCellState>;
  private readonly rollups: Lru<string, Map<string, ReportRollupState>>;
  private readonly boardValues: Lru<string, BoardValues>;
  /** The highest fence this writer has written or read: rows above it were written by another. */
  private known = 0;

  constructor(
    private readonly ctx: LogFedContext,
    readonly shard: number,
    private readonly epoch: number,
    private readonly settings: {
      readonly cacheSize: number;
      readonly afterWriteStep: AfterWriteStep | null;
      /** A user's events per day kept in events_by_user_day (cql/008). */
      readonly daySplitEvents: number;
    },
  ) {
    this.typeCounts = new Lru(settings.cacheSize);
    this.cells = new Lru(settings.cacheSize);
    this.rollups = new Lru(settings.cacheSize);
    this.boardValues = new Lru(settings.cacheSize);
  }

  async apply(
    records: readonly LogRecord[],
    visible?: (applied: ShardApplied) => void,
  ): Promise<ShardApplied> {
    const last = records[records.length - 1];
    if (last === undefined) return { outcomes: [], changes: [] };
    // The fences count a record once only if records come in strictly increasing offsets.
    for (let i = 1; i < records.length; i++) {
      if (records[i]!.offset <= records[i - 1]!.offset) {
        throw new Error(
          `shard ${this.shard}: records out of offset order (${records[i - 1]!.offset}, ${records[i]!.offset})`,
        );
      }
    }
    let state = await this.load(records);
    if (state.foreign && state.cached) {
      // Cached rows are as this writer left them, read rows as another writer did: never plan
      // from both. Read everything again (none of it cached now, so all of it in order).
      this.forget();
      state = await this.load(records);
    }
    this.known = Math.max(this.known, state.highest);
    const { claims, typeState, cellState, rollupState, boardState } = state;
    const decision = decideClaims(this.shard, records, claims);
    const stored = {
      typeCounts: (key: PeriodKey) => typeState.get(periodKeyId(key)) ?? EMPTY_PARTITION,
      reportCell: (key: ReportCellKey) => cellState.get(reportCellId(key)) ?? null,
      reportRollup: (key: ReportRollupKey) =>
        rollupState.get(rollupPartitionId(key))?.get(rollupId(key)) ?? null,
    };
    const plan = planAggregates(decision.counted, this.epoch, stored, this.settings.daySplitEvents);
    let boardWrites: BoardValuesWrite[];
    let applied: ShardApplied;
    try {
      boardWrites = planBoardValues(
        plan.boardSteps,
        (key) => boardState.get(boardKeyId(key)) ?? NO_BOARD_VALUES,
      );
    } catch (error) {
      // An impossible count means the view was not consistent: the retry reads it all again.
      this.forget();
      throw error;
    }
    try {
      const statements = applyStatements(
        this.ctx.sql,
        this.shard,
        this.epoch,
        decision.claiming,
        plan,
        boardWrites,
      );
      // board_values go with the board moves, before the counts they derive from.
      await this.write([...statements.first, ...statements.boardValues]);
      await this.settings.afterWriteStep?.(this.shard, "log-cells-boards");
      await this.write(statements.counts, true);
      // Every row a reader sees is written: the outcomes may be announced now. The progress row
      // below only tells pollers (applied-waiter.ts) how far the partition is applied, so it must
      // not come before the counts, but nothing needs to wait for it before hearing the outcomes.
      applied = { outcomes: decision.outcomes, changes: plan.typeCounts.map(tallyChange) };
      visible?.(applied);
      await this.settings.afterWriteStep?.(this.shard, "type-counts");
      const fence = fenceOf(last.offset, this.epoch);
      await this.ctx.client.execute(this.ctx.sql.progressWrite, [this.shard, last.offset, fence, fence], {
        prepare: true,
        isIdempotent: true,
      });
      await this.settings.afterWriteStep?.(this.shard, "progress");
    } catch (error) {
      // What was written is fenced; what the cache would say about it is not known any more.
      for (const write of plan.typeCounts) this.typeCounts.delete(periodKeyId(write));
      for (const cell of plan.reportCells) this.cells.delete(reportCellId(cell));
      for (const rollup of plan.reportRollups) this.rollups.delete(rollupPartitionId(rollup));
      for (const write of boardWrites) this.boardValues.delete(boardKeyId(write));
      throw error;
    }
    this.known = Math.max(this.known, fenceOf(last.offset, this.epoch));
    this.remember(plan, typeState, cellState, rollupState);
    for (const [id, board] of boardState) this.boardValues.set(id, board);
    for (const write of boardWrites) this.boardValues.set(boardKeyId(write), write.after);
    return applied;
  }

  /**
   * The claims of the batch's ids and the stored state of every row its records touch, from the
   * cache or read. The claims, counts and cells are read at once (one round trip instead of
   * three, at the cost of reading rows for the few records that turn out to be duplicates), the
   * board values after the counts: a writer writes board values before the counts they derive
   * from, so values read after counts include every move those counts imply.
   */
  private async load(records: readonly LogRecord[]): Promise<LoadedState> {
    const seen = { highest: 0, cached: false };
    const [claims, typeState, cellState, rollupState] = await Promise.all([
      readClaims(this.ctx, records),
      this.loadTypeCounts(records, seen),
      this.loadCells(records, seen),
      this.loadRollups(records, seen),
    ]);
    const boardState = await this.loadBoardValues(records, seen);
    return {
      claims,
      typeState,
      cellState,
      rollupState,
      boardState,
      ...seen,
      foreign: seen.highest > this.known,
    };
  }

  /** Drops every cached row: after this, the writer reads what it needs again. */
  private forget(): void {
    this.typeCounts.clear();
    this.cells.clear();
    this.rollups.clear();
    this.boardValues.clear();
  }

  /** The stored `type_counts` partitions of the records' periods: cached, else read. */
  private async loadTypeCounts(
    records: readonly LogRecord[],
    seen: Seen,
  ): Promise<Map<string, TypeCountsPartition>> {
    const state = new Map<string, TypeCountsPartition>();
    const missing = cachedOrMissing(records.flatMap(periodKeysOf), periodKeyId, this.typeCounts, state);
    if (state.size > 0) seen.cached = true;
    const byUser = new Map<string, PeriodKey[]>();
    for (const key of missing.values()) {
      const keys = byUser.get(key.userId);
      if (keys) keys.push(key);
      else byUser.set(key.userId, [key]);
    }
    await mapConcurrent([...byUser.values()], this.ctx.concurrency, async (keys) => {
      for (const [id, partition] of await readUserTypeCounts(this.ctx, keys)) {
        seen.highest = Math.max(seen.highest, partition.fence);
        state.set(id, partition);
      }
    });
    return state;
  }

  /**
   * The stored report cells the records touch, by reportCellId: cached, else read by key from their
   * buckets (cql/009), so a heavy user's day costs the cells of the batch, not all of its cells. A
   * cell not stored is kept as empty: as its only writer, this writer knows it is.
   */
  private async loadCells(records: readonly LogRecord[], seen: Seen): Promise<Map<string, ReportCellState>> {
    const state = new Map<string, ReportCellState>();
    const keys = records.flatMap(({ event }) => reportCellKeys(event));
    const missing = cachedOrMissing(keys, reportCellId, this.cells, state);
    if (state.size > 0) seen.cached = true;
    const reads = cellReads(missing.values());
    await mapConcurrent(reads, this.ctx.concurrency, async ({ day, scope, bucket, cells }) => {
      for (const cell of cells) state.set(reportCellId(cell), NO_CELL);
      const tuples = cells.map((cell) => new Tuple(cell.userId, cell.type, cell.category, cell.group));
      const result = await this.ctx.client.execute(
        this.ctx.sql.cellsByKey,
        [day, scope, this.shard, bucket, tuples],
        { prepare: true, isIdempotent: true, fetchSize: 5000 },
      );
      for await (const row of result) {
        const { events, points, fence, ...cell } = storedCellOf(day, row);
        seen.highest = Math.max(seen.highest, fence);
        state.set(reportCellId({ ...cell, scope }), { events, points, fence });
      }
    });
    return state;
  }

  /**
   * The rollup partitions (day or month, scope, bucket: cql/011) of this shard that the records
   * touch, whole, with their sets of users: cached, else read, one request per (day or month,
   * scope) for all its missing buckets (bucket IN ?). A partition not stored is kept as empty: as
   * its only writer, this writer knows it is.
   */
  private async loadRollups(
    records: readonly LogRecord[],
    seen: Seen,
  ): Promise<Map<string, Map<string, ReportRollupState>>> {
    const state = new Map<string, Map<string, ReportRollupState>>();
    const keys = records.flatMap(({ event }) => reportCellKeys(event).flatMap(rollupKeysOf));
    const missing = cachedOrMissing(keys, rollupPartitionId, this.rollups, state);
    if (state.size > 0) seen.cached = true;
    const byPeriod = new Map<string, { day: string; scope: ReportScope; buckets: number[] }>();
    for (const { day, scope, bucket } of missing.values()) {
      const id = `${day}\u0000${scope}`;
      let read = byPeriod.get(id);
      if (!read) byPeriod.set(id, (read = { day, scope, buckets: [] }));
      read.buckets.push(bucket);
    }
    await mapConcurrent([...byPeriod.values()], this.ctx.concurrency, async ({ day, scope, buckets }) => {
      const partitions = new Map(
        buckets.map((bucket) => [bucket, new Map<string, ReportRollupState>()] as const),
      );
      const result = await this.ctx.client.execute(
        this.ctx.sql.rollupsOfPeriodBuckets,
        [day, scope, this.shard, buckets],
        { prepare: true, isIdempotent: true, fetchSize: 5000 },
      );
      for await (const row of result) {
        const bucket = toNumber(row["bucket"]);
        const key = { day, scope, bucket, type: toText(row["type"]), group: toText(row["group_name"]) };
        const fence = toNumber(row["fence"]);
        seen.highest = Math.max(seen.highest, fence);
        partitions.get(bucket)?.set(rollupId(key), {
          events: toNumber(row["events"]),
          points: toNumber(row["points"]),
          fence,
          users: new Set((row["users"] as string[] | null) ?? []),
        });
      }
      for (const [bucket, rows] of partitions) state.set(rollupPartitionId({ day, scope, bucket }), rows);
    });
    return state;
  }

  /** The board_values partitions of this shard that the records' ranked events touch: cached, else read. */
  private loadBoardValues(records: readonly LogRecord[], seen: Seen): Promise<Map<string, BoardValues>> {
    const keys = records.flatMap(({ event }): BoardKey[] =>
      event.ranked
        ? periodsContaining(event.occurredAt).flatMap(({ window, bucket }) =>
            [event.type, POINTS_METRIC, ...scopeMetricsOf(event)].map((metric) => ({
              window,
              bucket,
              metric,
            })),
          )
        : [],
    );
    return this.cachedOrRead(keys, boardKeyId, this.boardValues, seen, async (key) => {
      const result = await this.ctx.client.execute(
        this.ctx.sql.boardValuesOf,
        [key.window, key.bucket, key.metric, this.shard],
        { prepare: true, isIdempotent: true },
      );
      const row = result.first();
      const fence = row === null ? 0 : toNumber(row["fence"]);
      const users = new Map(
        decodeHistogram(row?.["histogram"] as Buffer | null).map((bin) => [bin.value, bin.users]),
      );
      return { fence, users, top: storedTop(row?.["top"] as Buffer | null, users.size) };
    });
  }

  /**
   * The stored state of `keys`, one entry per id: from the cache, else read (concurrently).
   * Notes in `seen` whether the cache served any, and the highest fence read.
   */
  private async cachedOrRead<K, V extends { readonly fence: number }>(
    keys: readonly K[],
    idOf: (key: K) => string,
    cache: Lru<string, V>,
    seen: Seen,
    read: (key: K) => Promise<V>,
  ): Promise<Map<string, V>> {
    const state = new Map<string, V>();
    const missing = cachedOrMissing(keys, idOf, cache, state);
    if (state.size > 0) seen.cached = true;
    await mapConcurrent([...missing], this.ctx.concurrency, async ([id, key]) => {
      const value = await read(key);
      seen.highest = Math.max(seen.highest, value.fence);
      state.set(id, value);
    });
    return state;
  }

  /** Unlogged batches packed by replicas; `whole` keeps each partition in one batch (atomic). */
  private async write(statements: readonly KeyedStatement[], whole = false): Promise<void> {
    const { client, keyspace, concurrency } = this.ctx;
    const batches = packByReplicas(statements, replicaLookup(client, keyspace), whole);
    await mapConcurrent(batches, concurrency, (batch: Statement[]) => {
      const [only] = batch;
      if (batch.length === 1 && only)
        return client.execute(only.query, only.params, { prepare: true, isIdempotent: true });
      return client.batch(batch, { prepare: true, logged: false, isIdempotent: true });
    });
  }

  private remember(
    plan: AggregatePlan,
    typeState: Map<string, TypeCountsPartition>,
    cellState: Map<string, ReportCellState>,
    rollupState: Map<string, Map<string, ReportRollupState>>,
  ): void {
    for (const [id, partition] of typeState) this.typeCounts.set(id, partition);
    for (const write of plan.typeCounts) this.typeCounts.set(periodKeyId(write), write.after);
    for (const [id, cell] of cellState) this.cells.set(id, cell);
    for (const cell of plan.reportCells) {
      this.cells.set(reportCellId(cell), { events: cell.events, points: cell.points, fence: cell.fence });
    }
    for (const rollup of plan.reportRollups) {
      const { events, points, fence, users } = rollup;
      rollupState.get(rollupPartitionId(rollup))?.set(rollupId(rollup), { events, points, fence, users });
    }
    for (const [id, rows] of rollupState) this.rollups.set(id, rows);
  }
}

/**
 * Every statement one apply writes, in its two ordered steps (see CassandraShardWriter). Pure, so
 * that bench/hot-partitions.ts counts exactly what the store issues.
 */
export function applyStatements(
  sql: ShardCql,
  shard: number,
  epoch: number,
  claiming: readonly LogRecord[],
  plan: AggregatePlan,
  boardWrites: readonly BoardValuesWrite[],
): { first: KeyedStatement[]; boardValues: KeyedStatement[]; counts: KeyedStatement[] } {
  return {
    first: [
      ...claimStatements(sql, shard, epoch, claiming, plan.logRows),
      ...cellStatements(sql, shard, plan),
      ...rollupStatements(sql, shard, plan),
      ...boardStatements(sql, shard, plan),
    ],
    boardValues: boardValueStatements(sql, shard, boardWrites),
    counts: typeCountStatements(sql, plan),
  };
}

function claimStatements(
  sql: ShardCql,
  shard: number,
  epoch: number,
  records: readonly LogRecord[],
  logRows: readonly PlacedRecord[],
): KeyedStatement[] {
  const claims = records.map(({ offset, event }) => ({
    query: sql.insertClaim,
    params: [event.id, event.userId, event.fingerprint, shard, offset, fenceOf(offset, epoch)],
    partition: [event.id],
  }));
  // One days_by_user row per (user, day) of the batch, with the fence of its last record and the
  // quarters its rows went to: the same row Cassandra would keep of one write per record.
  const days = new Map<string, { userId: string; day: string; fence: number; quarters: Set<number> }>();
  const rows = logRows.map(({ record: { offset, event }, quarter }) => {
    const fence = fenceOf(offset, epoch);
    const day = dayOf(event.occurredAt);
    const id = `${event.userId}\u0000${day}`;
    const entry = days.get(id) ?? { userId: event.userId, day, fence, quarters: new Set<number>() };
    entry.fence = fence;
    if (quarter !== null) entry.quarters.add(quarter);
    days.set(id, entry);
    const columns = [
      event.occurredAt,
      event.id,
      event.type,
      event.repo,
      event.category,
      [...event.groups],
      event.payload,
      event.points,
      event.ranked,
      event.fingerprint,
      shard,
      offset,
      fence,
    ];
    return quarter === null
      ? { query: sql.insertEvent, params: [event.userId, day, ...columns], partition: [event.userId, day] }
      : {
          query: sql.insertQuarterEvent,
          params: [event.userId, day, quarter, ...columns],
          partition: [event.userId, day, quarter],
        };
  });
  const dayRows = [...days.values()].map(({ userId, day, fence, quarters }) =>
    quarters.size === 0
      ? { query: sql.insertDay, params: [userId, day, fence], partition: [userId] }
      : { query: sql.addDayQuarters, params: [fence, [...quarters], userId, day], partition: [userId] },
  );
  return [...claims, ...rows, ...dayRows];
}

function rollupStatements(sql: ShardCql, shard: number, plan: AggregatePlan): KeyedStatement[] {
  return plan.reportRollups.map((rollup) => {
    const partition = [rollup.day, rollup.scope, shard, rollup.bucket];
    return {
      query: sql.insertRollup,
      params: [
        rollup.fence,
        rollup.events,
        rollup.points,
        rollup.fence,
        [...rollup.addedUsers],
        rollup.usersCount,
        ...partition,
        rollup.type,
        rollup.group,
      ],
      partition,
    };
  });
}

function cellStatements(sql: ShardCql, shard: number, plan: AggregatePlan): KeyedStatement[] {
  return plan.reportCells.map((cell) => {
    const bucket = cellBucketOf(cell);
    return {
      query: sql.insertCell,
      params: [
        cell.day,
        cell.scope,
        shard,
        bucket,
        cell.userId,
        cell.type,
        cell.category,
        cell.group,
        cell.events,
        cell.points,
        cell.fence,
        cell.fence,
      ],
      partition: [cell.day, cell.scope, shard, bucket],
    };
  });
}

/** The reads of missing cells: per bucket partition, in IN lists of CELLS_PER_READ keys. */
function cellReads(
  cells: Iterable<ReportCellKey>,
): { day: string; scope: ReportScope; bucket: number; cells: ReportCellKey[] }[] {
  const byPartition = new Map<
    string,
    { day: string; scope: ReportScope; bucket: number; cells: ReportCellKey[] }
  >();
  for (const cell of cells) {
    const bucket = cellBucketOf(cell);
    const id = `${cell.day}\u0000${cell.scope}\u0000${bucket}`;
    let read = byPartition.get(id);
    if (!read) byPartition.set(id, (read = { day: cell.day, scope: cell.scope, bucket, cells: [] }));
    read.cells.push(cell);
  }
  return [...byPartition.values()].flatMap((read) => {
    const chunks = [];
    for (let i = 0; i < read.cells.length; i += CELLS_PER_READ)
      chunks.push({ ...read, cells: read.cells.slice(i, i + CELLS_PER_READ) });
    return chunks;
  });
}

function boardStatements(sql: ShardCql, shard: number, plan: AggregatePlan): KeyedStatement[] {
  return plan.boardMoves.flatMap((move) => {
    const partition = [move.window, move.bucket, move.metric, shard];
    const deletes: KeyedStatement[] = [];
    for (let i = 0; i < move.deletes.length; i += VALUES_PER_DELETE) {
      const values = move.deletes.slice(i, i + VALUES_PER_DELETE);
      deletes.push({
        query: sql.boardDelete,
        params: [move.fence, ...partition, values, move.userId],
        partition,
      });
    }
    return [
      ...deletes,
      { query: sql.boardInsert, params: [...partition, move.insert, move.userId, move.fence], partition },
    ];
  });
}

function typeCountStatements(sql: ShardCql, plan: AggregatePlan): KeyedStatement[] {
  return plan.typeCounts.flatMap((write) =>
    [...write.changed].map(([type, counts]) => ({
      query: sql.insertTypeCounts,
      params: [
        write.userId,
        write.window,
        write.bucket,
        type,
        counts.events,
        counts.points,
        counts.rankedEvents,
        counts.rankedPoints,
        write.fence,
        write.fence,
      ],
      partition: [write.userId, write.window, write.bucket],
    })),
  );
}

/** Puts the cached state of `keys` into `state`; returns the others (to read), by id. */
function cachedOrMissing<K, V>(
  keys: readonly K[],
  idOf: (key: K) => string,
  cache: Lru<string, V>,
  state: Map<string, V>,
): Map<string, K> {
  const missing = new Map<string, K>();
  for (const key of keys) {
    const id = idOf(key);
    if (state.has(id) || missing.has(id)) continue;
    const cached = cache.get(id);
    if (cached) state.set(id, cached);
    else missing.set(id, key);
  }
  return missing;
}

function periodKeysOf(record: LogRecord): PeriodKey[] {
  return periodsContaining(record.event.occurredAt).map(({ window, bucket }) => ({
    userId: record.event.userId,
    window,
    bucket,
  }));
}

/** The user's totals in the period after the write: the partition it leaves, as tallies() reads it. */
function tallyChange(write: TypeCountsWrite): TallyChange {
  return {
    period: { window: write.window, bucket: write.bucket },
    tally: tallyOfPartition(write.userId, write.after.types),
  };
}

/** A stored top cell: an empty shard's is empty; a missing one on a shard with users is not known. */
function storedTop(cell: Buffer | null | undefined, values: number): BoardTop {
  if (values === 0) return [];
  const top = cell === null || cell === undefined ? [] : decodeTop(cell);
  return top.length > 0 ? top : null;
}
