import { afterAll, describe, it } from "vitest";
import { cassandraForTests, serverKeyspace } from "../support/cassandra.js";
import { describeReplay } from "./replay-suite.js";

const target = await cassandraForTests();

if (target === null) {
  describe.skip("replay on the Cassandra store", () => {
    it.skip("needs a Cassandra (see test/support/cassandra.ts)", () => {});
  });
} else {
  // A keyspace of its own, created by the server's migrations and dropped after the server stops.
  const keyspace = serverKeyspace(target, "replay");
  afterAll(() => keyspace.drop(), 120_000);
  describeReplay(`Cassandra store, ${target.source}`, () => keyspace.env);
}
