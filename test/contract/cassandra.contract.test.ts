import { afterAll, describe, it } from "vitest";
import { cassandraForTests, openTestKeyspace, type TestKeyspace } from "../support/cassandra.js";
import { describeStoreContract } from "./store-contract.js";

const target = await cassandraForTests();

if (target === null) {
  describe.skip("EventStore contract: cassandra", () => {
    it.skip("needs a Cassandra (see test/support/cassandra.ts)", () => {});
  });
} else {
  // One keyspace and one driver client for the whole file; each test gets a new store over
  // tables emptied with TRUNCATE, which is far cheaper than creating tables per test.
  let keyspace: TestKeyspace | null = null;
  let fresh = true;

  afterAll(async () => {
    await keyspace?.drop();
  }, 120_000);

  describeStoreContract(
    `cassandra (${target.source})`,
    async () => {
      keyspace ??= await openTestKeyspace(target, "contract");
      if (!fresh) await keyspace.truncate();
      fresh = false;
      const store = keyspace.store();
      return { store, dispose: () => store.close() };
    },
    60_000,
  );
}
