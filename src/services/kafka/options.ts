/** Where the event log lives in Kafka, and how eventscore's clients talk to it. */
export interface KafkaLogOptions {
  /** host:port of some brokers; the clients discover the rest. */
  readonly brokers: readonly string[];
  /** The events topic: one record per event, keyed by user id. */
  readonly topic: string;
  /** The aggregators' consumer group. */
  readonly group: string;
  readonly clientId: string;
  /** Partitions of the topic when eventscore creates it; fixed afterwards (docs/cassandra.md). */
  readonly partitions: number;
  /** Replicas of each partition when eventscore creates the topic (3 in production). */
  readonly replicationFactor: number;
  /** How long the group waits for a silent aggregator before moving its partitions. */
  readonly sessionTimeoutMs?: number;
}
