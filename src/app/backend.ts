import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DirectRecorder, type Recorder } from "../services/ingest.js";
import type { ChangeFeed } from "../services/live/change-feed.js";
import type { PubSub } from "../services/pubsub.js";
import type { AfterWriteStep } from "../store/cassandra/shard/shard-writer.js";
import type { EventReader, StoreLifecycle } from "../store/port.js";
import { SqliteStore } from "../store/sqlite/sqlite-store.js";
import type { Config } from "./config.js";
import { InstrumentedEventStore } from "./instrumented-store.js";
import type { Logger } from "./logger.js";
import type { Metrics } from "./metrics.js";

/** A command refused for a reason its operator can act on: printed as is, without a stack. */
export class RefusedError extends Error {
  override readonly name = "RefusedError";
}

/** An aggregator running in this process: the single writer of the log partitions it owns. */
export interface AggregatorHandle {
  /** The log partitions this process owns right now. */
  owned(): number[];
  stop(): Promise<void>;
}

/** The write path and the store a configuration names, assembled. */
export interface Backend {
  readonly store: StoreLifecycle & EventReader;
  readonly recorder: Recorder;
  /** Recomputes every aggregate from the stored events (README "Commands"). */
  rebuild(): Promise<number>;
  /** Joins the aggregators (log-fed backends only; null on the embedded store). */
  startAggregator: (() => Promise<AggregatorHandle>) | null;
  close(): Promise<void>;
}

export interface BackendDeps {
  readonly pubsub: PubSub;
  readonly feed: ChangeFeed;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** Fault tests only: runs after each write step of the aggregator's applies. */
  readonly afterWriteStep?: AfterWriteStep;
}

/** sqlite: the store is written in one transaction per group commit. cassandra: through Kafka. */
export async function openBackend(config: Config, deps: BackendDeps): Promise<Backend> {
  if (config.store.kind === "sqlite") {
    if (config.store.path !== ":memory:") mkdirSync(dirname(config.store.path), { recursive: true });
    // Appends in a thread of their own, so that commits do not hold the event loop (live updates).
    const raw = new SqliteStore({
      path: config.store.path,
      synchronous: config.store.synchronous,
      cacheMiB: config.store.cacheMiB,
      mmapMiB: config.store.mmapMiB,
      writer: "thread",
    });
    await raw.migrate();
    const store = new InstrumentedEventStore(raw, deps.metrics);
    return {
      store,
      recorder: new DirectRecorder(store, deps.feed),
      rebuild: () => store.rebuildAggregates(),
      startAggregator: null,
      close: () => store.close(),
    };
  }
  if (config.log.kind !== "kafka")
    throw new Error("the Cassandra store needs the Kafka log (EVENTSCORE_LOG=kafka)");
  // Loaded only for this configuration, so the embedded default never loads the drivers.
  const { openKafkaBackend } = await import("./kafka-backend.js");
  return openKafkaBackend(config.store, config.log, deps);
}
