import { Consumer, type Message, type MessagesStream } from "@platformatic/kafka";
import type { LogRecord } from "../../store/port.js";
import { sleep } from "../abortable.js";
import { decodeEvent, UndecodableRecordError } from "../log/codec.js";
import type { LogConsumer, ShardHandler } from "../log/ports.js";
import type { KafkaLogOptions } from "./options.js";

type KafkaMessage = Message<Buffer, Buffer, Buffer, Buffer>;

export interface KafkaConsumerSettings {
  /** Records handed to one apply, at most. */
  readonly maxBatch: number;
  /** Records buffered for all partitions before fetching pauses. */
  readonly maxBuffered: number;
  readonly warn: (message: string, error?: unknown) => void;
  /**
   * How long a partition may lag its log end with nothing delivered and nothing to apply before
   * the stream is presumed dead and replaced (default 15 s).
   */
  readonly stallMs?: number;
}

interface PartitionState {
  readonly shard: number;
  queue: KafkaMessage[];
  /**
   * The offset the queue expects next; null until the group's committed position is known. Only
   * that offset is taken: the shard writer's fences need each partition's records in order and
   * without gaps, and after a rebalance the stream delivers again from the committed position
   * what is already queued or applied (and a fetch in flight may deliver stale records).
   */
  expected: number | null;
  running: boolean;
  /** A start of the worker is scheduled for the end of the current delivery (see take). */
  kickScheduled: boolean;
  /** False until the handler has taken the partition over. */
  ready: boolean;
  revoked: boolean;
  /** Resolves when the worker has stopped (no apply in flight). */
  idle: Promise<void>;
  /** When the partition last had a record delivered or a batch applied (for the stall watchdog). */
  movedAt: number;
  /** The newest applied record whose position is not committed yet, and the commit in flight. */
  uncommitted: KafkaMessage | null;
  committing: Promise<void> | null;
}

const RETRY_MS = [100, 250, 500, 1000, 2000, 5000];

/**
 * One member of the aggregators' consumer group. Kafka gives each partition to one member;
 * this adapter runs one worker per owned partition, which hands the partition's buffered records
 * to the handler in batches, one batch at a time, and commits the position after each. A batch
 * that fails (the store is down) is retried with backoff, never skipped, so a partition stops
 * rather than loses a record. When the group moves a partition away, its worker stops after the
 * batch in flight; the new owner starts from the last committed position, and the store's fences
 * make the overlap harmless.
 */
export class KafkaLogConsumer implements LogConsumer {
  private consumer: Consumer<Buffer, Buffer, Buffer, Buffer> | null = null;
  private stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | null = null;
  private readonly partitions = new Map<number, PartitionState>();
  private handler: ShardHandler | null = null;
  private readonly closing = new AbortController();
  private buffered = 0;
  private shardCount = 0;
  /** Serializes reactions to group changes. */
  private assignmentChain: Promise<void> = Promise.resolve();
  private watchdog: NodeJS.Timeout | null = null;
  private watching = false;
  private reconnecting = false;

  constructor(
    private readonly options: KafkaLogOptions,
    private readonly settings: KafkaConsumerSettings,
  ) {}

  async start(handler: ShardHandler): Promise<void> {
    this.handler = handler;
    await this.connect();
    const stallMs = this.settings.stallMs ?? 15_000;
    this.watchdog = setInterval(() => void this.checkForStall(stallMs), Math.max(100, stallMs / 3));
    this.watchdog.unref();
  }

  /** Owned partitions, for health and tests. */
  get owned(): number[] {
    return [...this.partitions.keys()].sort((a, b) => a - b);
  }

  async close(): Promise<void> {
    this.closing.abort();
    if (this.watchdog) clearInterval(this.watchdog);
    await this.onAssignment([]);
    await this.assignmentChain;
    await this.stream?.close().catch(() => undefined);
    await closeQuietly(this.consumer);
  }

  private async connect(): Promise<void> {
    const sessionTimeout = this.options.sessionTimeoutMs ?? 10_000;
    const consumer = new Consumer<Buffer, Buffer, Buffer, Buffer>({
      clientId: `${this.options.clientId}-aggregator`,
      bootstrapBrokers: [...this.options.brokers],
      groupId: this.options.group,
      sessionTimeout,
      heartbeatInterval: Math.max(500, Math.floor(sessionTimeout / 5)),
      rebalanceTimeout: sessionTimeout * 2,
      autocommit: false,
      minBytes: 1,
      maxWaitTime: 500,
      retries: 5,
    });
    this.consumer = consumer;
    consumer.on("consumer:group:join", () => {
      const assignment = consumer.assignments?.find((a) => a.topic === this.options.topic);
      void this.onAssignment(assignment?.partitions ?? []);
    });
    consumer.on("consumer:heartbeat:error", (payload) =>
      this.settings.warn("kafka: heartbeat failed", payload.error),
    );
    const metadata = await consumer.metadata({ topics: [this.options.topic] });
    this.shardCount = metadata.topics.get(this.options.topic)?.partitionsCount ?? 0;
    const stream = await consumer.consume({
      topics: [this.options.topic],
      mode: "committed",
      fallbackMode: "earliest",
      autocommit: false,
      maxWaitTime: 500,
    });
    this.stream = stream;
    stream.on("data", (message: KafkaMessage) => this.enqueue(message));
    stream.on("error", (error: Error) => void this.reconnect(error));
  }

  /** A stream that failed (the broker went away) is replaced, with backoff, until closed. */
  private async reconnect(error: Error): Promise<void> {
    // One replacement at a time: a dying stream may report more than once.
    if (this.closing.signal.aborted || this.reconnecting) return;
    this.reconnecting = true;
    try {
      await this.replaceConsumer(error);
    } finally {
      this.reconnecting = false;
    }
  }

  private async replaceConsumer(error: Error): Promise<void> {
    this.settings.warn("kafka: consumer stream failed; reconnecting", error);
    const old = this.consumer;
    const oldStream = this.stream;
    this.consumer = null;
    this.stream = null;
    await this.onAssignment([]);
    await oldStream?.close().catch(() => undefined);
    await closeQuietly(old);
    for (let attempt = 0; !this.closing.signal.aborted; attempt++) {
      await sleep(RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)]!, this.closing.signal);
      try {
        await this.connect();
        return;
      } catch (retryError) {
        this.settings.warn("kafka: reconnect failed", retryError);
      }
    }
  }

  /**
   * Runs synchronously on the group's join event, before the stream fetches for the new
   * assignment, so records of a new partition are buffered (not dropped) while the handler takes
   * it over, and records of a lost one are dropped at once. The handler hears of both in order.
   */
  private onAssignment(shards: readonly number[]): Promise<void> {
    const wanted = new Set(shards);
    const lost: PartitionState[] = [];
    for (const [shard, state] of this.partitions) {
      if (wanted.has(shard)) continue;
      state.revoked = true;
      this.partitions.delete(shard);
      this.buffered -= state.queue.length;
      state.queue = [];
      lost.push(state);
    }
    const gained: PartitionState[] = [];
    for (const shard of wanted) {
      if (this.partitions.has(shard) || this.closing.signal.aborted) continue;
      const state: PartitionState = {
        shard,
        queue: [],
        expected: null,
        running: false,
        kickScheduled: false,
        ready: false,
        revoked: false,
        idle: Promise.resolve(),
        movedAt: Date.now(),
        uncommitted: null,
        committing: null,
      };
      this.partitions.set(shard, state);
      gained.push(state);
    }
    this.stream?.resume();
    this.assignmentChain = this.assignmentChain.then(() => this.handOver(lost, gained));
    return this.assignmentChain;
  }

  private async handOver(lost: readonly PartitionState[], gained: readonly PartitionState[]): Promise<void> {
    const handler = this.handler;
    if (!handler) return;
    for (const state of lost) {
      await state.idle;
      await state.committing;
      await handler.revoked(state.shard);
    }
    for (const state of gained) {
      if (state.revoked) continue;
      await handler.assigned(state.shard, this.shardCount);
      this.startAt(state, await this.startOffset(state.shard));
      state.ready = true;
      this.kick(state);
    }
  }

  /** Where the group left the partition: its committed position, or the log start when none. */
  private async startOffset(shard: number): Promise<number> {
    const consumer = this.consumer;
    if (!consumer) throw new Error("kafka: the consumer is gone");
    const topic = this.options.topic;
    const committed = await consumer.listCommittedOffsets({ topics: [{ topic, partitions: [shard] }] });
    const position = committed.get(topic)?.[shard];
    if (position !== undefined && position >= 0n) return Number(position);
    const earliest = await consumer.listOffsets({ topics: [topic], timestamp: -2n });
    return Number(earliest.get(topic)?.[shard] ?? 0n);
  }

  /** Keeps the queued records that continue from `offset`, in order and once each. */
  private startAt(state: PartitionState, offset: number): void {
    const byOffset = new Map(state.queue.map((message) => [Number(message.offset), message]));
    this.buffered -= state.queue.length;
    state.queue = [];
    state.expected = offset;
    for (let next = byOffset.get(offset); next; next = byOffset.get(state.expected)) this.take(state, next);
  }

  private enqueue(message: KafkaMessage): void {
    if (message.topic !== this.options.topic) return;
    // Not ours (any more): the owner reads it from the committed position.
    const state = this.partitions.get(message.partition);
    if (!state) return;
    if (state.expected === null) {
      state.queue.push(message);
      this.buffered += 1;
      return;
    }
    // A redelivery (below) or a stale fetch (above): the stream brings `expected` in its turn.
    if (Number(message.offset) !== state.expected) return;
    this.take(state, message);
  }

  private take(state: PartitionState, message: KafkaMessage): void {
    state.movedAt = Date.now();
    state.queue.push(message);
    state.expected = Number(message.offset) + 1;
    this.buffered += 1;
    if (this.buffered >= this.settings.maxBuffered) this.stream?.pause();
    // The stream hands over a fetch response's records one by one, synchronously: starting the
    // worker at the first would apply it alone and leave the rest of the response for a second
    // apply a whole Cassandra round trip later. Started once the delivery is over, the worker
    // takes the response's records as one batch.
    if (state.kickScheduled) return;
    state.kickScheduled = true;
    queueMicrotask(() => {
      state.kickScheduled = false;
      this.kick(state);
    });
  }

  private kick(state: PartitionState): void {
    if (state.running || !state.ready || state.revoked || state.queue.length === 0) return;
    state.running = true;
    state.idle = this.work(state).finally(() => {
      state.running = false;
      // Records that arrived as the loop ended.
      this.kick(state);
    });
  }

  private async work(state: PartitionState): Promise<void> {
    const handler = this.handler!;
    while (!state.revoked && state.queue.length > 0) {
      const batch = state.queue.splice(0, this.settings.maxBatch);
      this.buffered -= batch.length;
      if (this.buffered < this.settings.maxBuffered / 2) this.stream?.resume();
      const records = this.decode(batch);
      for (let attempt = 0; !state.revoked; attempt++) {
        try {
          if (records.length > 0) await handler.apply(state.shard, records);
          break;
        } catch (error) {
          if (this.closing.signal.aborted) return;
          this.settings.warn(`aggregator: partition ${state.shard} batch failed; retrying`, error);
          await sleep(RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)]!, this.closing.signal);
        }
      }
      if (state.revoked) return;
      state.movedAt = Date.now();
      this.commit(state, batch[batch.length - 1]!);
    }
  }

  /**
   * Commits a partition's position without holding up its next batch: one commit in flight per
   * partition, and the newest applied position wins. A commit that is late or lost only means the
   * next owner replays a little more, which the store's fences make harmless.
   */
  private commit(state: PartitionState, applied: KafkaMessage): void {
    state.uncommitted = applied;
    if (state.committing) return;
    state.committing = (async () => {
      for (let next = state.uncommitted; next; next = state.uncommitted) {
        state.uncommitted = null;
        try {
          await next.commit();
        } catch (error) {
          this.settings.warn(`kafka: commit of partition ${state.shard} failed`, error);
        }
      }
      state.committing = null;
    })();
  }

  /**
   * The liveness guard. A fetch loop can end without an error event (seen under load, after the
   * store was down for a while), and then an owned partition lags its log end forever while the
   * member still heartbeats, so the group never moves it. A partition that is idle (nothing
   * queued, no apply in flight) yet behind the log end for `stallMs` means the stream is dead:
   * it is replaced, and the partitions are taken over again from their committed positions.
   */
  private async checkForStall(stallMs: number): Promise<void> {
    const consumer = this.consumer;
    if (this.watching || !consumer || this.closing.signal.aborted) return;
    const now = Date.now();
    const idle = [...this.partitions.values()].filter(
      (state) =>
        state.ready &&
        !state.running &&
        state.queue.length === 0 &&
        state.expected !== null &&
        now - state.movedAt > stallMs,
    );
    if (idle.length === 0) return;
    this.watching = true;
    try {
      const topic = this.options.topic;
      const ends = (await consumer.listOffsets({ topics: [topic], timestamp: -1n })).get(topic) ?? [];
      const stalled = idle.filter(
        (state) =>
          this.partitions.get(state.shard) === state && Number(ends[state.shard] ?? 0n) > state.expected!,
      );
      if (stalled.length === 0 || this.consumer !== consumer) return;
      const which = stalled.map((state) => `${state.shard}@${state.expected}`).join(", ");
      await this.reconnect(new Error(`no records delivered for ${stallMs} ms behind the log end (${which})`));
    } catch (error) {
      this.settings.warn("kafka: stall check failed", error);
    } finally {
      this.watching = false;
    }
  }

  private decode(batch: readonly KafkaMessage[]): LogRecord[] {
    const records: LogRecord[] = [];
    for (const message of batch) {
      try {
        records.push({ offset: Number(message.offset), event: decodeEvent(message.value) });
      } catch (error) {
        if (!(error instanceof UndecodableRecordError)) throw error;
        // Not an eventscore record: nothing can count it; skipping it keeps the partition moving.
        this.settings.warn(
          `aggregator: skipped undecodable record ${message.partition}@${message.offset}: ${error.message}`,
        );
      }
    }
    return records;
  }
}

async function closeQuietly(consumer: Consumer<Buffer, Buffer, Buffer, Buffer> | null): Promise<void> {
  try {
    await consumer?.close(true);
  } catch {
    // Closing a consumer whose broker is gone may fail; it is being dropped either way.
  }
}
