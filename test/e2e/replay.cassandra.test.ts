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
  // Two API instances, each with an aggregator of the same group (so each owns half the
  // partitions), applied notices across them through Redis, and four clients at once.
  describeReplay(
    `Kafka log + aggregators + Cassandra store, ${backend.source}`,
    () => ({ ...backend.env, EVENTSCORE_PUBSUB: "redis" }),
    { instances: 2, clients: 4 },
  );
}
