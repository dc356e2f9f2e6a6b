/**
 * The raw producer floor: how fast a bare @platformatic/kafka producer (idempotent, acks=-1)
 * gets keyed messages acknowledged by the broker. The DURABLE ingest benchmark compares itself
 * with this, on the same broker and the same messages.
 *
 *   npx tsx bench/kafka-raw.ts --messages 100000            # KAFKA_BROKERS, default 127.0.0.1:9092
 *   npx tsx bench/kafka-raw.ts --messages 100000 --partitions 8 --users 10000 --rounds 3
 *
 * Two ways of keeping many messages in flight are measured; neither awaits one send at a time:
 *  - pipelined: one produce request in flight, everything queued meanwhile packed into the next
 *    one (src/services/kafka/pipelined-sender.ts; each message gets its own partition + offset back);
 *  - stream: the library's own ProducerStream (batches of at most `batchSize`, one in flight).
 * Concurrent send() calls on one idempotent producer are not measured: in 1.35.0 they lose
 * acknowledged messages (see pipelined-sender.ts). Every run checks that the topic's end offsets grew
 * by exactly the number of messages sent.
 */
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { Admin, Consumer, Producer, stringSerializers } from "@platformatic/kafka";
import { PipelinedSender } from "../src/services/kafka/pipelined-sender.js";

export interface RawMessage {
  readonly key: string;
  readonly value: Buffer;
}

export type RawProducerMode = "pipelined" | "stream";

export interface RawProducerOptions {
  /** Default "pipelined". */
  readonly mode?: RawProducerMode;
  /** pipelined: messages per produce request at most (default 5,000). stream: batchSize (default 100). */
  readonly batchMessages?: number;
}

export interface RawProducerResult {
  readonly messagesPerSecond: number;
  readonly bytesPerSecond: number;
  readonly seconds: number;
}

type KeyedProducer = Producer<string, Buffer, string, string>;

function createProducer(brokers: string[]): KeyedProducer {
  return new Producer({
    clientId: "eventscore-bench-raw",
    bootstrapBrokers: brokers,
    idempotent: true,
    acks: -1,
    serializers: {
      key: stringSerializers.key,
      headerKey: stringSerializers.headerKey,
      headerValue: stringSerializers.headerValue,
    },
  });
}

/**
 * Sends `messages` to `topic` and returns the rate at which they were acknowledged. The producer id
 * and the metadata are fetched before the clock starts (one warm-up message, not counted); the
 * clock stops when the last message is acknowledged. Throws unless the topic's end offsets grew
 * by exactly `messages.length` + 1.
 */
export async function measureRawProducer(
  brokers: string[],
  topic: string,
  messages: readonly RawMessage[],
  options: RawProducerOptions = {},
): Promise<RawProducerResult> {
  const before = await totalEndOffset(brokers, topic);
  const producer = createProducer(brokers);
  let seconds: number;
  try {
    const sender = new PipelinedSender(producer, { maxBatchMessages: options.batchMessages ?? 5_000 });
    await sender.prepare(topic);
    await sender.send({ topic, key: "warm-up", value: Buffer.from("{}") });
    const started = process.hrtime.bigint();
    if ((options.mode ?? "pipelined") === "pipelined") {
      await Promise.all(messages.map(({ key, value }) => sender.send({ topic, key, value })));
    } else {
      await sendThroughStream(producer, topic, messages, options.batchMessages ?? 100);
    }
    seconds = Number(process.hrtime.bigint() - started) / 1e9;
  } finally {
    await producer.close();
  }
  const written = (await totalEndOffset(brokers, topic)) - before;
  if (written !== BigInt(messages.length + 1)) {
    throw new Error(`sent ${messages.length + 1} messages but the topic grew by ${written}`);
  }
  const bytes = messages.reduce((sum, m) => sum + m.key.length + m.value.length, 0);
  return { messagesPerSecond: messages.length / seconds, bytesPerSecond: bytes / seconds, seconds };
}

async function sendThroughStream(
  producer: KeyedProducer,
  topic: string,
  messages: readonly RawMessage[],
  batchSize: number,
): Promise<void> {
  const stream = producer.asStream({ batchSize, batchTime: 1 });
  const failed = new Promise<never>((_, reject) => stream.once("error", reject));
  const written = (async () => {
    for (const { key, value } of messages) {
      if (!stream.write({ topic, key, value })) await new Promise((resolve) => stream.once("drain", resolve));
    }
    await stream.close();
  })();
  await Promise.race([written, failed]);
}

async function totalEndOffset(brokers: string[], topic: string): Promise<bigint> {
  const consumer = new Consumer({
    clientId: "eventscore-bench-offsets",
    bootstrapBrokers: brokers,
    groupId: "eventscore-bench-offsets",
  });
  try {
    const offsets = (await consumer.listOffsets({ topics: [topic] })).get(topic) ?? [];
    return offsets.reduce((sum, offset) => sum + offset, 0n);
  } finally {
    await consumer.close();
  }
}

/** Synthetic event-shaped JSON of `size` bytes, keyed over `users` user ids. */
export function syntheticMessages(count: number, users: number, size = 500): RawMessage[] {
  return Array.from({ length: count }, (_, i) => {
    const key = `user-${(i * 7919) % users}`;
    const head = JSON.stringify({
      id: `evt-${i}`,
      userId: key,
      type: "PushEvent",
      at: 1735689600000 + i,
      pad: "",
    });
    const value = Buffer.from(`${head.slice(0, -2)}${"x".repeat(Math.max(0, size - head.length))}"}`);
    return { key, value };
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      messages: { type: "string", default: "100000" },
      partitions: { type: "string", default: "4" },
      users: { type: "string", default: "10000" },
      size: { type: "string", default: "500" },
      rounds: { type: "string", default: "3" },
    },
  });
  const brokers = (process.env["KAFKA_BROKERS"] ?? "127.0.0.1:9092").split(",");
  const count = Number(values.messages);
  const rounds = Number(values.rounds);
  const messages = syntheticMessages(count, Number(values.users), Number(values.size));
  const topic = `bench-raw-${Date.now()}`;
  const admin = new Admin({ clientId: "eventscore-bench-admin", bootstrapBrokers: brokers });
  await admin.createTopics({ topics: [topic], partitions: Number(values.partitions), replicas: 1 });
  const load = (): string => loadavg()[0]!.toFixed(2);
  console.log(
    `raw producer: ${count} messages of ${values.size} bytes over ${values.users} keys, topic of ${values.partitions} partitions, brokers ${brokers.join(",")}, ${rounds} rounds, load ${load()}`,
  );
  try {
    for (const mode of ["pipelined", "stream"] as const) {
      const rates: number[] = [];
      const mbs: number[] = [];
      for (let round = 0; round < rounds; round++) {
        const result = await measureRawProducer(brokers, topic, messages, { mode });
        rates.push(result.messagesPerSecond);
        mbs.push(result.bytesPerSecond / 1e6);
      }
      const spread = `${Math.round(Math.min(...rates))}–${Math.round(Math.max(...rates))}`;
      console.log(
        `  ${mode.padEnd(9)} ${Math.round(median(rates))} messages/s (spread ${spread}), ${median(mbs).toFixed(1)} MB/s, load ${load()}`,
      );
    }
  } finally {
    await admin.deleteTopics({ topics: [topic] });
    await admin.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
