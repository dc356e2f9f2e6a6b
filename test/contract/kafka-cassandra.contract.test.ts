import { afterAll, describe, it } from "vitest";
import { createClient } from "../../src/store/cassandra/index.js";
import { CassandraLogFedStore } from "../../src/store/cassandra/log-fed-store.js";
import { cassandraForTests, uniqueKeyspace } from "../support/cassandra.js";
import { createTestTopic, kafkaForTests, type TestTopic } from "../support/kafka.js";
import { startKafkaPipeline, type KafkaPipeline } from "../support/kafka-pipeline.js";
import { LOG_FED_TABLES } from "../support/log-fed-truth.js";
import { describeStoreContract } from "./store-contract.js";

const cassandra = await cassandraForTests();
const kafka = await kafkaForTests();

if (cassandra === null || kafka === null) {
  describe.skip("EventStore contract: Kafka + aggregator + Cassandra", () => {
    it.skip("needs Cassandra and Kafka (see test/support/)", () => {});
  });
} else {
  const options = {
    contactPoints: cassandra.contactPoints,
    localDataCenter: cassandra.localDataCenter,
    keyspace: uniqueKeyspace("kafkacontract"),
  };
  const client = createClient(options);
  let topic: TestTopic | null = null;
  let pipeline: KafkaPipeline | null = null;

  afterAll(async () => {
    await pipeline?.close();
    await topic?.delete();
    await client.execute(`DROP KEYSPACE IF EXISTS ${options.keyspace}`);
    await client.shutdown();
  }, 120_000);

  describeStoreContract(
    `Kafka (${kafka.source}, 4 partitions) + aggregator + cassandra (${cassandra.source})`,
    async () => {
      const store = new CassandraLogFedStore(client, options, { ownsClient: false });
      if (topic === null) {
        await client.connect();
        await store.migrate();
        topic = await createTestTopic(kafka, "contract", 4);
      } else {
        await pipeline?.close();
        await Promise.all(
          LOG_FED_TABLES.map((table) => client.execute(`TRUNCATE ${options.keyspace}.${table}`)),
        );
      }
      pipeline = await startKafkaPipeline(kafka, topic, store, {
        warn: (message, error) => console.warn(message, error),
      });
      await pipeline.startAggregator();
      return { store: pipeline.asEventStore(store), dispose: async () => undefined };
    },
    60_000,
  );
}
