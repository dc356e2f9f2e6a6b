/**
 * The CQL of the log-fed tables (cql/004_single_writer.cql). Every write carries its fence as
 * `USING TIMESTAMP`, which makes it safe to repeat: all of them may be retried (idempotent).
 */
export class ShardCql {
  readonly claimsOf: string;
  readonly claimsOfIds: string;
  readonly insertClaim: string;
  readonly insertEvent: string;
  readonly insertDay: string;
  readonly insertQuarterEvent: string;
  readonly addDayQuarters: string;
  readonly typeCountsOf: string;
  readonly typeCountsOfPeriods: string;
  readonly insertTypeCounts: string;
  readonly boardInsert: string;
  readonly boardDelete: string;
  readonly boardFromTop: string;
  readonly boardAfterInTie: string;
  readonly boardBelow: string;
  readonly boardBeforeInTie: string;
  readonly boardAbove: string;
  readonly boardValuesOf: string;
  readonly boardValuesWrite: string;

  readonly cellsByKey: string;
  readonly cellsOfBuckets: string;
  readonly legacyCellsOfShard: string;
  readonly insertCell: string;
  readonly rollupsOfPeriodBuckets: string;
  readonly rollupsOfBuckets: string;
  readonly rollupCountsOfBuckets: string;
  readonly insertRollup: string;
  readonly legacyRollupsOfDays: string;
  readonly legacyRollupCountsOfDays: string;
  readonly progressWrite: string;
  readonly progressRead: string;
  readonly historyDays: string;
  readonly historyQuarterPage: string;
  readonly scanQuarterEvents: string;
  readonly historyPage: string;
  readonly scanEvents: string;
  readonly metaRead: string;
  readonly metaWrite: string;

  constructor(readonly keyspace: string) {
    const ks = keyspace;
    this.claimsOf = `SELECT user_id, fingerprint, log_partition, log_offset FROM ${ks}.event_claims WHERE event_id = ?`;
    this.claimsOfIds = `SELECT event_id, user_id, fingerprint, log_partition, log_offset FROM ${ks}.event_claims
      WHERE event_id IN ?`;
    this.insertClaim = `INSERT INTO ${ks}.event_claims (event_id, user_id, fingerprint, log_partition, log_offset)
      VALUES (?, ?, ?, ?, ?) USING TIMESTAMP ?`;
    this.insertEvent = `INSERT INTO ${ks}.events_by_user_day
      (user_id, day, occurred_at, event_id, type, repo, category, group_names, payload, points, ranked, fingerprint,
       log_partition, log_offset)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) USING TIMESTAMP ?`;
    this.insertDay = `INSERT INTO ${ks}.days_by_user (user_id, day) VALUES (?, ?) USING TIMESTAMP ?`;
    // cql/008: a heavy day's events past its threshold, by quarter of an hour, and the day's quarters.
    this.insertQuarterEvent = `INSERT INTO ${ks}.events_by_user_quarter
      (user_id, day, quarter, occurred_at, event_id, type, repo, category, group_names, payload, points, ranked,
       fingerprint, log_partition, log_offset)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) USING TIMESTAMP ?`;
    this.addDayQuarters = `UPDATE ${ks}.days_by_user USING TIMESTAMP ? SET quarters = quarters + ?
      WHERE user_id = ? AND day = ?`;

    this.typeCountsOf = `SELECT type, events, points, ranked_events, ranked_points, fence FROM ${ks}.type_counts
      WHERE user_id = ? AND time_window = ? AND bucket = ?`;
    // The writer's read of a user's partitions of a batch, in one request (type-counts.ts).
    this.typeCountsOfPeriods = `SELECT time_window, bucket, type, events, points, ranked_events, ranked_points, fence
      FROM ${ks}.type_counts WHERE user_id = ? AND time_window IN ? AND bucket IN ?`;
    this.insertTypeCounts = `INSERT INTO ${ks}.type_counts
      (user_id, time_window, bucket, type, events, points, ranked_events, ranked_points, fence)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) USING TIMESTAMP ?`;

    const board = "time_window = ? AND bucket = ? AND metric = ? AND shard = ?";
    this.boardInsert = `INSERT INTO ${ks}.board_shards (time_window, bucket, metric, shard, value, user_id)
      VALUES (?, ?, ?, ?, ?, ?) USING TIMESTAMP ?`;
    // A user's passed values on one board shard, in one statement per batch rather than one per value.
    this.boardDelete = `DELETE FROM ${ks}.board_shards USING TIMESTAMP ? WHERE ${board} AND value IN ? AND user_id = ?`;
    this.boardFromTop = `SELECT value, user_id FROM ${ks}.board_shards WHERE ${board}`;
    this.boardAfterInTie = `SELECT value, user_id FROM ${ks}.board_shards WHERE ${board} AND value = ? AND user_id > ?`;
    this.boardBelow = `SELECT value, user_id FROM ${ks}.board_shards WHERE ${board} AND value < ?`;
    // Read backwards (nearest first), for the rows just above a position.
    this.boardBeforeInTie = `SELECT value, user_id FROM ${ks}.board_shards WHERE ${board} AND value = ? AND user_id < ?
      ORDER BY value ASC, user_id DESC`;
    this.boardAbove = `SELECT value, user_id FROM ${ks}.board_shards WHERE ${board} AND value > ?
      ORDER BY value ASC, user_id DESC`;

    // board_values (cql/005, cql/006): users per value of one board shard, its best users, its fence
    // (the writer plans from all three; readers take the first two).
    this.boardValuesOf = `SELECT histogram, top, fence FROM ${ks}.board_values WHERE ${board}`;
    this.boardValuesWrite = `INSERT INTO ${ks}.board_values (time_window, bucket, metric, shard, histogram, top, fence)
      VALUES (?, ?, ?, ?, ?, ?, ?) USING TIMESTAMP ?`;

    // report_cell_buckets (cql/009): the writer reads back exactly the cells of a batch, by key;
    // reports read every bucket of every shard.
    const bucket = "day = ? AND scope = ? AND shard = ? AND bucket = ?";
    this.cellsByKey = `SELECT user_id, type, category, group_name, events, points, fence FROM ${ks}.report_cell_buckets
      WHERE ${bucket} AND (user_id, type, category, group_name) IN ?`;
    // All buckets of a shard in one request: a report over years reads a day per shard as it did
    // before the buckets, not 32 (most days of a long range hold nothing, and a request per bucket
    // made a 2,400-day report by category 32 times slower).
    this.cellsOfBuckets = `SELECT user_id, type, category, group_name, events, points FROM ${ks}.report_cell_buckets
      WHERE day = ? AND scope = ? AND shard = ? AND bucket IN ?`;
    this.insertCell = `INSERT INTO ${ks}.report_cell_buckets
      (day, scope, shard, bucket, user_id, type, category, group_name, events, points, fence)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) USING TIMESTAMP ?`;
    // A keyspace not rebuilt since cql/009 still has its cells in report_cells, one partition per shard.
    this.legacyCellsOfShard = `SELECT user_id, type, category, group_name, events, points FROM ${ks}.report_cells
      WHERE day = ? AND scope = ? AND shard = ?`;
    // report_rollup_buckets (cql/011): the writer reads the bucket partitions of a day or month
    // that a batch touches, whole, with their sets, in one request (as it read a day's slice
    // before the buckets, not a request per bucket: a cold batch touches hundreds); reports read every bucket of some periods of one shard in one request
    // (periods and buckets as IN lists), with the sets when they must join rows and with the
    // counts alone when they only add them.
    const rollupBucket = "period = ? AND scope = ? AND shard = ? AND bucket = ?";
    this.rollupsOfPeriodBuckets = `SELECT bucket, type, group_name, events, points, fence, users
      FROM ${ks}.report_rollup_buckets WHERE period = ? AND scope = ? AND shard = ? AND bucket IN ?`;
    this.rollupsOfBuckets = `SELECT period, type, group_name, events, points, users FROM ${ks}.report_rollup_buckets
      WHERE period IN ? AND scope = ? AND shard = ? AND bucket IN ?`;
    this.rollupCountsOfBuckets = `SELECT period, type, group_name, events, points, users_count
      FROM ${ks}.report_rollup_buckets WHERE period IN ? AND scope = ? AND shard = ? AND bucket IN ?`;
    // Users are added to the set, never written whole: no collection tombstone; users_count is the
    // set's size after the write, written whole with the sums (cql/010).
    this.insertRollup = `UPDATE ${ks}.report_rollup_buckets USING TIMESTAMP ?
      SET events = ?, points = ?, fence = ?, users = users + ?, users_count = ?
      WHERE ${rollupBucket} AND type = ? AND group_name = ?`;
    // A keyspace not rebuilt since cql/011 still has its rollups in report_rollups (cql/007), a
    // month per partition: readers read a range of days (or a month row, whose `day` is the month).
    this.legacyRollupsOfDays = `SELECT day, type, group_name, events, points, users FROM ${ks}.report_rollups
      WHERE month = ? AND scope = ? AND shard = ? AND day >= ? AND day <= ?`;
    this.legacyRollupCountsOfDays = `SELECT day, type, group_name, events, points, users_count FROM ${ks}.report_rollups
      WHERE month = ? AND scope = ? AND shard = ? AND day >= ? AND day <= ?`;

    this.historyDays = `SELECT day, quarters FROM ${ks}.days_by_user WHERE user_id = ? AND day >= ? AND day <= ?`;
    // Tuple bounds on both clustering columns: CQL forbids mixing them with single-column ones,
    // and (t, '') works as "time t, before any id" because event ids are never empty.
    this.historyPage = `SELECT * FROM ${ks}.events_by_user_day
      WHERE user_id = ? AND day = ? AND (occurred_at, event_id) >= (?, ?) AND (occurred_at, event_id) < (?, ?)`;
    this.historyQuarterPage = `SELECT * FROM ${ks}.events_by_user_quarter
      WHERE user_id = ? AND day = ? AND quarter = ? AND (occurred_at, event_id) >= (?, ?) AND (occurred_at, event_id) < (?, ?)`;
    this.scanEvents = `SELECT * FROM ${ks}.events_by_user_day`;
    this.scanQuarterEvents = `SELECT * FROM ${ks}.events_by_user_quarter`;

    this.progressWrite = `INSERT INTO ${ks}.log_progress (log_partition, applied_offset, fence)
      VALUES (?, ?, ?) USING TIMESTAMP ?`;
    this.progressRead = `SELECT log_partition, applied_offset FROM ${ks}.log_progress`;
    this.metaRead = `SELECT name, value FROM ${ks}.meta WHERE name IN ('shards', 'epoch', 'rebuilding', 'aggregates')`;
    this.metaWrite = `UPDATE ${ks}.meta SET value = ? WHERE name = ?`;
  }
}
