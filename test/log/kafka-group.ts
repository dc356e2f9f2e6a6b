/**
 * A consumer-group member for the Kafka tests: @platformatic/kafka's Consumer with manual offsets
 * (autocommit off), the settings that make a rebalance take about a second on one broker, and its
 * current assignment as a plain list, updated on every `consumer:group:join`.
 */
import { Consumer, stringDeserializers, type Message, type MessagesStream } from "@platformatic/kafka";

export type Received = Message<string, string, string, string>;

export interface GroupMember {
  readonly consumer: Consumer<string, string, string, string>;
  readonly stream: MessagesStream<string, string, string, string>;
  /** The partitions of the topic assigned to this member now (sorted). */
  partitions(): number[];
  /** Resolves when the assignment is exactly `expected` (sorted), or rejects after `timeoutMs`. */
  waitForPartitions(expected: number[], timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

/** Session 3 s, heartbeat 500 ms: a member that dies unannounced is replaced within ~3-4 s. */
export const GROUP_TIMINGS = { sessionTimeout: 3_000, heartbeatInterval: 500, rebalanceTimeout: 5_000 };

export async function joinGroup(
  brokers: string[],
  groupId: string,
  topic: string,
  onMessage: (message: Received) => void = () => {},
): Promise<GroupMember> {
  const consumer = new Consumer({
    clientId: `eventscore-test-${groupId}`,
    bootstrapBrokers: brokers,
    groupId,
    ...GROUP_TIMINGS,
    autocommit: false,
    // Low latency: the broker answers a fetch as soon as it has one byte, or after 200 ms idle.
    minBytes: 1,
    maxWaitTime: 200,
    deserializers: stringDeserializers,
  });
  let current: number[] = [];
  const listeners = new Set<() => void>();
  consumer.on("consumer:group:join", ({ assignments }) => {
    current = (assignments?.find((a) => a.topic === topic)?.partitions ?? []).slice().sort((a, b) => a - b);
    for (const listener of listeners) listener();
  });
  const stream = await consumer.consume({ topics: [topic], mode: "committed", fallbackMode: "earliest" });
  stream.on("data", onMessage);
  return {
    consumer,
    stream,
    partitions: () => current,
    waitForPartitions: (expected, timeoutMs) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          if (current.join() !== expected.join()) return;
          listeners.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(
            new Error(
              `assignment is [${current.join()}], expected [${expected.join()}] within ${timeoutMs} ms`,
            ),
          );
        }, timeoutMs);
        listeners.add(check);
        check();
      }),
    close: async () => {
      await stream.close();
      await consumer.close();
    },
  };
}
