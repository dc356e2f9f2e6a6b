/**
 * Many messages through one idempotent @platformatic/kafka producer, each with its own
 * acknowledgement (partition + offset), safely.
 *
 * Why not just call producer.send() for each message without awaiting: in @platformatic/kafka
 * 1.35.0 an idempotent producer stamps a batch's sequence number when send() is called and advances
 * it only when the answer comes back. Concurrent send()s to one partition therefore carry the same
 * sequence number, and the broker takes the later ones for retries of the first: they are dropped,
 * yet every promise resolves with the first one's offset (20 concurrent sends of 10 messages each:
 * 200 acknowledged, 10 written; upstream issue platformatic/kafka#326). So this keeps exactly one
 * produce request in flight and packs everything queued meanwhile into the next request, which
 * batches as much as the load offers (the library's own ProducerStream also keeps one in flight,
 * but with batches of at most `batchSize`, 100 by default).
 */
import { compatibilityPartitioner, type Producer } from "@platformatic/kafka";

export interface OutgoingMessage {
  readonly topic: string;
  readonly key: string;
  readonly value: Buffer;
}

export interface Acknowledgement {
  readonly partition: number;
  readonly offset: bigint;
}

export interface SenderOptions {
  /** Messages in one produce request at most (default 5,000). */
  readonly maxBatchMessages?: number;
  /**
   * Bytes (keys + values) in one produce request at most, default 900 KiB: a partition's record
   * batch must stay under the broker's message.max.bytes (1 MiB), whatever the key distribution.
   */
  readonly maxBatchBytes?: number;
}

interface Pending {
  readonly message: OutgoingMessage;
  readonly partition: number;
  readonly resolve: (ack: Acknowledgement) => void;
  readonly reject: (error: unknown) => void;
}

/** Kafka's default partitioner for keyed records (Java client, Kafka Streams): positive murmur2 mod n. */
export function partitionOf(key: string, partitions: number): number {
  return compatibilityPartitioner(undefined as never, Buffer.from(key)) % partitions;
}

export class PipelinedSender {
  readonly #producer: Producer<string, Buffer, string, string>;
  readonly #maxMessages: number;
  readonly #maxBytes: number;
  readonly #partitionCounts = new Map<string, number>();
  #queue: Pending[] = [];
  #inFlight: Promise<void> | null = null;

  constructor(producer: Producer<string, Buffer, string, string>, options: SenderOptions = {}) {
    this.#producer = producer;
    this.#maxMessages = options.maxBatchMessages ?? 5_000;
    this.#maxBytes = options.maxBatchBytes ?? 900 * 1024;
  }

  /** Partition counts come from the broker once per topic, before the first send to it. */
  async prepare(topic: string): Promise<void> {
    const metadata = await this.#producer.metadata({ topics: [topic] });
    const count = metadata.topics.get(topic)?.partitionsCount;
    if (!count) throw new Error(`topic ${topic} has no partitions (does it exist?)`);
    this.#partitionCounts.set(topic, count);
  }

  /** Resolves once Kafka has acknowledged the message (acks=-1), with where it was written. */
  send(message: OutgoingMessage): Promise<Acknowledgement> {
    const count = this.#partitionCounts.get(message.topic);
    if (count === undefined) return Promise.reject(new Error(`call prepare("${message.topic}") first`));
    return new Promise((resolve, reject) => {
      this.#queue.push({ message, partition: partitionOf(message.key, count), resolve, reject });
      this.#pump();
    });
  }

  /** Resolves when every message sent so far has been answered. */
  async flush(): Promise<void> {
    while (this.#inFlight) await this.#inFlight;
  }

  #pump(): void {
    if (this.#inFlight || this.#queue.length === 0) return;
    const batch = this.#takeBatch();
    this.#inFlight = this.#sendBatch(batch).finally(() => {
      this.#inFlight = null;
      this.#pump();
    });
  }

  #takeBatch(): Pending[] {
    let bytes = 0;
    let count = 0;
    while (count < this.#queue.length && count < this.#maxMessages) {
      const { message } = this.#queue[count]!;
      const size = message.key.length + message.value.length;
      if (count > 0 && bytes + size > this.#maxBytes) break;
      bytes += size;
      count++;
    }
    return this.#queue.splice(0, count);
  }

  async #sendBatch(batch: Pending[]): Promise<void> {
    try {
      const result = await this.#producer.send({
        messages: batch.map(({ message, partition }) => ({ ...message, partition })),
      });
      // One base offset per topic-partition; that partition's messages follow it in request order.
      const next = new Map<string, bigint>();
      for (const { topic, partition, offset } of result.offsets ?? [])
        next.set(`${topic}:${partition}`, offset);
      for (const pending of batch) {
        const slot = `${pending.message.topic}:${pending.partition}`;
        const offset = next.get(slot);
        if (offset === undefined) {
          pending.reject(new Error(`no acknowledgement for ${slot} in the produce response`));
          continue;
        }
        next.set(slot, offset + 1n);
        pending.resolve({ partition: pending.partition, offset });
      }
    } catch (error) {
      for (const pending of batch) pending.reject(error);
    }
  }
}
