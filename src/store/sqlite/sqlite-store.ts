import { compareUtf8 } from "../../domain/utf8-order.js";
import Database from "better-sqlite3";
import type { Database as SqliteDatabase, Statement } from "better-sqlite3";
import type { RankPosition } from "../../domain/cursor.js";
import { dayOf, type Period } from "../../domain/time.js";
import {
  aggregateDeltas,
  boardKeyOf,
  type AggregateDeltas,
  type BoardKey,
  type BoardScope,
} from "../aggregates.js";
import { placesOf, rankOf, rankPage, startingInside, type RankCounter } from "../ranking.js";
import { reportCellOf } from "../report-cells.js";
import { tallyOf, type TypeCountRow } from "../tallies.js";
import type {
  AppendOutcome,
  AppendResult,
  BoardStandings,
  EventStore,
  HistoryQuery,
  LeaderboardQuery,
  ReportCell,
  ReportRollup,
  ReportScope,
  ReportSource,
  RollupUsersRead,
  Standing,
  StoredEvent,
  TallyChange,
  UserTally,
} from "../port.js";
import { SQLITE_MIGRATIONS } from "./migrations.js";
import { BoardHistograms, histogramOf, type BoardHistogram } from "./board-histograms.js";
import { SqliteRollups } from "./rollups.js";
import { readTieThenBeyond, SqliteStatements } from "./statements.js";
import { sqliteCall } from "./errors.js";
import { WriterThread } from "./writer.js";

export interface SqliteStoreOptions {
  /** File path, or ":memory:". */
  readonly path: string;
  /**
   * FULL fsyncs every commit, so acknowledged events survive power loss; NORMAL survives a
   * process crash (kill -9) but may lose the last commits on power loss. Group commit keeps
   * FULL affordable.
   */
  readonly synchronous?: "FULL" | "NORMAL";
  /**
   * "thread": appends run in a worker thread on a connection of their own (writer.ts), so that a
   * transaction and its fsync do not hold this thread's event loop; the server uses it for a file.
   * "inline" (the default, and always for ":memory:", which one connection alone can see): here.
   */
  readonly writer?: "inline" | "thread";
  /**
   * SQLite's page cache, per connection (default 64 MiB; SQLite's own default is 2 MiB, which on
   * a file of hundreds of MiB sends most reads of the boards' and histories' upper B-tree pages
   * to the OS again and again).
   */
  readonly cacheMiB?: number;
  /**
   * Reads through a memory map of the file's first `mmapMiB` (default 256 MiB; 0: off): pages
   * come straight from the OS page cache without a copy per read. Writes still go through the WAL.
   */
  readonly mmapMiB?: number;
}

interface EventRow {
  user_id: string;
  day: string;
  occurred_at: number;
  event_id: string;
  type: string;
  repo: string | null;
  category: string | null;
  groups_json: string;
  payload: string | null;
  points: number;
  ranked: number;
  fingerprint: string;
}

/** Up to this many types, history reads each from the type index and merges. */
const TYPES_READ_APART = 8;

/** Up to this many users, standings() sums the values above each user in SQL. */
const FEW_USERS = 4;

/**
 * The embedded store: one SQLite file in WAL mode. better-sqlite3 is synchronous, so every
 * method runs to completion on the event loop; a whole append is one transaction.
 */
export class SqliteStore implements EventStore, ReportSource {
  readonly kind = "sqlite";
  private readonly db: SqliteDatabase;
  private statements: SqliteStatements | null = null;
  private readonly writer: WriterThread | null;
  private rollups: SqliteRollups | null = null;
  private histograms: BoardHistograms | null = null;

  constructor(options: SqliteStoreOptions) {
    this.writer =
      options.writer === "thread" && options.path !== ":memory:"
        ? new WriterThread({
            path: options.path,
            synchronous: options.synchronous ?? "FULL",
            ...(options.cacheMiB === undefined ? {} : { cacheMiB: options.cacheMiB }),
            ...(options.mmapMiB === undefined ? {} : { mmapMiB: options.mmapMiB }),
          })
        : null;
    this.db = new Database(options.path);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma(`synchronous = ${options.synchronous ?? "FULL"}`);
    this.db.pragma("busy_timeout = 5000");
    this.db.pragma("foreign_keys = OFF");
    // A negative cache_size is in KiB.
    this.db.pragma(`cache_size = -${Math.round((options.cacheMiB ?? 64) * 1024)}`);
    this.db.pragma(`mmap_size = ${Math.round((options.mmapMiB ?? 256) * 1024 * 1024)}`);
  }

  async migrate(): Promise<void> {
    this.db.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
    );
    const applied = new Set(
      this.db
        .prepare<[], { version: number }>("SELECT version FROM schema_migrations")
        .all()
        .map((row) => row.version),
    );
    for (const migration of SQLITE_MIGRATIONS) {
      if (applied.has(migration.version)) continue;
      this.db
        .transaction(() => {
          this.db.exec(migration.sql);
          migration.backfill?.(this.db);
          this.db
            .prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)")
            .run(migration.version, migration.name, new Date().toISOString());
        })
        .immediate();
    }
    this.statements = new SqliteStatements(this.db);
    this.rollups = new SqliteRollups(this.db);
    const statements = this.statements;
    this.histograms = new BoardHistograms(this.db, (key) => statements.boardValues.all(key));
    await this.writer?.start();
  }

  ping(): Promise<void> {
    return sqliteCall(() => void this.db.prepare("SELECT 1").get());
  }

  async close(): Promise<void> {
    await this.writer?.close();
    if (this.db.open) this.db.close();
  }

  async append(events: readonly StoredEvent[]): Promise<AppendOutcome[]> {
    return (await this.appendWithChanges(events)).outcomes;
  }

  /** In the thread when there is one, else on this connection; a busy or failing database is StoreUnavailableError. */
  appendWithChanges(events: readonly StoredEvent[]): Promise<AppendResult> {
    return sqliteCall(() => (this.writer ? this.writer.append(events) : this.appendHere(events)));
  }

  private appendHere(events: readonly StoredEvent[]): AppendResult {
    const s = this.ready();
    this.histograms!.changed();
    const run = this.db.transaction((): AppendResult => {
      const outcomes: AppendOutcome[] = [];
      const inserted: StoredEvent[] = [];
      for (const event of events) {
        const known = s.findFingerprint.get(event.id);
        if (known) {
          outcomes.push(known.fingerprint === event.fingerprint ? "duplicate" : "conflict");
          continue;
        }
        s.insertEventId.run(event.id, event.fingerprint);
        s.insertEvent.run(
          event.userId,
          dayOf(event.occurredAt),
          event.occurredAt.getTime(),
          event.id,
          event.type,
          event.repo,
          event.category,
          JSON.stringify(event.groups),
          event.payload,
          event.points,
          event.ranked ? 1 : 0,
          event.fingerprint,
        );
        inserted.push(event);
        outcomes.push("inserted");
      }
      const deltas = applyDeltas(s, this.rollups!, inserted);
      return { outcomes, changes: deltas === null ? [] : tallyChanges(s, deltas.typeCounts) };
    });
    return run.immediate();
  }

  history(query: HistoryQuery): Promise<StoredEvent[]> {
    return sqliteCall(() => this.readHistory(query));
  }

  histories(userIds: readonly string[], query: Omit<HistoryQuery, "userId">): Promise<StoredEvent[][]> {
    return sqliteCall(() => userIds.map((userId) => this.readHistory({ ...query, userId })));
  }

  private readHistory(query: HistoryQuery): StoredEvent[] {
    const s = this.ready();
    if (query.types !== null && query.types.length === 0) return [];
    // After a cursor, no later day can hold a row.
    const toDay = query.after === null ? dayOf(query.to) : minDay(dayOf(query.to), query.after.occurredAtMs);
    const params = {
      userId: query.userId,
      fromDay: dayOf(query.from),
      toDay,
      fromMs: query.from.getTime(),
      toMs: query.to.getTime(),
      afterMs: query.after?.occurredAtMs ?? null,
      afterId: query.after?.eventId ?? null,
      limit: query.limit,
    };
    if (query.types === null || query.types.length > TYPES_READ_APART) {
      const types = query.types === null ? null : JSON.stringify(query.types);
      return s.history.all({ ...params, types }).map(toStoredEvent);
    }
    // A few types: each from the type index, newest first, then merged; at most `limit` rows of
    // each are read, however many events of other types lie in between.
    const rows = query.types.flatMap((type) => s.historyOfType.all({ ...params, type }));
    return rows.sort(newestFirst).slice(0, query.limit).map(toStoredEvent);
  }

  tallies(userIds: readonly string[], period: Period): Promise<UserTally[]> {
    return sqliteCall(async () => {
      const s = this.ready();
      const rows = s.tallies.all({
        users: JSON.stringify(userIds),
        window: period.window,
        bucket: period.bucket,
      });
      const byUser = new Map<string, TypeCountRow[]>();
      for (const [userId, type, events, points] of rows) {
        const row = { type, events, points };
        const own = byUser.get(userId);
        if (own) own.push(row);
        else byUser.set(userId, [row]);
      }
      return userIds.map((userId) => tallyOf(userId, byUser.get(userId) ?? []));
    });
  }

  leaderboard(query: LeaderboardQuery): Promise<Standing[]> {
    return sqliteCall(async () => {
      const s = this.ready();
      const key = boardKeyOf(query.period, query.type, query.scope ?? null);
      const rows =
        query.after === null
          ? s.leaderboardTop.all({ ...key, limit: query.limit })
          : readTieThenBeyond(s.leaderboardPage, {
              ...key,
              afterValue: query.after.value,
              afterUser: query.after.userId,
              limit: query.limit,
            });
      return rankPage(
        rows.map((row) => ({ userId: row.user_id, value: row.value })),
        query.after,
        this.counter(key),
      );
    });
  }

  leaderboardBefore(
    query: Omit<LeaderboardQuery, "after"> & { readonly before: RankPosition },
  ): Promise<Standing[]> {
    return sqliteCall(async () => {
      const s = this.ready();
      const key = boardKeyOf(query.period, query.type, query.scope ?? null);
      const rows = readTieThenBeyond(s.leaderboardBefore, {
        ...key,
        beforeValue: query.before.value,
        beforeUser: query.before.userId,
        limit: query.limit,
      }).reverse();
      return rankPage(
        rows.map((row) => ({ userId: row.user_id, value: row.value })),
        startingInside(rows[0]?.value),
        this.counter(key),
      );
    });
  }

  private counter(key: BoardKey): RankCounter {
    const s = this.ready();
    const kept = (): BoardHistogram | null => this.histograms!.of(key);
    return {
      countAbove: async (value) => kept()?.usersAbove(value) ?? s.countAbove.get({ ...key, value })?.n ?? 0,
      countEqual: async (value) => kept()?.usersAt(value) ?? s.countEqual.get({ ...key, value })?.n ?? 0,
    };
  }

  standings(
    userIds: readonly string[],
    period: Period,
    type: string | null,
    scope: BoardScope | null = null,
  ): Promise<BoardStandings> {
    return sqliteCall(async () => {
      const s = this.ready();
      const key = boardKeyOf(period, type, scope);
      const values = userIds.map((userId) => s.leaderboardValue.get({ ...key, userId })?.value ?? null);
      // The board's histogram when it is kept (board-histograms.ts), or many users are asked for
      // (a page's users): each rank a binary search over its running sums. Else a few users: one
      // sum over the values above each.
      const kept = this.histograms!.of(key);
      const histogram = kept ?? (userIds.length > FEW_USERS ? histogramOf(s.boardValues.all(key)) : null);
      const ranks = histogram
        ? (value: number) => rankOf(histogram.usersAbove(value))
        : (value: number) => rankOf(s.countAbove.get({ ...key, value })?.n ?? 0);
      return {
        total: histogram?.total ?? s.boardSize.get(key)?.n ?? 0,
        standings: placesOf(userIds, values, ranks),
      };
    });
  }

  reportCells(day: string, scope: ReportScope): Promise<ReportCell[]> {
    return sqliteCall(async () => {
      return this.ready().reportCells.all(day, scope).map(reportCellOf);
    });
  }

  reportRollups(
    days: readonly string[],
    scope: ReportScope,
    users?: RollupUsersRead,
  ): Promise<ReportRollup[]> {
    return sqliteCall(async () => {
      this.ready();
      return days.flatMap((day) => this.rollups!.read(day, scope, users));
    });
  }

  rebuildAggregates(): Promise<number> {
    return sqliteCall(async () => {
      const s = this.ready();
      this.histograms!.changed();
      const rebuild = this.db.transaction((): number => {
        s.clearTypeCounts.run();
        s.clearLeaderboard.run();
        s.clearBoardValues.run();
        s.clearReportCells.run();
        this.rollups!.clear();
        let read = 0;
        let chunk: StoredEvent[] = [];
        for (const row of s.allEvents.iterate()) {
          chunk.push(toStoredEvent(row));
          read += 1;
          if (chunk.length === 5000) {
            applyDeltas(s, this.rollups!, chunk);
            chunk = [];
          }
        }
        applyDeltas(s, this.rollups!, chunk);
        return read;
      });
      return rebuild.immediate();
    });
  }

  private ready(): SqliteStatements {
    if (!this.statements) throw new Error("SqliteStore: call migrate() before use");
    return this.statements;
  }
}

function applyDeltas(
  s: SqliteStatements,
  rollups: SqliteRollups,
  events: readonly StoredEvent[],
): AggregateDeltas | null {
  if (events.length === 0) return null;
  const deltas = aggregateDeltas(events);
  rollups.apply(deltas.reportCells);
  for (const d of deltas.typeCounts)
    s.bumpTypeCount.run(d.userId, d.window, d.bucket, d.type, d.events, d.points);
  for (const d of deltas.leaderboard) s.bumpLeaderboard.run(d.window, d.bucket, d.metric, d.userId, d.value);
  for (const d of deltas.reportCells) {
    s.bumpReportCell.run(d.day, d.scope, d.type, d.category, d.group, d.userId, d.events, d.points);
  }
  return deltas;
}

/**
 * The totals after this transaction of every (user, period) it changed, read inside it: exactly
 * what live score pushes show, at one indexed read per pair.
 */
function tallyChanges(s: SqliteStatements, typeCounts: AggregateDeltas["typeCounts"]): TallyChange[] {
  const seen = new Set<string>();
  const changes: TallyChange[] = [];
  for (const { userId, window, bucket } of typeCounts) {
    const key = `${userId}\u0000${window}\u0000${bucket}`;
    if (seen.has(key)) continue;
    seen.add(key);
    changes.push({
      period: { window, bucket },
      tally: tallyOf(userId, s.periodTally.all(userId, window, bucket)),
    });
  }
  return changes;
}

/** The earlier of a day and the day of an instant. */
function minDay(day: string, ms: number): string {
  const other = dayOf(new Date(ms));
  return other < day ? other : day;
}

/** History order: occurred_at descending, then event id descending by UTF-8 bytes (SQLite's BINARY). */
function newestFirst(a: EventRow, b: EventRow): number {
  if (a.occurred_at !== b.occurred_at) return b.occurred_at - a.occurred_at;
  return compareUtf8(b.event_id, a.event_id);
}

function toStoredEvent(row: EventRow): StoredEvent {
  return {
    id: row.event_id,
    userId: row.user_id,
    type: row.type,
    occurredAt: new Date(row.occurred_at),
    repo: row.repo,
    category: row.category,
    groups: JSON.parse(row.groups_json) as string[],
    payload: row.payload,
    points: row.points,
    ranked: row.ranked === 1,
    fingerprint: row.fingerprint,
  };
}

export type { EventRow, Statement };
