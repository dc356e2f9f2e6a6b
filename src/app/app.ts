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
import { InstrumentedIngest } from "./instrumented-ingest.js";
import type { ServedStore } from "./instrumented-store.js";
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

/** Seams for tests: faults injected into the aggregator, and a decorator of the store served. */
export interface AppHooks extends Pick<BackendDeps, "afterWriteStep"> {
  /** Wraps the store the services read (tests count or slow its calls); the backend still closes it. */
  readonly decorateStore?: (store: ServedStore) => ServedStore;
}

/** The composition root: picks the adapters the configuration names and wires the layers. */
export async function createApp(
  config: Config,
  logger: Logger,
  metrics: Metrics = new Metrics({ processMetrics: false }),
  hooks: AppHooks = {},
): Promise<App> {
  const pubsub = await openPubSub(config, logger);
  const feed = new ChangeFeed(pubsub, (error) =>
    logger.error("live update not published", errorFields(error)),
  );
  let backend: Backend;
  try {
    const { afterWriteStep } = hooks;
    backend = await openBackend(config, {
      pubsub,
      feed,
      metrics,
      logger,
      ...(afterWriteStep ? { afterWriteStep } : {}),
    });
  } catch (error) {
    await pubsub.close();
    throw error;
  }
  const store = hooks.decorateStore?.(backend.store) ?? backend.store;
  const queries = new QueryService(store);
  const bots = new Set(config.botAccounts.map((login) => login.toLowerCase()));
  const subscriptions = new SubscriptionService(feed, queries, {
    leaderboardIntervalMs: config.leaderboardIntervalMs,
    onError: (error) => logger.warn("live update not computed", errorFields(error)),
  });
  const services: Services = {
    ingest: new InstrumentedIngest(
      new IngestService(backend.recorder, {
        rules: config.rules,
        maxBatchSize: config.maxBatchSize,
        maxPayloadBytes: config.maxPayloadBytes,
        maxFutureSkewMs: config.maxFutureSkewMs,
        isRanked: (userId) => config.rankBots || !isBot(userId, bots),
      }),
      metrics,
    ),
    queries,
    subscriptions,
    reports: new ReportService(store, config.maxReportDays),
    rules: config.rules,
    maxPageSize: config.maxPageSize,
  };
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
