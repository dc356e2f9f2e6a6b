import type { types as DriverTypes } from "cassandra-driver";
import type { UserTally } from "../../port.js";
import { tallyOf } from "../../tallies.js";
import { toNumber, toText } from "../context.js";
import type { LogFedContext } from "./context.js";
import { periodKeyId, type PeriodKey, type TypeCounts, type TypeCountsPartition } from "./plan.js";

/**
 * One `type_counts` partition as stored: what the shard writer plans from and what the store's
 * tallies and standings read, so both see the same rows. A partition without rows but its
 * static fence holds one row whose type is null: that row is the fence, not a type.
 */
export async function readTypeCounts(
  ctx: Pick<LogFedContext, "client" | "sql">,
  key: PeriodKey,
): Promise<TypeCountsPartition> {
  const result = await ctx.client.execute(ctx.sql.typeCountsOf, [key.userId, key.window, key.bucket], {
    prepare: true,
    isIdempotent: true,
  });
  const types = new Map<string, TypeCounts>();
  let fence = 0;
  for (const row of result.rows) {
    fence = Math.max(fence, toNumber(row["fence"]));
    if (row["type"] === null) continue;
    types.set(toText(row["type"]), countsOf(row));
  }
  return { fence, types };
}

/**
 * Several `type_counts` partitions of one user (a batch's periods: up to four), in one request
 * instead of one each: the windows and the buckets as two IN lists, whose product may name
 * partitions that were not asked for (a Monday's DAY beside its WEEK); those are left out. Every
 * key asked for is in the answer, empty when not stored.
 */
export async function readUserTypeCounts(
  ctx: Pick<LogFedContext, "client" | "sql">,
  keys: readonly PeriodKey[],
): Promise<Map<string, TypeCountsPartition>> {
  const [first] = keys;
  const wanted = new Map(
    keys.map((key) => [periodKeyId(key), { fence: 0, types: new Map<string, TypeCounts>() }]),
  );
  if (first === undefined) return wanted;
  const windows = [...new Set(keys.map((key) => key.window))];
  const buckets = [...new Set(keys.map((key) => key.bucket))];
  const result = await ctx.client.execute(ctx.sql.typeCountsOfPeriods, [first.userId, windows, buckets], {
    prepare: true,
    isIdempotent: true,
    fetchSize: 5000,
  });
  for await (const row of result) {
    const id = periodKeyId({
      userId: first.userId,
      window: toText(row["time_window"]) as PeriodKey["window"],
      bucket: toText(row["bucket"]),
    });
    const partition = wanted.get(id);
    if (partition === undefined) continue;
    const fence = Math.max(partition.fence, toNumber(row["fence"]));
    if (row["type"] !== null) partition.types.set(toText(row["type"]), countsOf(row));
    wanted.set(id, { fence, types: partition.types });
  }
  return wanted;
}

function countsOf(row: DriverTypes.Row): TypeCounts {
  return {
    events: toNumber(row["events"]),
    points: toNumber(row["points"]),
    rankedEvents: toNumber(row["ranked_events"]),
    rankedPoints: toNumber(row["ranked_points"]),
  };
}

/** A user's totals from the rows of one partition (tallyOf leaves out its scope rows). */
export function tallyOfPartition(userId: string, types: TypeCountsPartition["types"]): UserTally {
  return tallyOf(
    userId,
    [...types].map(([type, counts]) => ({ type, events: counts.events, points: counts.points })),
  );
}
