/**
 * The Kafka broker and client that the event log stands on, against a real broker: keyed order
 * and exactly-once delivery through an idempotent producer and a consumer group, acknowledged
 * messages surviving a SIGKILL of the broker, and partitions moving between group members.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { Consumer, Producer, stringSerializers } from "@platformatic/kafka";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestTopic,
  kafkaForTests,
  privateBroker,
  privateBrokerSupport,
  type KafkaTarget,
  type PrivateBroker,
  type TestTopic,
} from "../support/kafka.js";
import {
  PipelinedSender,
  partitionOf,
  type Acknowledgement,
} from "../../src/services/kafka/pipelined-sender.js";
import { joinGroup, type GroupMember, type Received } from "./kafka-group.js";

const target = await kafkaForTests();
const privateUnsupported = target === null ? "no Kafka for tests" : await privateBrokerSupport();
const ROOT = new URL("../../", import.meta.url).pathname;

function idempotentProducer(brokers: string[], clientId: string): Producer<string, Buffer, string, string> {
  return new Producer({
    clientId,
    bootstrapBrokers: brokers,
    idempotent: true,
    acks: -1,
    retryDelay: 250,
    serializers: {
      key: stringSerializers.key,
      headerKey: stringSerializers.headerKey,
      headerValue: stringSerializers.headerValue,
    },
  });
}

interface Payload {
  readonly id: number;
  readonly user: string;
  readonly seq: number;
}

/** `count` messages over `users` keys; seq counts each user's messages from 0. */
function keyedMessages(
  topic: string,
  count: number,
  users: number,
): { key: string; value: Buffer; payload: Payload }[] {
  const seqs = new Map<string, number>();
  return Array.from({ length: count }, (_, id) => {
    const user = `user-${(id * 7919) % users}`;
    const seq = seqs.get(user) ?? 0;
    seqs.set(user, seq + 1);
    const payload = { id, user, seq };
    return { key: user, value: Buffer.from(JSON.stringify(payload)), payload };
  });
}

/** Everything in `topic` from the beginning, through a fresh group; waits until `expected` arrived. */
async function readAll(brokers: string[], topic: string, expected: number): Promise<Received[]> {
  const received: Received[] = [];
  const member = await joinGroup(brokers, `read-${topic}-${Date.now()}`, topic, (m) => received.push(m));
  try {
    const deadline = Date.now() + 20_000;
    while (received.length < expected && Date.now() < deadline) await sleep(50);
    // Give duplicates, if any, a chance to show up.
    await sleep(300);
    return received;
  } finally {
    await member.close();
  }
}

async function endOffsets(brokers: string[], topic: string): Promise<bigint[]> {
  const consumer = new Consumer({
    clientId: "end-offsets",
    bootstrapBrokers: brokers,
    groupId: `offsets-${Date.now()}`,
  });
  try {
    return (await consumer.listOffsets({ topics: [topic] })).get(topic) ?? [];
  } finally {
    await consumer.close();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe.skipIf(target === null)(`Kafka broker (${target?.source ?? "none"})`, () => {
  const kafka = target as KafkaTarget;

  describe("keyed messages through an idempotent producer and a consumer group", () => {
    let topic: TestTopic;
    beforeAll(async () => {
      topic = await createTestTopic(kafka, "order", 4);
    });
    afterAll(async () => {
      await topic?.delete();
    });

    it("delivers 20,000 messages over 500 keys exactly once, in order per key, one partition per key", async () => {
      const messages = keyedMessages(topic.name, 20_000, 500);
      const producer = idempotentProducer(kafka.brokers, "order-producer");
      const sender = new PipelinedSender(producer);
      await sender.prepare(topic.name);
      let acks: Acknowledgement[];
      try {
        acks = await Promise.all(
          messages.map(({ key, value }) => sender.send({ topic: topic.name, key, value })),
        );
      } finally {
        await producer.close();
      }
      expect(new Set(acks.map((a) => `${a.partition}:${a.offset}`)).size).toBe(20_000);
      const ends = await endOffsets(kafka.brokers, topic.name);
      expect(ends.reduce((sum, n) => sum + n, 0n)).toBe(20_000n);

      const received = await readAll(kafka.brokers, topic.name, 20_000);
      expect(received).toHaveLength(20_000);
      const seen = new Set<number>();
      const lastSeq = new Map<string, number>();
      const partitionOfUser = new Map<string, number>();
      for (const message of received) {
        const payload = JSON.parse(message.value) as Payload;
        expect(seen.has(payload.id)).toBe(false);
        seen.add(payload.id);
        expect(message.key).toBe(payload.user);
        expect(payload.seq).toBe((lastSeq.get(payload.user) ?? -1) + 1);
        lastSeq.set(payload.user, payload.seq);
        // Kafka's default (Java-compatible) partitioner, and the acknowledgement said where it went.
        expect(message.partition).toBe(partitionOfUser.get(payload.user) ?? message.partition);
        partitionOfUser.set(payload.user, message.partition);
        expect(message.partition).toBe(partitionOf(payload.user, 4));
        expect(acks[payload.id]).toEqual({ partition: message.partition, offset: message.offset });
      }
      expect(seen.size).toBe(20_000);
      expect(partitionOfUser.size).toBe(500);
      expect(new Set(partitionOfUser.values()).size).toBe(4);
    });
  });

  describe.skipIf(privateUnsupported !== null)("a broker killed with SIGKILL mid-stream", () => {
    let broker: PrivateBroker;
    beforeAll(async () => {
      broker = await privateBroker();
      await broker.start();
    }, 180_000);
    afterAll(async () => {
      await broker?.destroy();
    });

    it("keeps every acknowledged message exactly once; the producer retries the rest", async () => {
      const topic = await createTestTopic({ brokers: broker.brokers, source: "private" }, "crash", 2);
      const producer = idempotentProducer(broker.brokers, "crash-producer");
      // Requests of 200 messages, so that the kill falls between two of them or during one.
      const sender = new PipelinedSender(producer, { maxBatchMessages: 200 });
      await sender.prepare(topic.name);
      const messages = keyedMessages(topic.name, 6_000, 50);
      let acknowledged = 0;
      let unacknowledgedAtKill = -1;
      let crash: Promise<void> | null = null;
      const onAck = (): void => {
        if (++acknowledged !== 2_000) return;
        // A third acknowledged, the next request already on the wire (written by the broker or
        // not), the rest queued: SIGKILL, and a restart half a second later. The producer retries
        // meanwhile; sequence numbers make a retry of a written request a no-op.
        setImmediate(() => {
          broker.killNow();
          unacknowledgedAtKill = messages.length - acknowledged;
          crash = sleep(500).then(() => broker.start());
        });
      };
      const outcomes = messages.map(({ key, value }) => {
        const outcome = sender.send({ topic: topic.name, key, value });
        void outcome.then(onAck, () => {});
        return outcome;
      });
      try {
        const settled = await Promise.allSettled(outcomes);
        await crash;
        const failures = settled.filter((s) => s.status === "rejected");
        expect(failures.map((f) => String((f as PromiseRejectedResult).reason))).toEqual([]);
      } finally {
        await producer.close();
      }
      expect(crash).not.toBeNull();
      expect(unacknowledgedAtKill).toBeGreaterThan(0);
      console.log(`SIGKILL with ${unacknowledgedAtKill} of 6,000 messages not yet acknowledged`);
      const acks = await Promise.all(outcomes);

      const received = await readAll(broker.brokers, topic.name, 6_000);
      const byId = new Map<number, Received[]>();
      for (const message of received) {
        const { id } = JSON.parse(message.value) as Payload;
        byId.set(id, [...(byId.get(id) ?? []), message]);
      }
      const notOnce = [...byId].filter(([, copies]) => copies.length !== 1).map(([id]) => id);
      expect(notOnce).toEqual([]);
      expect(byId.size).toBe(6_000);
      for (const [id, [message]] of byId) {
        expect(acks[id]).toEqual({ partition: message!.partition, offset: message!.offset });
      }
    }, 120_000);
  });

  describe("partitions of a consumer group", () => {
    let topic: TestTopic;
    const members: GroupMember[] = [];
    let child: ChildProcess | null = null;
    beforeAll(async () => {
      topic = await createTestTopic(kafka, "group", 4);
    });
    afterAll(async () => {
      child?.kill("SIGKILL");
      for (const member of members) await member.close().catch(() => {});
      await topic?.delete();
    });

    it("splits partitions without overlap and hands a leaving or killed member's partitions over", async () => {
      const groupId = `group-${topic.name}`;
      const a = await joinGroup(kafka.brokers, groupId, topic.name);
      members.push(a);
      await a.waitForPartitions([0, 1, 2, 3], 10_000);

      let started = Date.now();
      const b = await joinGroup(kafka.brokers, groupId, topic.name);
      members.push(b);
      await waitUntil(() => a.partitions().length === 2 && b.partitions().length === 2, 10_000);
      const joinMs = Date.now() - started;
      expect([...a.partitions(), ...b.partitions()].sort()).toEqual([0, 1, 2, 3]);

      started = Date.now();
      await b.close();
      members.pop();
      await a.waitForPartitions([0, 1, 2, 3], 10_000);
      const leaveMs = Date.now() - started;

      const lines = spawnMember(kafka.brokers, groupId, topic.name);
      child = lines.child;
      await waitUntil(() => lines.last()?.length === 2 && a.partitions().length === 2, 15_000);
      expect([...a.partitions(), ...lines.last()!].sort()).toEqual([0, 1, 2, 3]);

      started = Date.now();
      child.kill("SIGKILL");
      await a.waitForPartitions([0, 1, 2, 3], 15_000);
      const killMs = Date.now() - started;
      console.log(`rebalance: join ${joinMs} ms, clean leave ${leaveMs} ms, SIGKILLed member ${killMs} ms`);
      // The killed member's partitions move only after its session (3 s) has expired.
      expect(killMs).toBeGreaterThanOrEqual(2_000);
    }, 60_000);
  });
});

function spawnMember(
  brokers: string[],
  groupId: string,
  topic: string,
): { child: ChildProcess; last: () => number[] | undefined } {
  const child = spawn(process.execPath, ["--import", "tsx", "test/log/kafka-member-child.ts"], {
    cwd: ROOT,
    env: { ...process.env, KAFKA_BROKERS: brokers.join(","), KAFKA_GROUP: groupId, KAFKA_TOPIC: topic },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let last: number[] | undefined;
  createInterface({ input: child.stdout! }).on("line", (line) => {
    last = (JSON.parse(line) as { partitions: number[] }).partitions;
  });
  return { child, last: () => last };
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(20);
  }
}
