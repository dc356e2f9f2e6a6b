import { afterAll, describe, it } from "vitest";
import { productionForTests } from "../support/production.js";
import { describeReplay } from "./replay-suite.js";

const backend = await productionForTests("replay");

if (backend === null) {
  describe.skip("replay through Kafka into Cassandra", () => {
    it.skip("needs Cassandra and Kafka (see test/support/)", () => {});
  });
} else {
  // A keyspace and a topic of its own, created by the server and dropped after it stops.
  afterAll(() => backend.drop(), 120_000);
  describeReplay(`Kafka log + aggregator + Cassandra store, ${backend.source}`, () => backend.env);
}
