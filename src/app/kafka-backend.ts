import { Admin } from "@platformatic/kafka";
import { Aggregator } from "../services/log/aggregator.js";
import { AppliedWaiter } from "../services/log/applied-waiter.js";
import { LoggedRecorder } from "../services/log/logged-recorder.js";
import { appliedChannel } from "../services/log/notices.js";
import { KafkaLogConsumer } from "../services/kafka/kafka-consumer.js";
import { KafkaEventLog } from "../services/kafka/kafka-log.js";
import type { KafkaLogOptions } from "../services/kafka/options.js";
import { ensureTopic } from "../services/kafka/topic.js";
import { createLogFedStore } from "../store/cassandra/log-fed-store.js";
import { RefusedError, type AggregatorHandle, type Backend, type BackendDeps } from "./backend.js";
import type { CassandraConfig, LogConfig } from "./config.js";
import { InstrumentedReader } from "./instrumented-store.js";
import { errorFields } from "./logger.js";

type KafkaConfig = Extract<LogConfig, { kind: "kafka" }>;

/**
 * Production: ingest appends to the Kafka topic; aggregators (this process with `serve
 * --aggregate`, or `eventscore aggregate` processes) apply it to Cassandra; reads go to Cassandra.
 */
export async function openKafkaBackend(
  cassandra: CassandraConfig,
  kafka: KafkaConfig,
  deps: BackendDeps,
): Promise<Backend> {
  const options: KafkaLogOptions = { ...kafka };
  const raw = await createLogFedStore(
    {
      contactPoints: cassandra.contactPoints,
      localDataCenter: cassandra.localDataCenter,
      keyspace: cassandra.keyspace,
      replicationFactor: cassandra.replicationFactor,
      consistency: cassandra.consistency,
      username: cassandra.username ?? undefined,
      password: cassandra.password ?? undefined,
      migrate: cassandra.migrate,
      daySplitEvents: cassandra.daySplitEvents,
    },
    deps.afterWriteStep ? { afterWriteStep: deps.afterWriteStep } : {},
  );
  const store = new InstrumentedReader(raw, deps.metrics);
  const warn = (message: string, error?: unknown): void =>
    deps.logger.warn(message, error === undefined ? {} : errorFields(error));
  const channel = appliedChannel(kafka.topic);
  let log: KafkaEventLog | null = null;
  let waiter: AppliedWaiter | null = null;
  try {
    await ensureTopic(options);
    log = await KafkaEventLog.open(options);
    waiter = new AppliedWaiter(deps.pubsub, raw, { channel, pollMs: 250, recentMs: 10_000, warn });
    waiter.start();
  } catch (error) {
    await log?.close();
    await raw.close();
    throw error;
  }
  const aggregators = new Set<AggregatorHandle>();
  const startAggregator = async (): Promise<AggregatorHandle> => {
    const aggregator = new Aggregator(raw, deps.pubsub, deps.feed, {
      channel,
      warn,
      localNotice: (notice) => applied.noticed(notice),
      applied: (_shard, records) => deps.metrics.aggregatedEvents.inc(records),
    });
    const consumer = new KafkaLogConsumer(options, { maxBatch: 1000, maxBuffered: 50_000, warn });
    await consumer.start(aggregator);
    const handle: AggregatorHandle = {
      owned: () => consumer.owned,
      stop: async () => {
        aggregators.delete(handle);
        aggregator.close();
        await consumer.close();
      },
    };
    aggregators.add(handle);
    return handle;
  };
  const producer = log;
  const applied = waiter;
  return {
    store,
    recorder: new LoggedRecorder(producer, applied, kafka.appliedTimeoutMs),
    rebuild: async () => {
      await refuseWhileAggregating(options);
      return raw.rebuild();
    },
    startAggregator,
    close: async () => {
      for (const handle of [...aggregators]) await handle.stop();
      applied.close();
      await producer.close();
      await store.close();
    },
  };
}

/** A rebuild needs the aggregators stopped: it refuses while the group has members. */
async function refuseWhileAggregating(options: KafkaLogOptions): Promise<void> {
  const admin = new Admin({ clientId: `${options.clientId}-admin`, bootstrapBrokers: [...options.brokers] });
  try {
    const groups = await admin.describeGroups({ groups: [options.group] });
    const members = groups.get(options.group)?.members.size ?? 0;
    if (members > 0) {
      throw new RefusedError(
        `rebuild needs the aggregators stopped: consumer group ${options.group} has ${members} member(s). ` +
          "Stop every `eventscore aggregate` (and `serve --aggregate`), run the rebuild, then start them again.",
      );
    }
  } finally {
    await admin.close();
  }
}
