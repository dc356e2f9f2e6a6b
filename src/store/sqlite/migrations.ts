/**
 * SQLite schema, as numbered migrations. The tables mirror the Cassandra tables in cql/ one to
 * one, so that both adapters are translations of the same design. Each table says which query
 * it serves.
 */
export interface SqliteMigration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const SQLITE_MIGRATIONS: readonly SqliteMigration[] = [
  {
    version: 1,
    name: "event log, idempotency gate, aggregates, leaderboards",
    sql: `
-- Serves append(): "is this event id already stored, and with which content?"
-- The gate that makes ingestion idempotent; mirrors Cassandra's event_ids (INSERT IF NOT EXISTS).
CREATE TABLE event_ids (
  event_id    TEXT PRIMARY KEY,
  fingerprint TEXT NOT NULL
) WITHOUT ROWID;

-- Serves history(user, from, to, types): one partition per (user_id, day), newest first.
CREATE TABLE events_by_user_day (
  user_id     TEXT    NOT NULL,
  day         TEXT    NOT NULL,  -- YYYY-MM-DD, UTC
  occurred_at INTEGER NOT NULL,  -- epoch milliseconds
  event_id    TEXT    NOT NULL,
  type        TEXT    NOT NULL,
  repo        TEXT,
  category    TEXT,
  groups_json TEXT    NOT NULL,  -- JSON array of strings, sorted
  payload     TEXT,              -- JSON text as received
  points      INTEGER NOT NULL,
  ranked      INTEGER NOT NULL,  -- 0: kept out of leaderboards (bots)
  fingerprint TEXT    NOT NULL,
  PRIMARY KEY (user_id, day, occurred_at, event_id)
) WITHOUT ROWID;

-- Serves tallies(users, period): per-type counters of a user in one window bucket
-- (time_window DAY/WEEK/MONTH/ALL_TIME, bucket as in src/domain/time.ts).
CREATE TABLE type_counts_by_user (
  user_id TEXT    NOT NULL,
  time_window TEXT    NOT NULL,
  bucket  TEXT    NOT NULL,
  type    TEXT    NOT NULL,
  events  INTEGER NOT NULL,
  points  INTEGER NOT NULL,
  PRIMARY KEY (user_id, time_window, bucket, type)
) WITHOUT ROWID;

-- Serves leaderboard(period, metric) and standing(user, period, metric).
-- metric '*' ranks by points; any other metric is an event type ranked by its count.
CREATE TABLE leaderboard (
  time_window TEXT    NOT NULL,
  bucket  TEXT    NOT NULL,
  metric  TEXT    NOT NULL,
  user_id TEXT    NOT NULL,
  value   INTEGER NOT NULL,
  PRIMARY KEY (time_window, bucket, metric, user_id)
) WITHOUT ROWID;
CREATE INDEX leaderboard_by_value ON leaderboard (time_window, bucket, metric, value DESC, user_id);
`,
  },
  {
    version: 2,
    name: "report cells by day",
    sql: `
-- Serves reportCells(day, scope): per-day cells of (type, category, group, user) from which
-- reports sum events and points and count distinct users. scope 'all' counts each event once
-- (group_name ''); scope 'group' counts it once per group ('' when it has none). '' stands for
-- "none" because event fields are never empty strings.
CREATE TABLE report_cells (
  day        TEXT    NOT NULL,
  scope      TEXT    NOT NULL,
  type       TEXT    NOT NULL,
  category   TEXT    NOT NULL,
  group_name TEXT    NOT NULL,
  user_id    TEXT    NOT NULL,
  events     INTEGER NOT NULL,
  points     INTEGER NOT NULL,
  PRIMARY KEY (day, scope, type, category, group_name, user_id)
) WITHOUT ROWID;
`,
  },
];
