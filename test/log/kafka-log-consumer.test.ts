/**
 * The aggregators' consumer (src/services/kafka/kafka-consumer.ts) against a real broker: each
 * owned partition's records reach the handler once, in offset order and without gaps, and a
 * partition whose stream went silent while it lags the log end is taken over again by the stall
 * watchdog instead of stalling forever.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KafkaLogConsumer } from "../../src/services/kafka/kafka-consumer.js";
import { KafkaEventLog } from "../../src/services/kafka/kafka-log.js";
import type { KafkaLogOptions } from "../../src/services/kafka/options.js";
import type { ShardHandler } from "../../src/services/log/ports.js";
import type { LogRecord, StoredEvent } from "../../src/store/port.js";
import { event } from "../contract/store-contract.js";
import { createTestTopic, kafkaForTests, type TestTopic } from "../support/kafka.js";

const target = await kafkaForTests();
const PARTITIONS = 3;
const STALL_MS = 1_500;

/** A handler that keeps what it was given, per partition, as the store would apply it. */
class RecordingHandler implements ShardHandler {
  readonly applied = new Map<number, LogRecord[]>();
  readonly assignments: number[] = [];

  async assigned(shard: number): Promise<void> {
    this.assignments.push(shard);
    if (!this.applied.has(shard)) this.applied.set(shard, []);
  }

  async revoked(): Promise<void> {}

  async apply(shard: number, records: readonly LogRecord[]): Promise<void> {
    this.applied.get(shard)!.push(...records);
  }

  get count(): number {
    return [...this.applied.values()].reduce((sum, records) => sum + records.length, 0);
  }
}

function events(from: number, count: number): StoredEvent[] {
  return Array.from({ length: count }, (_, i) =>
    event(`e-${from + i}`, `user-${(from + i) % 17}`, "PushEvent", "2024-06-09T12:00:00Z"),
  );
}

async function until(what: string, condition: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.skipIf(target === null)("Kafka log consumer", { timeout: 90_000 }, () => {
  let topic: TestTopic;
  let options: KafkaLogOptions;

  beforeAll(async () => {
    topic = await createTestTopic(target!, "consumer", PARTITIONS);
    options = {
      brokers: target!.brokers,
      topic: topic.name,
      group: `${topic.name}-group`,
      clientId: "eventscore-test",
      partitions: PARTITIONS,
      replicationFactor: 1,
      sessionTimeoutMs: 3_000,
    };
  });
  afterAll(async () => {
    await topic?.delete();
  });

  it("hands each partition's records over once, in order, and revives a partition whose stream went silent", async () => {
    const log = await KafkaEventLog.open(options);
    const handler = new RecordingHandler();
    const warnings: string[] = [];
    const consumer = new KafkaLogConsumer(options, {
      maxBatch: 50,
      maxBuffered: 10_000,
      stallMs: STALL_MS,
      warn: (message, error) => warnings.push(`${message} ${String(error)}`),
    });
    try {
      const first = await log.append(events(0, 300));
      await consumer.start(handler);
      await until("the first records", () => handler.count === 300);

      // A fetch loop that ends without an error event: the member still heartbeats, so the
      // group never moves its partitions; only the watchdog can notice.
      const silenced = (consumer as unknown as { stream: { pause(): void } }).stream;
      silenced.pause();
      const second = await log.append(events(300, 200));
      await until("the records after the stream went silent", () => handler.count === 500);
      expect(warnings.some((w) => w.includes("no records delivered"))).toBe(true);

      // Every position, once, in offset order, with no gap, on the partition the log gave it.
      const positions = [...first, ...second];
      for (let shard = 0; shard < PARTITIONS; shard++) {
        const offsets = (handler.applied.get(shard) ?? []).map((record) => record.offset);
        const appended = positions.filter((p) => p.shard === shard).map((p) => p.offset);
        expect(offsets).toEqual(appended);
      }
      const ids = [...handler.applied.values()].flat().map((record) => record.event.id);
      expect(new Set(ids).size).toBe(500);
    } finally {
      await consumer.close();
      await log.close();
    }
  });
});
