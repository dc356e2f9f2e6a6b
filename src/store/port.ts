/**
 * The store port: everything the services need from persistence, and nothing more.
 *
 * Two adapters implement it side by side: `sqlite/` (embedded, zero setup) and `cassandra/`
 * (production). Both pass the one contract suite in test/contract/. The shape follows what
 * Cassandra can answer with single-partition reads: an event log partitioned by (user, day),
 * aggregates kept per time bucket at write time, and leaderboards kept sorted at write time.
 */
import type { EventPosition, RankPosition } from "../domain/cursor.js";
import type { ScoredEvent } from "../domain/event.js";
import type { Period } from "../domain/time.js";
import type { BoardScope } from "./aggregates.js";

/**
 * An event as the store holds it: scored, fingerprinted, and marked as ranked or not. The one
 * shape for both ways, so what append() is given is exactly what history() gives back.
 */
export interface StoredEvent extends ScoredEvent {
  /** False for events left out of leaderboards (bots). */
  readonly ranked: boolean;
}

/** What happened to one event of an append, in input order. */
export type AppendOutcome =
  /** Newly stored and counted. */
  | "inserted"
  /** Already stored with the same content: nothing changed. */
  | "duplicate"
  /** Already stored with different content: the first write wins, nothing changed. */
  | "conflict";

export interface HistoryQuery {
  readonly userId: string;
  /** Inclusive. */
  readonly from: Date;
  /** Exclusive. */
  readonly to: Date;
  /** Only these types; null for all. */
  readonly types: readonly string[] | null;
  readonly limit: number;
  /** Resume strictly after this position (newest-first order). */
  readonly after: EventPosition | null;
}

export interface TypeTally {
  readonly type: string;
  readonly count: number;
  readonly points: number;
}

/** A user's totals in one period. Users without events in the period have zeros and no types. */
export interface UserTally {
  readonly userId: string;
  readonly count: number;
  readonly points: number;
  /** Sorted by type name. */
  readonly byType: readonly TypeTally[];
}

export interface LeaderboardQuery {
  readonly period: Period;
  /** Rank by the count of this type; null ranks by points. */
  readonly type: string | null;
  /** Only one group's or category's events, ranked by points (type must be null); null or absent: all. */
  readonly scope?: BoardScope | null;
  readonly limit: number;
  /** Resume strictly after this position. */
  readonly after: RankPosition | null;
}

/**
 * One row of a leaderboard. Order: value descending, then userId ascending (code-unit order).
 * Rank is competition ranking: 1 + the number of users with a strictly greater value, so tied
 * users share a rank and the next rank skips (1, 2, 2, 4).
 */
export interface Standing {
  readonly userId: string;
  readonly value: number;
  readonly rank: number;
}

/** Places on one board, and its size: what ranks, percentiles and "n of N" need. */
export interface BoardStandings {
  /** Users on the board: every user with a ranked event in the period (by the type, if any). */
  readonly total: number;
  readonly standings: readonly (Standing | null)[];
}

/**
 * Report cells of one day: per (type, category, group, user), events and points. A cell's
 * `scope` says how groups are counted: "all" cells count each event once with group null;
 * "group" cells count an event once in each of its groups (group null when it has none).
 * Reports sum cells, so they are exact and can count distinct users.
 */
export type ReportScope = "all" | "group";

export interface ReportCell {
  readonly day: string;
  readonly type: string;
  readonly category: string | null;
  readonly group: string | null;
  readonly userId: string;
  readonly events: number;
  readonly points: number;
}

/**
 * The exact set of a rollup's users: numbers of a dictionary of the store's own, valid across the
 * days of one store (user-set.ts, encodeUserSet(); SQLite), or the users' ids (Cassandra, whose
 * shards hold disjoint users and no shared dictionary).
 */
export type RollupUsers =
  | { readonly numbers: Uint8Array }
  | { readonly ids: readonly string[] }
  /** Only when asked for counts (RollupUsersRead): the row's distinct users, disjoint from every other row's. */
  | { readonly count: number };

/**
 * What a report does with the users of the rollups it reads: "join" their sets (rows of several
 * days, types or groups make one report row), or "count" them, when each report row sums rows of
 * one (day or month, type, group) only: a store whose rows of one such key hold disjoint users
 * (Cassandra: one per shard) may then answer with the counts alone. "count" is a hint; a set is
 * always a correct answer.
 */
export type RollupUsersRead = "join" | "count";

/**
 * The cells of one day summed over categories and users: events, points and the exact set of
 * users, per type and group. What reports read when they need neither categories nor users.
 */
export interface ReportRollup {
  /** The day (YYYY-MM-DD), or the month (YYYY-MM) of a row of reportMonthRollups. */
  readonly day: string;
  readonly type: string;
  readonly group: string | null;
  readonly events: number;
  readonly points: number;
  readonly users: RollupUsers;
}

/** Reads of the report aggregates, kept at write time by append() like every other aggregate. */
export interface ReportSource {
  /** All cells of one UTC day (YYYY-MM-DD) in the given scope, in no particular order. */
  reportCells(day: string, scope: ReportScope): Promise<ReportCell[]>;
  /**
   * The rollups of some UTC days in the given scope, in no particular order, several rows of one
   * day, type and group allowed (a store may keep one per shard). Asked for a few days at once so
   * that a store can read them together (Cassandra keeps a month per partition). Optional: a
   * store without them has its reports summed from the cells.
   */
  reportRollups?(
    days: readonly string[],
    scope: ReportScope,
    users?: RollupUsersRead,
  ): Promise<ReportRollup[]>;
  /**
   * The rollups of whole UTC months (YYYY-MM) in the given scope: what reportRollups of every day of
   * the months would answer, summed per month where the store keeps month rows (then `day` is the
   * month; else the days' rows). Optional: a store without it has reports read the days.
   */
  reportMonthRollups?(
    months: readonly string[],
    scope: ReportScope,
    users?: RollupUsersRead,
  ): Promise<ReportRollup[]>;
}

/** What every store does besides reading and writing events. */
export interface StoreLifecycle {
  /** "sqlite" or "cassandra": for logs, health and metrics. */
  readonly kind: string;

  /** Applies pending schema migrations. Safe to call on every start and from several processes. */
  migrate(): Promise<void>;

  /** Throws when the store cannot serve requests. */
  ping(): Promise<void>;

  close(): Promise<void>;
}

/** The read side, the same on every store and whichever path wrote the events. */
export interface EventReader extends ReportSource {
  /** A user's events in [from, to), newest first (occurredAt desc, id desc). */
  history(query: HistoryQuery): Promise<StoredEvent[]>;

  /** The same page for each of many users (one call for the rows of a leaderboard), in their order. */
  histories(userIds: readonly string[], query: Omit<HistoryQuery, "userId">): Promise<StoredEvent[][]>;

  /** Totals for each user in the period, in the order of `userIds`. */
  tallies(userIds: readonly string[], period: Period): Promise<UserTally[]>;

  /** Top users of a period by points, or by the count of one type. Unranked events do not count. */
  leaderboard(query: LeaderboardQuery): Promise<Standing[]>;

  /**
   * Users' places on one leaderboard, in the order of `userIds` (null for a user without a ranked
   * event in the period), and the number of users on the board. Costs at most the board's
   * distinct values, whatever the ranks.
   */
  standings(
    userIds: readonly string[],
    period: Period,
    type: string | null,
    scope?: BoardScope | null,
  ): Promise<BoardStandings>;

  /**
   * The `limit` rows just above `before` on a board, in board order, ranked: with leaderboard(),
   * the page around a user.
   */
  leaderboardBefore(
    query: Omit<LeaderboardQuery, "after"> & { readonly before: RankPosition },
  ): Promise<Standing[]>;
}

/** A store that is written directly by ingest: the embedded path, one transaction per append. */
export interface EventStore extends StoreLifecycle, EventReader {
  /**
   * Stores events and updates every aggregate, idempotently by event id. When the returned
   * promise resolves, every "inserted" event is durable. Events of one call may belong to many
   * users and days; an id repeated inside one call is stored once (later copies are duplicates
   * or conflicts of the first).
   */
  append(events: readonly StoredEvent[]): Promise<AppendOutcome[]>;

  /** The same as `append`, also returning the new totals of every (user, period) it changed. */
  appendWithChanges(events: readonly StoredEvent[]): Promise<AppendResult>;

  /**
   * Repair path: recomputes every aggregate and leaderboard from the event log, using the
   * points stored with each event. Returns the number of events read.
   */
  rebuildAggregates(): Promise<number>;
}

/** One record of a log partition, as its aggregator applies it. */
export interface LogRecord {
  /** The record's offset in its log partition: increases with every record. */
  readonly offset: number;
  readonly event: StoredEvent;
}

/** The new totals of one user in one period after an apply: what live score pushes show. */
export interface TallyChange {
  readonly period: Period;
  readonly tally: UserTally;
}

/** What one write did: each event's outcome, and what live updates need to know about it. */
export interface AppendResult {
  /** One per event (record), in input order. */
  readonly outcomes: AppendOutcome[];
  /** Every (user, period) whose totals the write changed, with the totals after it. */
  readonly changes: TallyChange[];
}

export type ShardApplied = AppendResult;

/**
 * The only writer of the rows of one log partition (docs/cassandra.md, "Log-first ingest").
 * `apply` may be given records it (or an earlier owner, or a zombie) already applied, in whole
 * or in part: every row is fenced by the offsets it holds, so nothing is counted twice.
 */
export interface ShardWriter {
  readonly shard: number;
  /**
   * Applies records of this log partition, in offset order. `visible`, when given, is called once
   * with the outcomes as soon as every row that readers see is written (the claims, the history,
   * the counts, boards and report cells), before the writer's own bookkeeping (its progress row),
   * so that `wait: APPLIED` need not wait for a round trip that no reader depends on. The promise
   * still resolves only after everything is written; if it rejects after `visible` was called,
   * the records are applied again, which the fences make harmless, with the same outcomes.
   */
  apply(records: readonly LogRecord[], visible?: (applied: ShardApplied) => void): Promise<ShardApplied>;
}

/** A store fed by the event log: aggregators own its rows, one writer per log partition. */
export interface LogFedStore extends StoreLifecycle, EventReader {
  /**
   * Takes over the rows of one log partition, after the log assigned it to this process.
   * `shardCount` is the log's partition count, fixed for the life of the store.
   */
  openShard(shard: number, shardCount: number): Promise<ShardWriter>;

  /** The last applied offset of each log partition that has applied anything. */
  appliedOffsets(): Promise<Map<number, number>>;

  /**
   * The outcomes of records that are already applied (their offsets at most the applied offset
   * of their partition), read back from the idempotency claims.
   */
  outcomesOf(records: readonly (LogRecord & { readonly shard: number })[]): Promise<AppendOutcome[]>;
}
