import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    // type-graphql and graphql-ws must see the same graphql module instance as our code.
    alias: { graphql: "graphql/index.js" },
  },
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["reflect-metadata"],
    // Local Cassandra node and Kafka broker: started by the tests that need them, stopped after the
    // run by these (only what this run started).
    globalSetup: ["test/support/cassandra-global-setup.ts", "test/support/kafka-global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: "forks",
  },
});
