/**
 * The production backend for a test server: Cassandra written by aggregators from a Kafka topic,
 * each test file with a keyspace, a topic and a consumer group of its own (the server creates the
 * keyspace and the topic; `drop` removes both after the server stopped).
 */
import { Admin } from "@platformatic/kafka";
import { cassandraForTests, serverKeyspace } from "./cassandra.js";
import { kafkaForTests } from "./kafka.js";

export interface ProductionBackend {
  readonly source: string;
  readonly env: Record<string, string>;
  drop(): Promise<void>;
}

export async function productionForTests(prefix: string, partitions = 4): Promise<ProductionBackend | null> {
  const cassandra = await cassandraForTests();
  const kafka = await kafkaForTests();
  if (cassandra === null || kafka === null) return null;
  const keyspace = serverKeyspace(cassandra, prefix);
  const topic = `es-${keyspace.keyspace}`;
  return {
    source: `Cassandra (${cassandra.source}) + Kafka (${kafka.source})`,
    env: {
      ...keyspace.env,
      EVENTSCORE_LOG: "kafka",
      KAFKA_BROKERS: kafka.brokers.join(","),
      KAFKA_TOPIC: topic,
      KAFKA_GROUP: `${topic}-aggregators`,
      KAFKA_PARTITIONS: String(partitions),
      KAFKA_SESSION_TIMEOUT_MS: "3000",
    },
    drop: async () => {
      await keyspace.drop();
      const admin = new Admin({ clientId: "eventscore-test-admin", bootstrapBrokers: kafka.brokers });
      try {
        await admin.deleteTopics({ topics: [topic] });
      } catch {
        // Never created (the server did not start): nothing to delete.
      } finally {
        await admin.close();
      }
    },
  };
}
