/**
 * Every CQL statement the store runs, qualified with the keyspace. All run prepared; the comment
 * on each says whether it may be retried (idempotent) and which table query it is.
 */
export class Cql {
  // --- idempotency gate (event_ids); LWTs are never marked idempotent ---
  readonly gateInsert: string;
  readonly gateRead: string;
  readonly gateMarkApplied: string;
  readonly gateDelete: string;
  readonly gateScan: string;

  // --- event log (idempotent upserts) ---
  readonly insertEvent: string;
  readonly insertDay: string;
  readonly historyDays: string;
  readonly historyPage: string;
  readonly eventExists: string;
  readonly scanEvents: string;

  // --- generations ---
  readonly metaRead: string;
  readonly metaWrite: string;

  // --- counters (never idempotent) ---
  readonly bumpTypeCount: string;
  readonly bumpLeaderboard: string;
  readonly bumpReportCell: string;

  // --- aggregate reads ---
  readonly tallies: string;
  readonly leaderboardValue: string;
  readonly leaderboardValues: string;
  readonly reportCells: string;

  // --- sorted leaderboard ---
  readonly sortedInsert: string;
  readonly sortedDelete: string;
  readonly sortedAfterInTie: string;
  readonly sortedBelow: string;
  readonly sortedFromTop: string;
  readonly sortedAbove: string;
  readonly sortedEqual: string;

  // --- cleanup of a retired generation (idempotent deletes) ---
  readonly dropTypeCounts: string;
  readonly dropLeaderboardValues: string;
  readonly dropLeaderboardSorted: string;
  readonly dropReportCells: string;

  constructor(readonly keyspace: string) {
    const ks = keyspace;
    this.gateInsert = `INSERT INTO ${ks}.event_ids (event_id, fingerprint, user_id, occurred_at, writer, applied)
      VALUES (?, ?, ?, ?, ?, false) IF NOT EXISTS`;
    this.gateRead = `SELECT fingerprint, writer, applied, user_id, occurred_at, writetime(fingerprint) AS written
      FROM ${ks}.event_ids WHERE event_id = ?`;
    this.gateMarkApplied = `UPDATE ${ks}.event_ids SET applied = true WHERE event_id = ?`;
    this.gateDelete = `DELETE FROM ${ks}.event_ids WHERE event_id = ? IF applied = false`;
    this.gateScan = `SELECT event_id, user_id, occurred_at, applied, writetime(fingerprint) AS written FROM ${ks}.event_ids`;

    this.insertEvent = `INSERT INTO ${ks}.events_by_user_day
      (user_id, day, occurred_at, event_id, type, repo, category, groups, payload, points, ranked, fingerprint)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
    this.insertDay = `INSERT INTO ${ks}.days_by_user (user_id, day) VALUES (?, ?)`;
    this.historyDays = `SELECT day FROM ${ks}.days_by_user WHERE user_id = ? AND day >= ? AND day <= ?`;
    // Tuple bounds on both clustering columns: CQL forbids mixing them with single-column ones,
    // and (t, '') works as "time t, before any id" because event ids are never empty.
    this.historyPage = `SELECT * FROM ${ks}.events_by_user_day
      WHERE user_id = ? AND day = ? AND (occurred_at, event_id) >= (?, ?) AND (occurred_at, event_id) < (?, ?)`;
    this.eventExists = `SELECT event_id FROM ${ks}.events_by_user_day
      WHERE user_id = ? AND day = ? AND occurred_at = ? AND event_id = ?`;
    this.scanEvents = `SELECT * FROM ${ks}.events_by_user_day`;

    this.metaRead = `SELECT name, value FROM ${ks}.meta WHERE name IN ('generation', 'building')`;
    this.metaWrite = `UPDATE ${ks}.meta SET value = ? WHERE name = ?`;

    this.bumpTypeCount = `UPDATE ${ks}.type_counts_by_user SET events = events + ?, points = points + ?
      WHERE generation = ? AND user_id = ? AND time_window = ? AND bucket = ? AND type = ?`;
    this.bumpLeaderboard = `UPDATE ${ks}.leaderboard_values SET value = value + ?
      WHERE generation = ? AND time_window = ? AND bucket = ? AND metric = ? AND user_id = ?`;
    this.bumpReportCell = `UPDATE ${ks}.report_cells_by_day SET events = events + ?, points = points + ?
      WHERE generation = ? AND day = ? AND scope = ? AND type = ? AND category = ? AND group_name = ? AND user_id = ?`;

    this.tallies = `SELECT type, events, points FROM ${ks}.type_counts_by_user
      WHERE generation = ? AND user_id = ? AND time_window = ? AND bucket = ?`;
    const board = "generation = ? AND time_window = ? AND bucket = ? AND metric = ?";
    this.leaderboardValue = `SELECT value FROM ${ks}.leaderboard_values WHERE ${board} AND user_id = ?`;
    this.leaderboardValues = `SELECT user_id, value FROM ${ks}.leaderboard_values WHERE ${board} AND user_id IN ?`;
    this.reportCells = `SELECT type, category, group_name, user_id, events, points FROM ${ks}.report_cells_by_day
      WHERE generation = ? AND day = ? AND scope = ?`;

    this.sortedInsert = `INSERT INTO ${ks}.leaderboard_by_value
      (generation, time_window, bucket, metric, value, user_id) VALUES (?, ?, ?, ?, ?, ?)`;
    this.sortedDelete = `DELETE FROM ${ks}.leaderboard_by_value WHERE ${board} AND value = ? AND user_id = ?`;
    this.sortedAfterInTie = `SELECT value, user_id FROM ${ks}.leaderboard_by_value
      WHERE ${board} AND value = ? AND user_id > ?`;
    this.sortedBelow = `SELECT value, user_id FROM ${ks}.leaderboard_by_value WHERE ${board} AND value < ?`;
    this.sortedFromTop = `SELECT value, user_id FROM ${ks}.leaderboard_by_value WHERE ${board}`;
    this.sortedAbove = `SELECT value, user_id FROM ${ks}.leaderboard_by_value WHERE ${board} AND value > ?`;
    this.sortedEqual = `SELECT value, user_id FROM ${ks}.leaderboard_by_value WHERE ${board} AND value = ?`;

    this.dropTypeCounts = `DELETE FROM ${ks}.type_counts_by_user
      WHERE generation = ? AND user_id = ? AND time_window = ? AND bucket = ?`;
    this.dropLeaderboardValues = `DELETE FROM ${ks}.leaderboard_values WHERE ${board}`;
    this.dropLeaderboardSorted = `DELETE FROM ${ks}.leaderboard_by_value WHERE ${board}`;
    this.dropReportCells = `DELETE FROM ${ks}.report_cells_by_day WHERE generation = ? AND day = ? AND scope = ?`;
  }
}
