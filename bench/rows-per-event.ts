/**
 * Rows the aggregators write per event for a given input: the store's own apply planning (claims,
 * plan.ts, applyStatements) run on the events, per log partition in batches as the aggregators
 * apply them, against state kept in memory. Nothing is sent to Cassandra. It turns an apply rate
 * in events/s into rows/s, the unit of the raw driver's ceiling.
 */
import { partitionOf } from "../src/services/kafka/pipelined-sender.js";
import { decideClaims, type ClaimsById } from "../src/store/cassandra/shard/claims.js";
import {
  periodKeyId,
  planAggregates,
  reportCellId,
  type ReportCellState,
} from "../src/store/cassandra/shard/plan.js";
import type { TypeCountsPartition } from "../src/store/cassandra/shard/plan.js";
import { applyStatements } from "../src/store/cassandra/shard/shard-writer.js";
import { ShardCql } from "../src/store/cassandra/shard/statements.js";
import type { LogRecord, ReadyEvent } from "../src/store/port.js";

export function rowsPerEvent(events: readonly ReadyEvent[], shards: number, batch = 1000): number {
  const byShard: LogRecord[][] = Array.from({ length: shards }, () => []);
  for (const event of events) {
    const records = byShard[partitionOf(event.userId, shards)]!;
    records.push({ offset: records.length, event });
  }
  const sql = new ShardCql("bench");
  let rows = 0;
  for (const [shard, records] of byShard.entries()) {
    const claims: ClaimsById = new Map();
    const typeCounts = new Map<string, TypeCountsPartition>();
    const cells = new Map<string, ReportCellState>();
    for (let start = 0; start < records.length; start += batch) {
      const decision = decideClaims(shard, records.slice(start, start + batch), claims);
      const plan = planAggregates(decision.counted, 0, {
        typeCounts: (key) => typeCounts.get(periodKeyId(key)) ?? { fence: 0, types: new Map() },
        reportCell: (key) => cells.get(reportCellId(key)) ?? null,
      });
      const { first, counts } = applyStatements(sql, shard, 0, decision.claiming, plan);
      rows += first.length + counts.length;
      for (const write of plan.typeCounts) typeCounts.set(periodKeyId(write), write.after);
      for (const cell of plan.reportCells) cells.set(reportCellId(cell), cell);
    }
  }
  return rows / events.length;
}
