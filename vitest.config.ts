import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    // type-graphql and graphql-ws must see the same graphql module instance as our code.
    alias: { graphql: "graphql/index.js" },
  },
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["reflect-metadata"],
    // Starts a local Cassandra node when the tests need one and stops it afterwards (only if it started it).
    globalSetup: ["test/support/cassandra-global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: "forks",
  },
});
