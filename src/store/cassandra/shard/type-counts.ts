import type { UserTally } from "../../port.js";
import { tallyOf } from "../../tallies.js";
import { toNumber, toText } from "../context.js";
import type { LogFedContext } from "./context.js";
import type { PeriodKey, TypeCounts, TypeCountsPartition } from "./plan.js";

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
    types.set(toText(row["type"]), {
      events: toNumber(row["events"]),
      points: toNumber(row["points"]),
      rankedEvents: toNumber(row["ranked_events"]),
      rankedPoints: toNumber(row["ranked_points"]),
    });
  }
  return { fence, types };
}

/** A user's totals from the rows of one partition (tallyOf leaves out its scope rows). */
export function tallyOfPartition(userId: string, types: TypeCountsPartition["types"]): UserTally {
  return tallyOf(
    userId,
    [...types].map(([type, counts]) => ({ type, events: counts.events, points: counts.points })),
  );
}
