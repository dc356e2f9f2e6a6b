/**
 * The production write path assembled in a test process: a Kafka log (real broker), aggregators
 * (real consumer-group members) applying to the log-fed Cassandra store, and an APPLIED waiter.
 * `asEventStore()` makes it an EventStore, so the store contract runs through it unchanged.
 */
import { ChangeFeed } from "../../src/services/live/change-feed.js";
import { Aggregator } from "../../src/services/log/aggregator.js";
import { AppliedWaiter } from "../../src/services/log/applied-waiter.js";
import { LoggedRecorder } from "../../src/services/log/logged-recorder.js";
import { appliedChannel } from "../../src/services/log/notices.js";
import type { AppliedNotice } from "../../src/services/log/ports.js";
import { KafkaLogConsumer } from "../../src/services/kafka/kafka-consumer.js";
import { KafkaEventLog } from "../../src/services/kafka/kafka-log.js";
import type { KafkaLogOptions } from "../../src/services/kafka/options.js";
import { InProcessPubSub, type PubSub } from "../../src/services/pubsub.js";
import type { CassandraLogFedStore } from "../../src/store/cassandra/log-fed-store.js";
import type { EventStore } from "../../src/store/port.js";
import type { KafkaTarget } from "./kafka.js";

export interface RunningAggregator {
  readonly aggregator: Aggregator;
  readonly consumer: KafkaLogConsumer;
  stop(): Promise<void>;
}

export interface KafkaPipeline {
  readonly options: KafkaLogOptions;
  readonly log: KafkaEventLog;
  readonly recorder: LoggedRecorder;
  readonly pubsub: PubSub;
  readonly aggregators: RunningAggregator[];
  startAggregator(): Promise<RunningAggregator>;
  stopAggregators(): Promise<void>;
  asEventStore(store: CassandraLogFedStore): EventStore;
  close(): Promise<void>;
}

const quiet = (): void => undefined;

export async function startKafkaPipeline(
  target: KafkaTarget,
  topic: { name: string; partitions: number },
  store: CassandraLogFedStore,
  settings: {
    pubsub?: PubSub;
    group?: string;
    warn?: (message: string, error?: unknown) => void;
    /** Aggregators hand notices to this process's waiter directly, as `serve --aggregate` does. */
    localNotices?: boolean;
  } = {},
): Promise<KafkaPipeline> {
  const options: KafkaLogOptions = {
    brokers: target.brokers,
    topic: topic.name,
    group: settings.group ?? `${topic.name}-aggregators`,
    clientId: "eventscore-test",
    partitions: topic.partitions,
    replicationFactor: 1,
    sessionTimeoutMs: 6_000,
  };
  const warn = settings.warn ?? quiet;
  const pubsub = settings.pubsub ?? new InProcessPubSub();
  const log = await KafkaEventLog.open(options);
  const channel = appliedChannel(topic.name);
  const waiter = new AppliedWaiter(pubsub, store, { channel, pollMs: 200, recentMs: 10_000, warn });
  waiter.start();
  const recorder = new LoggedRecorder(log, waiter, 60_000);
  const aggregators: RunningAggregator[] = [];
  const feed = new ChangeFeed(pubsub, quiet);

  const startAggregator = async (): Promise<RunningAggregator> => {
    const aggregator = new Aggregator(store, pubsub, feed, {
      channel,
      warn,
      ...(settings.localNotices ? { localNotice: (notice: AppliedNotice) => waiter.noticed(notice) } : {}),
    });
    const consumer = new KafkaLogConsumer(options, { maxBatch: 500, maxBuffered: 20_000, warn });
    await consumer.start(aggregator);
    const running: RunningAggregator = {
      aggregator,
      consumer,
      stop: async () => {
        aggregator.close();
        await consumer.close();
        aggregators.splice(aggregators.indexOf(running), 1);
      },
    };
    aggregators.push(running);
    return running;
  };
  const stopAggregators = async (): Promise<void> => {
    for (const running of [...aggregators]) await running.stop();
  };

  return {
    options,
    log,
    recorder,
    pubsub,
    aggregators,
    startAggregator,
    stopAggregators,
    asEventStore: (s) => ({
      kind: s.kind,
      migrate: () => s.migrate(),
      ping: () => s.ping(),
      close: () => s.close(),
      append: async (events) => {
        const recorded = await recorder.record(events, "APPLIED");
        if (!recorded.applied) throw new Error("the aggregators did not apply the events in time");
        return [...recorded.outcomes];
      },
      // On the log path the aggregator publishes the changes of what it applied (aggregator.ts).
      appendWithChanges: () => Promise.reject(new Error("the log path has no direct writes")),
      history: (query) => s.history(query),
      tallies: (users, period) => s.tallies(users, period),
      leaderboard: (query) => s.leaderboard(query),
      standings: (users, period, type, scope) => s.standings(users, period, type, scope),
      leaderboardBefore: (query) => s.leaderboardBefore(query),
      histories: (users, query) => s.histories(users, query),
      reportCells: (day, scope) => s.reportCells(day, scope),
      reportRollups: (days, scope, users) => s.reportRollups(days, scope, users),
      reportMonthRollups: (months, scope, users) => s.reportMonthRollups(months, scope, users),
      rebuildAggregates: async () => {
        const count = aggregators.length;
        await stopAggregators();
        const read = await s.rebuild();
        for (let i = 0; i < count; i++) await startAggregator();
        return read;
      },
    }),
    close: async () => {
      await stopAggregators();
      waiter.close();
      await log.close();
      if (!settings.pubsub) await pubsub.close();
    },
  };
}
