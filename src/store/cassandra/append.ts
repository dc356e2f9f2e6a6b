import cassandra from "cassandra-driver";
import type { types as DriverTypes } from "cassandra-driver";
import { dayOf } from "../../domain/time.js";
import { aggregateDeltas } from "../aggregates.js";
import type { AppendOutcome, EventStore } from "../port.js";
import { mapConcurrent } from "./concurrency.js";
import { toNumber, toText, type StoreContext } from "./context.js";
import { writeSortedRows } from "./leaderboard-write.js";
import { applyCounterDeltas, writeIdempotentBatches, type KeyedStatement } from "./partition-batches.js";

const { types } = cassandra;

type Appendable = Parameters<EventStore["append"]>[0][number];

/** What the idempotency gate said about one event id. */
interface GateResult {
  /** True when this call's LWT created the gate row: the event is ours to store and count. */
  readonly won: boolean;
  /** The fingerprint stored in the gate row (ours when won). */
  readonly fingerprint: string;
  /** False while the first writer has not finished counting the event (or died doing so). */
  readonly applied: boolean;
}

/**
 * The write path (docs/cassandra.md, "Write path"): gate every id with an LWT, write the log rows
 * of the events that won, increment the counters (one batch per partition), then refresh the
 * sorted leaderboard rows while marking the gate rows applied. Each phase runs its requests
 * concurrently.
 */
export async function appendEvents(
  ctx: StoreContext,
  events: readonly Appendable[],
): Promise<AppendOutcome[]> {
  if (events.length === 0) return [];
  const firstIndexById = new Map<string, number>();
  events.forEach((event, index) => {
    if (!firstIndexById.has(event.id)) firstIndexById.set(event.id, index);
  });
  const unique = [...firstIndexById.values()].map((index) => events[index] as Appendable);
  const writer = types.TimeUuid.now();
  const gates = new Map<string, GateResult>();
  const results = await mapConcurrent(unique, ctx.concurrency, (event) => passGate(ctx, event, writer));
  unique.forEach((event, i) => gates.set(event.id, results[i] as GateResult));

  const outcomes = events.map((event, index): AppendOutcome => {
    const gate = gates.get(event.id) as GateResult;
    if (gate.won && firstIndexById.get(event.id) === index) return "inserted";
    return gate.fingerprint === event.fingerprint ? "duplicate" : "conflict";
  });
  const inserted = unique.filter((event) => gates.get(event.id)?.won === true);
  const unfinished = unique.filter((event) => {
    const gate = gates.get(event.id) as GateResult;
    return !gate.won && !gate.applied && gate.fingerprint === event.fingerprint;
  });

  await writeLog(ctx, inserted);
  await completeUnfinished(ctx, unfinished);
  if (inserted.length === 0) return outcomes;

  const generation = await ctx.generations.active();
  const deltas = aggregateDeltas(inserted);
  try {
    await applyCounterDeltas(ctx, generation, deltas);
  } catch (error) {
    ctx.warn(
      `cassandra: counter update failed for ${inserted.length} event(s); their gate rows stay applied=false ` +
        `and counts may be off until rebuildAggregates() runs: ${String(error)}`,
    );
    throw error;
  }
  // Independent once the counters are in: applied=true means "counted", and sorted rows that
  // lag behind are healed by readers.
  await Promise.all([
    writeSortedRows(ctx, generation, deltas.leaderboard),
    writeIdempotentBatches(
      ctx,
      inserted.map((event) => ({
        query: ctx.cql.gateMarkApplied,
        params: [event.id],
        partition: [event.id],
      })),
    ),
  ]);
  return outcomes;
}

/**
 * One LWT (INSERT IF NOT EXISTS). An LWT that timed out may still have been applied, so it is
 * not retried blindly: a SERIAL read then finishes any Paxos round in flight and shows whose
 * row it is (the `writer` column carries this call's time-UUID).
 */
async function passGate(
  ctx: StoreContext,
  event: Appendable,
  writer: InstanceType<typeof types.TimeUuid>,
): Promise<GateResult> {
  const params = [event.id, event.fingerprint, event.userId, event.occurredAt, writer];
  try {
    const result = await ctx.client.execute(ctx.cql.gateInsert, params, {
      prepare: true,
      isIdempotent: false,
    });
    if (result.wasApplied()) return { won: true, fingerprint: event.fingerprint, applied: false };
    return fromRow(result.first(), writer, event);
  } catch (error) {
    const check = await ctx.client.execute(ctx.cql.gateRead, [event.id], {
      prepare: true,
      isIdempotent: true,
      consistency: ctx.serialConsistency,
    });
    if (check.rowLength === 0) throw error;
    return fromRow(check.first(), writer, event);
  }
}

function fromRow(
  row: DriverTypes.Row | null,
  writer: InstanceType<typeof types.TimeUuid>,
  event: Appendable,
): GateResult {
  if (row === null) throw new Error(`cassandra: the gate row of event ${event.id} vanished`);
  if (String(row["writer"]) === writer.toString())
    return { won: true, fingerprint: event.fingerprint, applied: false };
  return { won: false, fingerprint: toText(row["fingerprint"]), applied: row["applied"] === true };
}

async function writeLog(ctx: StoreContext, events: readonly Appendable[]): Promise<void> {
  if (events.length === 0) return;
  const days = new Map<string, KeyedStatement>();
  for (const event of events) {
    const day = dayOf(event.occurredAt);
    days.set(`${event.userId}\u0000${day}`, {
      query: ctx.cql.insertDay,
      params: [event.userId, day],
      partition: [event.userId],
    });
  }
  await Promise.all([
    writeIdempotentBatches(ctx, [
      ...events.map((event) => ({
        query: ctx.cql.insertEvent,
        params: logRow(event),
        partition: [event.userId, dayOf(event.occurredAt)],
      })),
      ...days.values(),
    ]),
  ]);
}

function logRow(event: Appendable): unknown[] {
  return [
    event.userId,
    dayOf(event.occurredAt),
    event.occurredAt,
    event.id,
    event.type,
    event.repo,
    event.category,
    [...event.groups],
    event.payload,
    event.points,
    event.ranked,
    event.fingerprint,
  ];
}

/**
 * A retry met a gate row still marked applied = false: the first writer is busy, or stopped
 * between the gate and the end of its counters. Writing the log row again is harmless (same id,
 * same content), and it makes the event durable even if the first writer died before its log
 * write. Counters are not touched: the first writer may have applied some of them. When the gate
 * row is older than `abandonedAfterMs` that writer is presumed dead and a rebuild is asked for.
 */
async function completeUnfinished(ctx: StoreContext, events: readonly Appendable[]): Promise<void> {
  if (events.length === 0) return;
  await writeLog(ctx, events);
  const ages = await mapConcurrent(events, ctx.concurrency, async (event) => {
    const result = await ctx.client.execute(ctx.cql.gateRead, [event.id], {
      prepare: true,
      isIdempotent: true,
    });
    return Date.now() - toNumber(result.first()?.["written"]) / 1000;
  });
  const abandoned = events.filter((_, i) => (ages[i] ?? 0) > ctx.abandonedAfterMs);
  if (abandoned.length === 0) return;
  ctx.warn(
    `cassandra: ${abandoned.length} event(s) were left unfinished by a writer that stopped (e.g. ${abandoned[0]?.id}); ` +
      "their counts may be incomplete: run rebuildAggregates() to recount them from the log",
  );
}
