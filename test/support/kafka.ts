// Temporary: replaced by the full Kafka test support (scripts/kafka.sh, testcontainers) on merge.
import { Admin } from "@platformatic/kafka";

export interface KafkaTarget {
  readonly brokers: string[];
  readonly source: string;
}

export async function kafkaForTests(): Promise<KafkaTarget | null> {
  const env = process.env["KAFKA_BROKERS"];
  return { brokers: env ? env.split(",") : ["127.0.0.1:9092"], source: env ? "env" : "running broker" };
}

export interface TestTopic {
  readonly name: string;
  readonly partitions: number;
  delete(): Promise<void>;
}

export async function createTestTopic(
  target: KafkaTarget,
  prefix: string,
  partitions: number,
): Promise<TestTopic> {
  const name = `es-test-${prefix}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const admin = new Admin({ clientId: "eventscore-test-admin", bootstrapBrokers: target.brokers });
  try {
    await admin.createTopics({ topics: [name], partitions, replicas: 1 });
  } finally {
    await admin.close();
  }
  return {
    name,
    partitions,
    delete: async () => {
      const cleanup = new Admin({ clientId: "eventscore-test-admin", bootstrapBrokers: target.brokers });
      try {
        await cleanup.deleteTopics({ topics: [name] });
      } finally {
        await cleanup.close();
      }
    },
  };
}
