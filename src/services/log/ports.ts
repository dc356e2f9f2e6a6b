/**
 * The ports of log-first ingest (docs/cassandra.md, "Log-first ingest"): API instances append
 * events to a partitioned, durable log; aggregators consume it, one owner per partition, and
 * apply each partition's records to the store; waiters learn the outcomes.
 * Kafka implements the log (../kafka/); tests also run an in-process one.
 */
import type { AppendOutcome, LogRecord, StoredEvent } from "../../store/port.js";

/** Where an appended event landed: its log partition (the store's shard) and offset. */
export interface LogPosition {
  readonly shard: number;
  readonly offset: number;
}

/** The producing side of the log. */
export interface EventLog {
  /**
   * Appends events, each to the partition of its user. Resolves once every event is durable
   * (acknowledged by all in-sync replicas), with each event's position, in input order.
   */
  append(events: readonly StoredEvent[]): Promise<LogPosition[]>;
  close(): Promise<void>;
}

/**
 * What an aggregator does with the partitions the log gives it. The log calls these one at a
 * time per partition: `apply` for a partition never overlaps another `apply` or `revoked` of
 * the same partition, and it commits the partition's position only after `apply` resolved.
 */
export interface ShardHandler {
  /** This process now owns the partition; `shardCount` is the log's partition count. */
  assigned(shard: number, shardCount: number): Promise<void>;
  /** The partition moved to another owner (or the consumer stopped): stop writing it. */
  revoked(shard: number): Promise<void>;
  /** Records of one owned partition, in offset order. Rejects to have them delivered again. */
  apply(shard: number, records: readonly LogRecord[]): Promise<void>;
}

/** The consuming side: one member of the aggregators' group. */
export interface LogConsumer {
  /** Joins the group and feeds `handler` until `close` is called. */
  start(handler: ShardHandler): Promise<void>;
  close(): Promise<void>;
}

/**
 * Published by an aggregator after each applied batch: every record of `shard` from
 * `fromOffset` to `toOffset` (inclusive) is applied; those not listed in `notInserted` were
 * inserted. Waiters of `wait: APPLIED` resolve from it.
 */
export interface AppliedNotice {
  readonly shard: number;
  readonly fromOffset: number;
  readonly toOffset: number;
  readonly notInserted: readonly (readonly [offset: number, outcome: Exclude<AppendOutcome, "inserted">])[];
}

/**
 * The log could not take the events (brokers unreachable, not enough in-sync replicas): nothing
 * was acknowledged, and the caller may retry (a retry of events that did land is a duplicate).
 */
export class LogUnavailableError extends Error {
  override readonly name = "LogUnavailableError";

  constructor(cause: unknown) {
    super("the event log is unavailable right now; retry shortly", { cause });
  }
}
