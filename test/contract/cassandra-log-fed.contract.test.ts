import { afterAll, describe, it } from "vitest";
import { CassandraLogFedStore } from "../../src/store/cassandra/log-fed-store.js";
import { createClient } from "../../src/store/cassandra/index.js";
import { cassandraForTests, uniqueKeyspace } from "../support/cassandra.js";
import { inProcessPipeline } from "../support/in-process-log.js";
import { describeStoreContract } from "./store-contract.js";

/** Every table of the log-fed store, emptied between tests. */
const LOG_FED_TABLES = [
  "event_claims",
  "events_by_user_day",
  "days_by_user",
  "meta",
  "type_counts",
  "board_shards",
  "report_cells",
  "log_progress",
] as const;

const target = await cassandraForTests();

if (target === null) {
  describe.skip("EventStore contract: cassandra, log-fed", () => {
    it.skip("needs a Cassandra (see test/support/cassandra.ts)", () => {});
  });
} else {
  const options = {
    contactPoints: target.contactPoints,
    localDataCenter: target.localDataCenter,
    keyspace: uniqueKeyspace("logfed"),
  };
  const client = createClient(options);
  let migrated = false;

  afterAll(async () => {
    await client.execute(`DROP KEYSPACE IF EXISTS ${options.keyspace}`);
    await client.shutdown();
  }, 120_000);

  describeStoreContract(
    `cassandra, log-fed through 3 shards (${target.source})`,
    async () => {
      const store = new CassandraLogFedStore(client, options, { ownsClient: false });
      if (!migrated) {
        await client.connect();
        await store.migrate();
        migrated = true;
      } else {
        await Promise.all(
          LOG_FED_TABLES.map((table) => client.execute(`TRUNCATE ${options.keyspace}.${table}`)),
        );
      }
      const pipeline = inProcessPipeline(store, 3);
      return { store: pipeline, dispose: () => store.close() };
    },
    60_000,
  );
}
