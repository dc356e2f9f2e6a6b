import { compatibilityPartitioner, ProduceAcks, Producer } from "@platformatic/kafka";
import type { ReadyEvent } from "../../store/port.js";
import { encodeEvent } from "../log/codec.js";
import type { EventLog, LogPosition } from "../log/ports.js";
import type { KafkaLogOptions } from "./options.js";

/**
 * The producing side of the log on Kafka: an idempotent producer with acks=all, so an append
 * resolves only when every in-sync replica has the records, and a retried send is not written
 * twice. Each event goes to the partition of its user id, chosen as Kafka's Java client does
 * (murmur2 of the key), so other tools agree on where a user's events are.
 */
export class KafkaEventLog implements EventLog {
  private constructor(
    private readonly producer: Producer<Buffer, Buffer, Buffer, Buffer>,
    private readonly topic: string,
    private readonly partitions: number,
  ) {}

  static async open(options: KafkaLogOptions, partitions: number): Promise<KafkaEventLog> {
    const producer = new Producer<Buffer, Buffer, Buffer, Buffer>({
      clientId: `${options.clientId}-producer`,
      bootstrapBrokers: [...options.brokers],
      idempotent: true,
      acks: ProduceAcks.ALL,
      retries: 10,
      retryDelay: 250,
    });
    await producer.metadata({ topics: [options.topic] });
    return new KafkaEventLog(producer, options.topic, partitions);
  }

  async append(events: readonly ReadyEvent[]): Promise<LogPosition[]> {
    if (events.length === 0) return [];
    const messages = events.map((event) => {
      const key = Buffer.from(event.userId, "utf8");
      const partition = compatibilityPartitioner(undefined as never, key) % this.partitions;
      return { topic: this.topic, key, value: encodeEvent(event), partition };
    });
    const result = await this.producer.send({ messages });
    // One record batch per partition and send: its base offset, then the messages in order.
    const next = new Map<number, number>();
    for (const { partition, offset } of result.offsets ?? []) next.set(partition, Number(offset));
    return messages.map(({ partition }) => {
      const offset = next.get(partition);
      if (offset === undefined) throw new Error(`kafka: no offset acknowledged for partition ${partition}`);
      next.set(partition, offset + 1);
      return { shard: partition, offset };
    });
  }

  async close(): Promise<void> {
    await this.producer.close();
  }
}
