/**
 * SQLite schema, as numbered migrations. Each table and index says which store call it serves
 * (user_numbers is report_rollups' dictionary). The embedded store writes each append in one
 * transaction and needs no log-partition ownership, so its tables follow the queries directly;
 * the Cassandra tables in cql/ serve the same queries split by owner (the log partition) and by
 * shard (docs/cassandra.md).
 */
import type { Database } from "better-sqlite3";
import { backfillRollups } from "./rollups-backfill.js";

export interface SqliteMigration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
  /** Fills what SQL alone cannot from the data already stored, in the migration's transaction. */
  readonly backfill?: (db: Database) => void;
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
  {
    version: 3,
    name: "users per board value",
    sql: `
-- Serves standing(users, period, metric) and the rank of a leaderboard page's first row: how many
-- users of a board hold each value, so that a rank is 1 + the users of the values above (a sum over
-- the board's distinct values, never a count of the users above), and a board's size is one sum.
-- Kept by the triggers below on every change of leaderboard, so no writer can forget it.
CREATE TABLE board_values (
  time_window TEXT    NOT NULL,
  bucket      TEXT    NOT NULL,
  metric      TEXT    NOT NULL,
  value       INTEGER NOT NULL,
  users       INTEGER NOT NULL,
  PRIMARY KEY (time_window, bucket, metric, value)
) WITHOUT ROWID;

INSERT INTO board_values (time_window, bucket, metric, value, users)
  SELECT time_window, bucket, metric, value, count(*) FROM leaderboard GROUP BY time_window, bucket, metric, value;

CREATE TRIGGER board_value_joined AFTER INSERT ON leaderboard BEGIN
  INSERT INTO board_values (time_window, bucket, metric, value, users)
    VALUES (new.time_window, new.bucket, new.metric, new.value, 1)
    ON CONFLICT (time_window, bucket, metric, value) DO UPDATE SET users = users + 1;
END;

CREATE TRIGGER board_value_moved AFTER UPDATE OF value ON leaderboard WHEN old.value <> new.value BEGIN
  UPDATE board_values SET users = users - 1
    WHERE time_window = old.time_window AND bucket = old.bucket AND metric = old.metric AND value = old.value;
  DELETE FROM board_values
    WHERE time_window = old.time_window AND bucket = old.bucket AND metric = old.metric AND value = old.value
      AND users = 0;
  INSERT INTO board_values (time_window, bucket, metric, value, users)
    VALUES (new.time_window, new.bucket, new.metric, new.value, 1)
    ON CONFLICT (time_window, bucket, metric, value) DO UPDATE SET users = users + 1;
END;

CREATE TRIGGER board_value_left AFTER DELETE ON leaderboard BEGIN
  UPDATE board_values SET users = users - 1
    WHERE time_window = old.time_window AND bucket = old.bucket AND metric = old.metric AND value = old.value;
  DELETE FROM board_values
    WHERE time_window = old.time_window AND bucket = old.bucket AND metric = old.metric AND value = old.value
      AND users = 0;
END;
`,
  },
  {
    version: 4,
    name: "history by type",
    sql: `
-- Serves history(user, from, to, types) with a type filter: the user's events of one type, newest
-- first, so that a rare type's page is read straight from the index instead of filtering every
-- event of an active user in the range. The store reads one type at a time and merges.
CREATE INDEX events_by_user_type ON events_by_user_day (user_id, type, day DESC, occurred_at DESC, event_id DESC);
`,
  },
  {
    version: 5,
    name: "report rollups with exact user sets",
    sql: `
-- The user dictionary of report_rollups: a number per user, in order of first appearance.
CREATE TABLE user_numbers (
  n       INTEGER PRIMARY KEY,
  user_id TEXT    NOT NULL UNIQUE
);

-- Serves reportRollups(day, scope): report_cells summed over category and user, per day, scope,
-- type and group ('' for none), with the exact set of users as varint gaps of their numbers
-- (src/store/user-set.ts). A report that needs neither categories nor users reads a few rows per
-- day and unions their sets, instead of every (type, category, group, user) cell.
CREATE TABLE report_rollups (
  day        TEXT    NOT NULL,
  scope      TEXT    NOT NULL,
  type       TEXT    NOT NULL,
  group_name TEXT    NOT NULL,
  events     INTEGER NOT NULL,
  points     INTEGER NOT NULL,
  users      BLOB    NOT NULL,
  PRIMARY KEY (day, scope, type, group_name)
) WITHOUT ROWID;
`,
    backfill: backfillRollups,
  },
  {
    version: 6,
    name: "group and category boards",
    sql: `
-- Boards of one group (for GitHub, the org) or one category (the repo owner), ranked by points,
-- kept at write time in leaderboard (and so in board_values) beside the global boards, under the
-- metrics '@g/<group>' and '@c/<category>' (types start with a letter, so they never collide).
-- This migration fills them from the events already stored; append() keeps them from then on.
INSERT INTO leaderboard (time_window, bucket, metric, user_id, value)
  WITH scoped AS (
    SELECT e.user_id, e.day, '@g/' || g.value AS metric, e.points
      FROM events_by_user_day e, json_each(e.groups_json) g WHERE e.ranked = 1
    UNION ALL
    SELECT user_id, day, '@c/' || category, points
      FROM events_by_user_day WHERE ranked = 1 AND category IS NOT NULL
  ),
  periods AS (
    SELECT 'DAY' AS time_window, day AS bucket, metric, user_id, points FROM scoped
    UNION ALL SELECT 'WEEK', date(day, '-6 days', 'weekday 1'), metric, user_id, points FROM scoped
    UNION ALL SELECT 'MONTH', substr(day, 1, 7), metric, user_id, points FROM scoped
    UNION ALL SELECT 'ALL_TIME', '*', metric, user_id, points FROM scoped
  )
  SELECT time_window, bucket, metric, user_id, sum(points) FROM periods
    GROUP BY time_window, bucket, metric, user_id;
`,
  },
];
