import { ProduceAcks, Producer, stringSerializers } from "@platformatic/kafka";
import type { StoredEvent } from "../../store/port.js";
import { encodeEvent } from "../log/codec.js";
import { LogUnavailableError, type EventLog, type LogPosition } from "../log/ports.js";
import type { KafkaLogOptions } from "./options.js";
import { PipelinedSender } from "./pipelined-sender.js";

type KafkaProducer = Producer<string, Buffer, string, string>;

/**
 * The producing side of the log on Kafka: an idempotent producer with acks=all, so an append
 * resolves only when every in-sync replica has the records. Each event goes to the partition of
 * its user id, chosen as Kafka's Java client does (murmur2 of the key), so other tools agree on
 * where a user's events are. One produce request is in flight at a time (pipelined-sender.ts
 * says why), carrying everything that queued meanwhile.
 *
 * After a failed send the producer is replaced: the failed request may still have been written,
 * and a producer that reused its sequence numbers would have the broker drop the next request
 * as a retry of it while acknowledging it. A new producer has a new id and fresh sequences, so
 * at worst the failed events are in the log once and their retry is a duplicate, which the
 * aggregators recognise.
 */
export class KafkaEventLog implements EventLog {
  private current: { producer: KafkaProducer; sender: PipelinedSender } | null = null;
  private opening: Promise<{ producer: KafkaProducer; sender: PipelinedSender }> | null = null;

  private constructor(private readonly options: KafkaLogOptions) {}

  static async open(options: KafkaLogOptions): Promise<KafkaEventLog> {
    const log = new KafkaEventLog(options);
    await log.connection();
    return log;
  }

  async append(events: readonly StoredEvent[]): Promise<LogPosition[]> {
    if (events.length === 0) return [];
    let connection: { producer: KafkaProducer; sender: PipelinedSender };
    try {
      connection = await this.connection();
    } catch (error) {
      throw new LogUnavailableError(error);
    }
    try {
      const acks = await Promise.all(
        events.map((event) =>
          connection.sender.send({ topic: this.options.topic, key: event.userId, value: encodeEvent(event) }),
        ),
      );
      return acks.map(({ partition, offset }) => ({ shard: partition, offset: Number(offset) }));
    } catch (error) {
      if (this.current === connection) {
        this.current = null;
        dropProducer(connection.producer);
      }
      throw new LogUnavailableError(error);
    }
  }

  async close(): Promise<void> {
    const connection = this.current;
    this.current = null;
    if (connection) {
      await connection.sender.flush();
      await connection.producer.close();
    }
  }

  private connection(): Promise<{ producer: KafkaProducer; sender: PipelinedSender }> {
    if (this.current) return Promise.resolve(this.current);
    this.opening ??= (async () => {
      const producer: KafkaProducer = new Producer({
        clientId: `${this.options.clientId}-producer`,
        bootstrapBrokers: [...this.options.brokers],
        idempotent: true,
        acks: ProduceAcks.ALL,
        retries: 20,
        retryDelay: 250,
        serializers: {
          key: stringSerializers.key,
          headerKey: stringSerializers.headerKey,
          headerValue: stringSerializers.headerValue,
        },
      });
      try {
        const sender = new PipelinedSender(producer);
        await sender.prepare(this.options.topic);
        this.current = { producer, sender };
        return this.current;
      } catch (error) {
        dropProducer(producer);
        throw error;
      }
    })().finally(() => {
      this.opening = null;
    });
    return this.opening;
  }
}

/** Closes a producer that is being replaced, without waiting and whatever state it is in. */
function dropProducer(producer: KafkaProducer): void {
  producer.close(true, () => undefined);
}
