import cassandra from "cassandra-driver";
import { dayOf } from "../../domain/time.js";
import { aggregateDeltas, type LeaderboardDelta } from "../aggregates.js";
import type { StoredEvent } from "../port.js";
import { executeIdempotent, mapConcurrent } from "./concurrency.js";
import { toNumber, toText, type StoreContext } from "./context.js";
import { toStoredEvent } from "./history.js";
import { applyReportCellDeltas } from "./partition-batches.js";

const { concurrent } = cassandra;
const CHUNK = 5_000;

/**
 * The repair path: recount every aggregate from the event log into a fresh generation, then
 * make it the active one. Counters cannot be reset reliably (a DELETE then increments may lose
 * or resurrect counts), so the new generation starts from partitions nobody has touched.
 *
 * Run it while ingestion is paused: an event appended during the scan may be counted in the old
 * generation only. Returns the number of events read.
 */
export async function rebuildAggregates(ctx: StoreContext): Promise<number> {
  const { active, building } = await ctx.generations.read();
  // Past the last attempt too: a rebuild that died half-way left counts in `building`.
  const next = Math.max(active, building) + 1;
  await ctx.generations.write("building", next);
  await settleGate(ctx);

  const userBuckets = new Map<string, unknown[]>();
  const boards = new Map<string, LeaderboardDelta>();
  const reportDays = new Set<string>();
  let read = 0;
  let chunk: StoredEvent[] = [];
  const flush = async (): Promise<void> => {
    const deltas = aggregateDeltas(chunk);
    // The log and day-index writes of an append run side by side, so a crash may have left a
    // logged event without its days_by_user row, which history needs to find the partition.
    const days = new Map(
      chunk.map((e) => [`${e.userId}\u0000${dayOf(e.occurredAt)}`, [e.userId, dayOf(e.occurredAt)]]),
    );
    chunk = [];
    await executeIdempotent(ctx.client, ctx.cql.insertDay, [...days.values()], ctx.concurrency);
    for (const d of deltas.typeCounts)
      userBuckets.set(JSON.stringify([d.userId, d.window, d.bucket]), [d.userId, d.window, d.bucket]);
    for (const d of deltas.leaderboard) {
      const key = JSON.stringify([d.window, d.bucket, d.metric, d.userId]);
      const total = boards.get(key);
      if (total) total.value += d.value;
      else boards.set(key, { ...d });
    }
    const updates = deltas.typeCounts.map((d) => [
      d.events,
      d.points,
      next,
      d.userId,
      d.window,
      d.bucket,
      d.type,
    ]);
    for (const d of deltas.reportCells) reportDays.add(d.day);
    await Promise.all([
      concurrent.executeConcurrent(ctx.client, ctx.cql.bumpTypeCount, updates, {
        concurrencyLevel: ctx.concurrency,
      }),
      applyReportCellDeltas(ctx, next, deltas.reportCells),
    ]);
  };
  const events = await ctx.client.execute(ctx.cql.scanEvents, [], {
    prepare: true,
    isIdempotent: true,
    fetchSize: 1000,
  });
  for await (const row of events) {
    chunk.push(toStoredEvent(row));
    read += 1;
    if (chunk.length >= CHUNK) await flush();
  }
  await flush();

  // Leaderboards are summed in memory first: one increment per user and board, and the sorted
  // rows are written with their final values (no stale rows in a fresh generation).
  const totals = [...boards.values()];
  await concurrent.executeConcurrent(
    ctx.client,
    ctx.cql.bumpLeaderboard,
    totals.map((d) => [d.value, next, d.window, d.bucket, d.metric, d.userId]),
    { concurrencyLevel: ctx.concurrency },
  );
  await executeIdempotent(
    ctx.client,
    ctx.cql.sortedInsert,
    totals.map((d) => [next, d.window, d.bucket, d.metric, d.value, d.userId]),
    ctx.concurrency,
  );

  await ctx.generations.write("generation", next);
  await retire(ctx, active, [...userBuckets.values()], totals, [...reportDays]);
  return read;
}

/**
 * Settles gate rows left at applied = false by writers that stopped. A row whose event is in the
 * log is counted by this rebuild, so it is marked applied. A row without a log row, older than
 * `abandonedAfterMs`, is dropped so that the event can be sent again (its first writer died
 * before writing the log: nothing of it was stored).
 */
async function settleGate(ctx: StoreContext): Promise<void> {
  const unfinished: { id: string; userId: string; occurredAt: Date; ageMs: number }[] = [];
  const gates = await ctx.client.execute(ctx.cql.gateScan, [], {
    prepare: true,
    isIdempotent: true,
    fetchSize: 5000,
  });
  for await (const row of gates) {
    if (row["applied"] === true) continue;
    unfinished.push({
      id: toText(row["event_id"]),
      userId: toText(row["user_id"]),
      occurredAt: row["occurred_at"] as Date,
      ageMs: Date.now() - toNumber(row["written"]) / 1000,
    });
  }
  if (unfinished.length === 0) return;
  const logged = await mapConcurrent(unfinished, ctx.concurrency, async (gate) => {
    const params = [gate.userId, dayOf(gate.occurredAt), gate.occurredAt, gate.id];
    const result = await ctx.client.execute(ctx.cql.eventExists, params, {
      prepare: true,
      isIdempotent: true,
    });
    return result.rowLength > 0;
  });
  const toMark = unfinished.filter((_, i) => logged[i] === true).map((gate) => [gate.id]);
  await executeIdempotent(ctx.client, ctx.cql.gateMarkApplied, toMark, ctx.concurrency);
  const toDrop = unfinished.filter((gate, i) => logged[i] !== true && gate.ageMs > ctx.abandonedAfterMs);
  // An LWT delete (IF applied = false): the gate row is managed by LWTs, keep it linearizable.
  await mapConcurrent(toDrop, ctx.concurrency, (gate) =>
    ctx.client.execute(ctx.cql.gateDelete, [gate.id], { prepare: true, isIdempotent: false }),
  );
}

/**
 * Deletes the partitions of the generation just replaced. Every key it can hold comes from a
 * logged event (counters are written after the log), so the new generation's keys cover them.
 */
async function retire(
  ctx: StoreContext,
  generation: number,
  userBuckets: readonly unknown[][],
  boards: readonly LeaderboardDelta[],
  reportDays: readonly string[],
): Promise<void> {
  const boardKeys = new Map<string, unknown[]>();
  for (const d of boards)
    boardKeys.set(JSON.stringify([d.window, d.bucket, d.metric]), [generation, d.window, d.bucket, d.metric]);
  await Promise.all([
    executeIdempotent(
      ctx.client,
      ctx.cql.dropTypeCounts,
      userBuckets.map((k) => [generation, ...k]),
      ctx.concurrency,
    ),
    executeIdempotent(ctx.client, ctx.cql.dropLeaderboardValues, [...boardKeys.values()], ctx.concurrency),
    executeIdempotent(ctx.client, ctx.cql.dropLeaderboardSorted, [...boardKeys.values()], ctx.concurrency),
    executeIdempotent(
      ctx.client,
      ctx.cql.dropReportCells,
      reportDays.flatMap((day) => [
        [generation, day, "all"],
        [generation, day, "group"],
      ]),
      ctx.concurrency,
    ),
  ]);
}
