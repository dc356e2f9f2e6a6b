import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { GraphQLSchema } from "graphql";
import type { Services } from "../graphql/context.js";
import { createSchema } from "../graphql/schema.js";
import { IngestService } from "../services/ingest.js";
import { ChangeFeed } from "../services/live.js";
import { InProcessPubSub, type PubSub } from "../services/pubsub.js";
import { QueryService } from "../services/queries.js";
import { ReportService } from "../services/reports.js";
import { SubscriptionService } from "../services/subscriptions.js";
import type { EventStore } from "../store/port.js";
import { SqliteStore } from "../store/sqlite/sqlite-store.js";
import type { Config } from "./config.js";
import { instrumentIngest, instrumentStore } from "./instrumentation.js";
import { errorFields, type Logger } from "./logger.js";
import { Metrics } from "./metrics.js";

/** Everything one running instance owns; `close` releases it in reverse order of creation. */
export interface App {
  readonly config: Config;
  readonly store: EventStore;
  readonly pubsub: PubSub;
  readonly services: Services;
  readonly schema: GraphQLSchema;
  readonly logger: Logger;
  readonly metrics: Metrics;
  close(): Promise<void>;
}

/** The composition root: picks the adapters the configuration names and wires the layers. */
export async function createApp(
  config: Config,
  logger: Logger,
  metrics: Metrics = new Metrics({ processMetrics: false }),
): Promise<App> {
  const store = instrumentStore(await openStore(config), metrics);
  const pubsub = await openPubSub(config);
  const feed = new ChangeFeed(pubsub, (error) =>
    logger.error("live update not published", errorFields(error)),
  );
  const queries = new QueryService(store);
  const bots = new Set(config.botAccounts.map((login) => login.toLowerCase()));
  const services: Services = {
    ingest: new IngestService(store, feed, {
      rules: config.rules,
      maxBatchSize: config.maxBatchSize,
      maxPayloadBytes: config.maxPayloadBytes,
      maxFutureSkewMs: config.maxFutureSkewMs,
      isRanked: (userId) => config.rankBots || !isBot(userId, bots),
    }),
    queries,
    subscriptions: new SubscriptionService(feed, queries, config.leaderboardIntervalMs),
    reports: new ReportService(store, config.maxReportDays),
    rules: config.rules,
    maxPageSize: config.maxPageSize,
  };
  instrumentIngest(services.ingest, metrics);
  const schema = await createSchema();
  return {
    config,
    store,
    pubsub,
    services,
    schema,
    logger,
    metrics,
    close: async () => {
      await pubsub.close();
      await store.close();
    },
  };
}

/** GitHub marks apps with a `[bot]` suffix; other automation accounts are listed in config. */
export function isBot(userId: string, knownBots: ReadonlySet<string>): boolean {
  return userId.endsWith("[bot]") || knownBots.has(userId.toLowerCase());
}

async function openStore(config: Config): Promise<EventStore> {
  if (config.store.kind === "sqlite") {
    if (config.store.path !== ":memory:") mkdirSync(dirname(config.store.path), { recursive: true });
    const store = new SqliteStore({ path: config.store.path, synchronous: config.store.synchronous });
    await store.migrate();
    return store;
  }
  const { openCassandraStore } = await import("./cassandra-store.js");
  return openCassandraStore(config.store);
}

async function openPubSub(config: Config): Promise<PubSub> {
  if (config.pubsub.kind === "memory") return new InProcessPubSub();
  const { RedisPubSub } = await import("../services/redis-pubsub.js");
  return RedisPubSub.connect(config.pubsub.url);
}
