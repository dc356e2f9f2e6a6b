import type { AppendOutcome, LogFedStore, LogRecord, ShardWriter } from "../../store/port.js";
import { sleep } from "../abortable.js";
import type { ChangeFeed } from "../live/change-feed.js";
import type { PubSub } from "../pubsub.js";
import { publishNotice } from "./notices.js";
import type { AppliedNotice, ShardHandler } from "./ports.js";

export interface AggregatorHooks {
  /** Where applied notices go (notices.ts appliedChannel). */
  readonly channel: string;
  /** An operational problem worth a log line (the aggregator itself carries on). */
  readonly warn: (message: string, error?: unknown) => void;
  /** After each applied batch: for metrics. */
  readonly applied?: (shard: number, records: number) => void;
  /**
   * The applied-waiter of this process (`serve --aggregate`), told of each batch directly as well
   * as through the pub/sub: the in-process bus delivers on a later turn of the event loop, which
   * costs a `wait: APPLIED` caller a whole turn of a busy loop (12 ms at the median, 40 ms at p95
   * at 32 clients). A waiter that hears a notice twice ignores the second.
   */
  readonly localNotice?: (notice: AppliedNotice) => void;
  /** Test seam for fault tests: called between a batch's writes and its commit. */
  readonly afterApply?: (shard: number, records: readonly LogRecord[]) => Promise<void>;
}

/** How long to wait before trying again to take over a partition the store refuses (a rebuild). */
const OPEN_RETRY_MS = 1_000;

/**
 * One aggregator: the single writer of the log partitions its consumer owns. It applies each
 * batch through the store's shard writer, then announces the outcomes (for `wait: APPLIED`)
 * and, on the change feed, the inserted events with the exact per-user totals the shard writer
 * computed (for live updates: no subscriber reads the store per commit). Announcing is best
 * effort: waiters fall back to reading the store, and the events are already applied.
 */
export class Aggregator implements ShardHandler {
  private readonly writers = new Map<number, ShardWriter>();
  private readonly closing = new AbortController();

  constructor(
    private readonly store: LogFedStore,
    private readonly pubsub: PubSub,
    private readonly feed: ChangeFeed,
    private readonly hooks: AggregatorHooks,
  ) {}

  get ownedShards(): number[] {
    return [...this.writers.keys()].sort((a, b) => a - b);
  }

  async assigned(shard: number, shardCount: number): Promise<void> {
    for (;;) {
      try {
        this.writers.set(shard, await this.store.openShard(shard, shardCount));
        return;
      } catch (error) {
        if (this.closing.signal.aborted) throw error;
        this.hooks.warn(`aggregator: cannot take over partition ${shard} yet; retrying`, error);
        await sleep(OPEN_RETRY_MS, this.closing.signal);
      }
    }
  }

  async revoked(shard: number): Promise<void> {
    this.writers.delete(shard);
  }

  async apply(shard: number, records: readonly LogRecord[]): Promise<void> {
    const writer = this.writers.get(shard);
    if (writer === undefined) throw new Error(`aggregator: partition ${shard} is not owned by this process`);
    if (records.length === 0) return;
    // The notice goes out as soon as every row readers see is written (before the writer's
    // progress row): a waiter then answers APPLIED one Cassandra round trip earlier.
    let announced: Promise<void> | null = null;
    const { outcomes, changes } = await writer.apply(records, ({ outcomes }) => {
      announced = this.announce(shard, records, outcomes);
    });
    // A writer that does not report visibility early is announced once it is done.
    announced ??= this.announce(shard, records, outcomes);
    await this.hooks.afterApply?.(shard, records);
    this.hooks.applied?.(shard, records.length);
    // The change feed only after the whole apply: a batch that fails after its notice is applied
    // again, and its live updates would otherwise be pushed twice.
    this.feed.publish(
      records.filter((_, i) => outcomes[i] === "inserted").map((record) => record.event),
      changes,
    );
    await announced;
  }

  /** Tells this process's waiter at once, and every API instance through the pub/sub. */
  private announce(
    shard: number,
    records: readonly LogRecord[],
    outcomes: readonly AppendOutcome[],
  ): Promise<void> {
    const notice: AppliedNotice = {
      shard,
      fromOffset: records[0]!.offset,
      toOffset: records[records.length - 1]!.offset,
      notInserted: outcomes.flatMap((outcome, i) =>
        outcome === "inserted" ? [] : [[records[i]!.offset, outcome] as const],
      ),
    };
    try {
      this.hooks.localNotice?.(notice);
    } catch (error) {
      this.hooks.warn("aggregator: applied notice not handed to this process's waiter", error);
    }
    return publishNotice(this.pubsub, this.hooks.channel, notice).catch((error: unknown) =>
      this.hooks.warn("aggregator: applied notice not published", error),
    );
  }

  close(): void {
    this.closing.abort();
  }
}
