import type { GraphQLSchema } from "graphql";
import { isBot } from "../domain/bots.js";
import type { Services } from "../graphql/context.js";
import { createSchema } from "../graphql/schema.js";
import { IngestService, type Recorder } from "../services/ingest.js";
import { ChangeFeed } from "../services/live/change-feed.js";
import { InProcessPubSub, type PubSub } from "../services/pubsub.js";
import { QueryService } from "../services/queries.js";
import { ReportService } from "../services/reports.js";
import { SubscriptionService } from "../services/subscriptions.js";
import type { EventReader, StoreLifecycle } from "../store/port.js";
import { openBackend, type AggregatorHandle, type Backend, type BackendDeps } from "./backend.js";
import type { Config } from "./config.js";
import { instrumentIngest } from "./instrumentation.js";
import { errorFields, type Logger } from "./logger.js";
import { Metrics } from "./metrics.js";

/** Everything one running instance owns; `close` releases it in reverse order of creation. */
export interface App {
  readonly config: Config;
  readonly store: StoreLifecycle & EventReader;
  /** The write path behind ingest, past validation (tools and tests that must bypass it). */
  readonly recorder: Recorder;
  readonly pubsub: PubSub;
  readonly services: Services;
  readonly schema: GraphQLSchema;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Recomputes every aggregate from the stored events. */
  rebuild(): Promise<number>;
  /** Joins the aggregators in this process; null on the embedded store, which needs none. */
  readonly startAggregator: (() => Promise<AggregatorHandle>) | null;
  close(): Promise<void>;
}

/** The composition root: picks the adapters the configuration names and wires the layers. */
export async function createApp(
  config: Config,
  logger: Logger,
  metrics: Metrics = new Metrics({ processMetrics: false }),
  faults: Pick<BackendDeps, "afterWriteStep"> = {},
): Promise<App> {
  const pubsub = await openPubSub(config, logger);
  const feed = new ChangeFeed(pubsub, (error) =>
    logger.error("live update not published", errorFields(error)),
  );
  let backend: Backend;
  try {
    backend = await openBackend(config, { pubsub, feed, metrics, logger, ...faults });
  } catch (error) {
    await pubsub.close();
    throw error;
  }
  const { store } = backend;
  const queries = new QueryService(store);
  const bots = new Set(config.botAccounts.map((login) => login.toLowerCase()));
  const subscriptions = new SubscriptionService(feed, queries, {
    leaderboardIntervalMs: config.leaderboardIntervalMs,
    onError: (error) => logger.warn("live update not computed", errorFields(error)),
  });
  const services: Services = {
    ingest: new IngestService(backend.recorder, {
      rules: config.rules,
      maxBatchSize: config.maxBatchSize,
      maxPayloadBytes: config.maxPayloadBytes,
      maxFutureSkewMs: config.maxFutureSkewMs,
      isRanked: (userId) => config.rankBots || !isBot(userId, bots),
    }),
    queries,
    subscriptions,
    reports: new ReportService(store, config.maxReportDays),
    rules: config.rules,
    maxPageSize: config.maxPageSize,
  };
  instrumentIngest(services.ingest, metrics);
  const schema = await createSchema();
  try {
    await subscriptions.start();
  } catch (error) {
    await backend.close();
    await pubsub.close();
    throw error;
  }
  return {
    config,
    store,
    pubsub,
    services,
    schema,
    logger,
    metrics,
    recorder: backend.recorder,
    rebuild: () => backend.rebuild(),
    startAggregator: backend.startAggregator,
    close: async () => {
      subscriptions.stop();
      await backend.close();
      await pubsub.close();
    },
  };
}

async function openPubSub(config: Config, logger: Logger): Promise<PubSub> {
  const onError = (error: unknown): void => logger.warn("pub/sub message not delivered", errorFields(error));
  if (config.pubsub.kind === "memory") return new InProcessPubSub(onError);
  const { RedisPubSub } = await import("../services/redis-pubsub.js");
  return RedisPubSub.connect(config.pubsub.url, onError);
}
