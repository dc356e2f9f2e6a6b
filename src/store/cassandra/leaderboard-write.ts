import type { LeaderboardDelta } from "../aggregates.js";
import { mapConcurrent } from "./concurrency.js";
import { toNumber, toText, type StoreContext } from "./context.js";
import { BATCH_ROWS, batchesByPartition, type Statement } from "./partition-batches.js";

export interface BoardKey {
  readonly window: string;
  readonly bucket: string;
  readonly metric: string;
}

export function boardParams(generation: number, key: BoardKey): unknown[] {
  return [generation, key.window, key.bucket, key.metric];
}

/**
 * Keeps `leaderboard_by_value` in step with the counters after the increments: read each
 * counter (which includes our increment, since both run at LOCAL_QUORUM), insert the row for
 * that value and delete the row for value - delta, which can never be the true value again
 * because values only grow. All rows of a board share a partition, so each batch is applied
 * atomically: a crash leaves old rows (healed at read time), never a half-moved user.
 *
 * With concurrent writers a row may be left behind for a value the user has passed; readers
 * check rows against the counters and heal such rows (see leaderboard-read.ts).
 */
export async function writeSortedRows(
  ctx: StoreContext,
  generation: number,
  deltas: readonly LeaderboardDelta[],
): Promise<void> {
  const groups = batchesByPartition(deltas, (d) => JSON.stringify([d.window, d.bucket, d.metric]));
  await mapConcurrent(groups, ctx.concurrency, async (group) => {
    const [first] = group;
    if (!first) return;
    const key = boardParams(generation, first);
    const values = await counterValues(
      ctx,
      key,
      group.map((d) => d.userId),
    );
    const statements = group.flatMap((d) => {
      const value = values.get(d.userId);
      return value === undefined ? [] : moveStatements(ctx, key, d.userId, value - d.value, value);
    });
    if (statements.length > 0)
      await ctx.client.batch(statements, { prepare: true, logged: false, isIdempotent: true });
  });
}

/**
 * The statements that replace a user's row at `from` by one at `to` (idempotent: fixed values,
 * no counters). When from equals to (a zero-point event) only the insert is made: in one batch a
 * delete and an insert of the same row share a timestamp, and the delete would win.
 */
export function moveStatements(
  ctx: StoreContext,
  key: readonly unknown[],
  userId: string,
  from: number | null,
  to: number | null,
): Statement[] {
  const statements: Statement[] = [];
  if (to !== null) statements.push({ query: ctx.cql.sortedInsert, params: [...key, to, userId] });
  if (from !== null && from !== to)
    statements.push({ query: ctx.cql.sortedDelete, params: [...key, from, userId] });
  return statements;
}

/** The counter value of each user that has one, read with `user_id IN (...)` per chunk. */
export async function counterValues(
  ctx: StoreContext,
  key: readonly unknown[],
  userIds: readonly string[],
): Promise<Map<string, number>> {
  const unique = [...new Set(userIds)];
  const values = new Map<string, number>();
  const chunks: string[][] = [];
  for (let i = 0; i < unique.length; i += BATCH_ROWS) chunks.push(unique.slice(i, i + BATCH_ROWS));
  await Promise.all(
    chunks.map(async (chunk) => {
      const result = await ctx.client.execute(ctx.cql.leaderboardValues, [...key, chunk], {
        prepare: true,
        isIdempotent: true,
      });
      for (const row of result.rows) values.set(toText(row["user_id"]), toNumber(row["value"]));
    }),
  );
  return values;
}
