import type { Database, Statement } from "better-sqlite3";
import type { BoardKey } from "../aggregates.js";
import type { StoredReportCell } from "../report-cells.js";
import type { EventRow } from "./sqlite-store.js";

interface BoardRow {
  user_id: string;
  value: number;
}

/**
 * Two ranges of a board's index read in turn: the rest of a tie, then the values beyond it.
 * Parameters: the board's key, the position's, and `limit`.
 */
export interface TieThenBeyond {
  readonly tie: Statement<[Record<string, unknown>], BoardRow>;
  readonly beyond: Statement<[Record<string, unknown>], BoardRow>;
}

/** Up to `limit` rows of the two ranges, the tie's first. */
export function readTieThenBeyond(
  ranges: TieThenBeyond,
  params: Record<string, unknown> & { limit: number },
): BoardRow[] {
  const rows = ranges.tie.all(params);
  if (rows.length < params.limit)
    rows.push(...ranges.beyond.all({ ...params, limit: params.limit - rows.length }));
  return rows;
}

interface TallyRow {
  user_id: string;
  type: string;
  events: number;
  points: number;
}

/**
 * A tally row as an array (user_id, type, events, points): a page of 100 users reads ~1,400 of
 * them, and better-sqlite3 builds arrays at about twice the rate it builds keyed objects.
 */
export type RawTallyRow = [userId: string, type: string, events: number, points: number];

/** The columns of a report cell, named as StoredReportCell names them (report-cells.ts). */
export const REPORT_CELL_COLUMNS =
  'day, type, category, group_name AS "group", user_id AS userId, events, points';

/** Every statement the SQLite store runs, prepared once after migrations. */
export class SqliteStatements {
  readonly findFingerprint: Statement<[string], { fingerprint: string }>;
  readonly insertEventId: Statement<[string, string]>;
  readonly insertEvent: Statement<unknown[]>;
  readonly bumpTypeCount: Statement<[string, string, string, string, number, number]>;
  readonly bumpLeaderboard: Statement<[string, string, string, string, number]>;
  readonly history: Statement<[Record<string, unknown>], EventRow>;
  readonly historyOfType: Statement<[Record<string, unknown>], EventRow>;
  readonly tallies: Statement<[{ users: string; window: string; bucket: string }], RawTallyRow>;
  readonly periodTally: Statement<[string, string, string], Omit<TallyRow, "user_id">>;
  readonly leaderboardTop: Statement<[Record<string, unknown>], { user_id: string; value: number }>;
  readonly leaderboardPage: TieThenBeyond;
  readonly leaderboardValue: Statement<[BoardKey & { userId: string }], { value: number }>;
  readonly leaderboardBefore: TieThenBeyond;
  readonly countAbove: Statement<[BoardKey & { value: number }], { n: number }>;
  readonly countEqual: Statement<[BoardKey & { value: number }], { n: number }>;
  readonly boardSize: Statement<[BoardKey], { n: number }>;
  readonly boardValues: Statement<[BoardKey], { value: number; users: number }>;
  readonly allEvents: Statement<[], EventRow>;
  readonly bumpReportCell: Statement<[string, string, string, string, string, string, number, number]>;
  readonly reportCells: Statement<[string, string], StoredReportCell>;
  readonly clearReportCells: Statement<[]>;
  readonly clearTypeCounts: Statement<[]>;
  readonly clearLeaderboard: Statement<[]>;
  readonly clearBoardValues: Statement<[]>;

  constructor(db: Database) {
    this.findFingerprint = db.prepare("SELECT fingerprint FROM event_ids WHERE event_id = ?");
    this.insertEventId = db.prepare("INSERT INTO event_ids (event_id, fingerprint) VALUES (?, ?)");
    this.insertEvent = db.prepare(
      `INSERT INTO events_by_user_day
         (user_id, day, occurred_at, event_id, type, repo, category, groups_json, payload, points, ranked, fingerprint)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.bumpTypeCount = db.prepare(
      `INSERT INTO type_counts_by_user (user_id, time_window, bucket, type, events, points) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (user_id, time_window, bucket, type)
       DO UPDATE SET events = events + excluded.events, points = points + excluded.points`,
    );
    this.bumpLeaderboard = db.prepare(
      `INSERT INTO leaderboard (time_window, bucket, metric, user_id, value) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (time_window, bucket, metric, user_id) DO UPDATE SET value = value + excluded.value`,
    );
    // ORDER BY follows the key (user_id, day, occurred_at, event_id) backwards, so SQLite walks the
    // key from the newest row and stops at the limit; `day` is derived from occurred_at, so the
    // order is the same as by time. Without `day` it sorted every row in range first.
    const range = `day BETWEEN @fromDay AND @toDay AND occurred_at >= @fromMs AND occurred_at < @toMs
         AND (@afterMs IS NULL OR occurred_at < @afterMs OR (occurred_at = @afterMs AND event_id < @afterId))`;
    const newestFirst = "ORDER BY day DESC, occurred_at DESC, event_id DESC LIMIT @limit";
    this.history = db.prepare(
      `SELECT * FROM events_by_user_day
       WHERE user_id = @userId AND ${range}
         AND (@types IS NULL OR type IN (SELECT value FROM json_each(@types)))
       ${newestFirst}`,
    );
    this.historyOfType = db.prepare(
      `SELECT * FROM events_by_user_day INDEXED BY events_by_user_type
       WHERE user_id = @userId AND type = @type AND ${range}
       ${newestFirst}`,
    );
    this.tallies = db
      .prepare<[{ users: string; window: string; bucket: string }], RawTallyRow>(
        `SELECT user_id, type, events, points FROM type_counts_by_user
         WHERE user_id IN (SELECT value FROM json_each(@users)) AND time_window = @window AND bucket = @bucket
         ORDER BY user_id, type`,
      )
      .raw(true);
    this.periodTally = db.prepare(
      `SELECT type, events, points FROM type_counts_by_user
       WHERE user_id = ? AND time_window = ? AND bucket = ? ORDER BY type`,
    );
    const sameBoard = "time_window = @window AND bucket = @bucket AND metric = @metric";
    // A page after a cursor, and the rows before a position, are each two ranges of the index
    // (the rest of the cursor's tie, then the values beyond it), read one after the other: one OR
    // over both would make SQLite walk the board from its end to the cursor, O(rank), and one
    // UNION ALL of both cost about four times two plain range reads (~0.065 ms against ~0.015 ms
    // on the bench's 100,000-user board), mostly for nothing: on a board of many ties the rest of
    // the tie alone fills the page.
    const board = (columns: string) =>
      `SELECT user_id, value FROM leaderboard WHERE ${sameBoard} AND ${columns}`;
    const tieThenBeyond = (tie: string, tieOrder: string, beyond: string, order: string) => ({
      tie: db.prepare<[Record<string, unknown>], BoardRow>(`${board(tie)} ORDER BY ${tieOrder} LIMIT @limit`),
      beyond: db.prepare<[Record<string, unknown>], BoardRow>(
        `${board(beyond)} ORDER BY ${order} LIMIT @limit`,
      ),
    });
    this.leaderboardTop = db.prepare(`${board("1")} ORDER BY value DESC, user_id ASC LIMIT @limit`);
    this.leaderboardPage = tieThenBeyond(
      "value = @afterValue AND user_id > @afterUser",
      "user_id ASC",
      "value < @afterValue",
      "value DESC, user_id ASC",
    );
    // The rows just above a position, nearest first (read backwards along the same index).
    this.leaderboardBefore = tieThenBeyond(
      "value = @beforeValue AND user_id < @beforeUser",
      "user_id DESC",
      "value > @beforeValue",
      "value ASC, user_id DESC",
    );
    this.leaderboardValue = db.prepare(
      `SELECT value FROM leaderboard WHERE ${sameBoard} AND user_id = @userId`,
    );
    // Ranks from the users per value (migration 3): a sum over the distinct values above, not a
    // count of the users above, so a rank costs the same at the bottom of a board as at the top.
    this.countAbove = db.prepare(
      `SELECT coalesce(sum(users), 0) AS n FROM board_values WHERE ${sameBoard} AND value > @value`,
    );
    this.countEqual = db.prepare(
      `SELECT coalesce(max(users), 0) AS n FROM board_values WHERE ${sameBoard} AND value = @value`,
    );
    this.boardSize = db.prepare(`SELECT coalesce(sum(users), 0) AS n FROM board_values WHERE ${sameBoard}`);
    this.boardValues = db.prepare(
      `SELECT value, users FROM board_values WHERE ${sameBoard} ORDER BY value DESC`,
    );
    this.allEvents = db.prepare("SELECT * FROM events_by_user_day");
    this.bumpReportCell = db.prepare(
      `INSERT INTO report_cells (day, scope, type, category, group_name, user_id, events, points)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (day, scope, type, category, group_name, user_id)
       DO UPDATE SET events = events + excluded.events, points = points + excluded.points`,
    );
    this.reportCells = db.prepare(
      `SELECT ${REPORT_CELL_COLUMNS} FROM report_cells WHERE day = ? AND scope = ?`,
    );
    this.clearReportCells = db.prepare("DELETE FROM report_cells");
    this.clearTypeCounts = db.prepare("DELETE FROM type_counts_by_user");
    this.clearLeaderboard = db.prepare("DELETE FROM leaderboard");
    // Empty already when the triggers ran for every deleted row; also when a row was left behind.
    this.clearBoardValues = db.prepare("DELETE FROM board_values");
  }
}
