/**
 * The statements the aggregators would write for an input, without Cassandra: the store's own apply
 * planning (claims, plan.ts, board values, applyStatements) run per log partition, in batches as the aggregators
 * apply them, against state kept in memory. bench/hot-partitions.ts counts them per partition;
 * bench/pipeline.ts turns an apply rate in events/s into rows/s, the unit of the raw driver.
 */
import { partitionOf } from "../src/services/kafka/pipelined-sender.js";
import { decideClaims, type ClaimsById } from "../src/store/cassandra/shard/claims.js";
import {
  periodKeyId,
  planAggregates,
  DEFAULT_DAY_SPLIT_EVENTS,
  type ReportCellState,
  type TypeCountsPartition,
} from "../src/store/cassandra/shard/plan.js";
import type { KeyedStatement } from "../src/store/cassandra/partition-batches.js";
import { applyStatements } from "../src/store/cassandra/shard/shard-writer.js";
import {
  boardKeyId,
  NO_BOARD_VALUES,
  planBoardValues,
  type BoardValues,
} from "../src/store/cassandra/shard/board-values.js";
import { rollupId, type ReportRollupState } from "../src/store/cassandra/shard/rollups.js";
import { ShardCql } from "../src/store/cassandra/shard/statements.js";
import { reportCellId } from "../src/store/report-cells.js";
import type { LogRecord, StoredEvent } from "../src/store/port.js";

/** Each log partition's records, numbered from 0, on the partition Kafka would choose. */
export function recordsByPartition(events: readonly StoredEvent[], partitions: number): LogRecord[][] {
  const byShard: LogRecord[][] = Array.from({ length: partitions }, () => []);
  for (const event of events) {
    const records = byShard[partitionOf(event.userId, partitions)]!;
    records.push({ offset: records.length, event });
  }
  return byShard;
}

/** Every apply's statements, batch by batch, in the order the aggregators would issue them. */
export function* plannedWrites(
  byShard: readonly (readonly LogRecord[])[],
  batch: number,
  keyspace = "bench",
  daySplitEvents = DEFAULT_DAY_SPLIT_EVENTS,
): Generator<KeyedStatement[]> {
  const sql = new ShardCql(keyspace);
  for (const [shard, records] of byShard.entries()) {
    const claims: ClaimsById = new Map();
    const typeCounts = new Map<string, TypeCountsPartition>();
    const cells = new Map<string, ReportCellState>();
    const rollups = new Map<string, ReportRollupState>();
    const boardValues = new Map<string, BoardValues>();
    for (let start = 0; start < records.length; start += batch) {
      const decision = decideClaims(shard, records.slice(start, start + batch), claims);
      const plan = planAggregates(
        decision.counted,
        0,
        {
          typeCounts: (key) => typeCounts.get(periodKeyId(key)) ?? { fence: 0, types: new Map() },
          reportCell: (key) => cells.get(reportCellId(key)) ?? null,
          reportRollup: (key) => rollups.get(rollupId(key)) ?? null,
        },
        daySplitEvents,
      );
      const boardWrites = planBoardValues(
        plan.boardSteps,
        (key) => boardValues.get(boardKeyId(key)) ?? NO_BOARD_VALUES,
      );
      const statements = applyStatements(sql, shard, 0, decision.claiming, plan, boardWrites);
      yield [...statements.first, ...statements.boardValues, ...statements.counts];
      for (const write of boardWrites) boardValues.set(boardKeyId(write), write.after);
      for (const write of plan.typeCounts) typeCounts.set(periodKeyId(write), write.after);
      for (const cell of plan.reportCells) cells.set(reportCellId(cell), cell);
      for (const rollup of plan.reportRollups) rollups.set(rollupId(rollup), rollup);
    }
  }
}

export function rowsPerEvent(events: readonly StoredEvent[], partitions: number, batch = 1000): number {
  let rows = 0;
  for (const statements of plannedWrites(recordsByPartition(events, partitions), batch))
    rows += statements.length;
  return rows / events.length;
}
