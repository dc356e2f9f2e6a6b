import { readFileSync } from "node:fs";
import { githubDefaultRules, parseScoringRules, type ScoringRules } from "../domain/scoring.js";
import { ConfigError, EnvReader, type Env } from "./env.js";
import { nativePortOf } from "../store/cassandra/contact-points.js";
import { keyspaceNameProblem } from "../store/cassandra/keyspace.js";
import { ENVIRONMENTS, hardeningConfig, type HardeningConfig } from "./hardening-config.js";

export interface SqliteConfig {
  readonly kind: "sqlite";
  readonly path: string;
  readonly synchronous: "FULL" | "NORMAL";
  readonly cacheMiB: number;
  readonly mmapMiB: number;
}

export interface CassandraConfig {
  readonly kind: "cassandra";
  readonly contactPoints: string[];
  readonly localDataCenter: string;
  readonly keyspace: string;
  readonly replicationFactor: number;
  readonly consistency: "LOCAL_QUORUM" | "QUORUM" | "LOCAL_ONE" | "ONE" | "ALL";
  readonly username: string | null;
  readonly password: string | null;
  readonly migrate: boolean;
  /** EVENTSCORE_DAY_SPLIT_EVENTS: a user's events per UTC day in one history partition (cql/008). */
  readonly daySplitEvents: number;
}

/** Where ingest writes: the store itself (embedded), or the Kafka log that aggregators apply. */
export type LogConfig =
  | { readonly kind: "direct" }
  | {
      readonly kind: "kafka";
      readonly brokers: string[];
      readonly topic: string;
      readonly group: string;
      readonly clientId: string;
      /** Partitions when eventscore creates the topic; fixed afterwards. */
      readonly partitions: number;
      readonly replicationFactor: number;
      readonly sessionTimeoutMs: number;
      /** Longest wait of `wait: APPLIED` before answering as DURABLE. */
      readonly appliedTimeoutMs: number;
    };

export interface Config {
  readonly host: string;
  readonly port: number;
  readonly development: boolean;
  readonly store: SqliteConfig | CassandraConfig;
  readonly log: LogConfig;
  readonly pubsub: { readonly kind: "memory" } | { readonly kind: "redis"; readonly url: string };
  readonly rules: ScoringRules;
  readonly maxBatchSize: number;
  readonly maxPayloadBytes: number;
  /** How far past now an event's occurredAt may lie. */
  readonly maxFutureSkewMs: number;
  readonly maxBodyBytes: number;
  readonly maxPageSize: number;
  readonly maxReportDays: number;
  readonly leaderboardIntervalMs: number;
  /** Live-update limits over WebSocket: see README "Live updates". */
  readonly live: LiveConfig;
  readonly rankBots: boolean;
  readonly botAccounts: readonly string[];
  /** Auth, request limits, shutdown and logging: see README "Production". */
  readonly hardening: HardeningConfig;
}

/** Reads and validates the whole configuration; throws ConfigError naming the first bad variable. */
export function loadConfig(env: Env = process.env): Config {
  const read = new EnvReader(env);
  const storeKind = read.oneOf("EVENTSCORE_STORE", ["sqlite", "cassandra"] as const, "sqlite");
  const pubsubKind = read.oneOf("EVENTSCORE_PUBSUB", ["memory", "redis"] as const, "memory");
  const maxBatchSize = read.integer("EVENTSCORE_MAX_BATCH_SIZE", 1000, 1, 100_000);
  // Read before NODE_ENV, as they always were, so a bad value is still reported in the same order.
  const host = read.string("HOST", "0.0.0.0");
  const port = read.integer("PORT", 4000, 0, 65535);
  const environment = read.oneOf("NODE_ENV", ENVIRONMENTS, "production");
  return {
    host,
    port,
    development: environment === "development",
    store: storeKind === "sqlite" ? sqliteConfig(read) : cassandraConfig(read),
    log: logConfig(read, storeKind),
    pubsub:
      pubsubKind === "memory"
        ? { kind: "memory" }
        : { kind: "redis", url: read.string("REDIS_URL", "redis://127.0.0.1:6379") },
    rules: scoringRules(read),
    maxBatchSize,
    maxPayloadBytes: read.integer("EVENTSCORE_MAX_PAYLOAD_BYTES", 65_536, 0, 16_777_216),
    maxFutureSkewMs: read.duration("EVENTSCORE_MAX_FUTURE_SKEW", 86_400_000, 0, 3_650 * 86_400_000),
    maxBodyBytes: read.integer("EVENTSCORE_MAX_BODY_BYTES", 16_777_216, 1024, 1_073_741_824),
    maxPageSize: read.integer("EVENTSCORE_MAX_PAGE_SIZE", 100, 1, 10_000),
    maxReportDays: read.integer("EVENTSCORE_MAX_REPORT_DAYS", 366, 1, 36_600),
    leaderboardIntervalMs: read.integer("EVENTSCORE_LEADERBOARD_INTERVAL_MS", 1000, 0, 3_600_000),
    live: liveConfig(read),
    rankBots: read.boolean("EVENTSCORE_RANK_BOTS", false),
    botAccounts: read.list("EVENTSCORE_BOT_ACCOUNTS", []),
    hardening: hardeningConfig(read, { maxBatchSize, environment }),
  };
}

export interface LiveConfig {
  /** Most graphql-ws sockets per API key, or per client address without a key (close 4420). */
  readonly maxSocketsPerClient: number;
  /** Most subscriptions on one socket (TOO_MANY_SUBSCRIPTIONS). */
  readonly maxSubscriptionsPerSocket: number;
  /** Most subscriptions on this instance (TOO_MANY_SUBSCRIPTIONS). */
  readonly maxSubscriptions: number;
  /** Most bytes waiting to be written to one socket before it is closed as slow (4421). */
  readonly maxBufferedBytes: number;
}

function liveConfig(read: EnvReader): LiveConfig {
  return {
    maxSocketsPerClient: read.integer("EVENTSCORE_WS_MAX_SOCKETS_PER_CLIENT", 1000, 1, 10_000_000),
    maxSubscriptionsPerSocket: read.integer("EVENTSCORE_WS_MAX_SUBSCRIPTIONS_PER_SOCKET", 100, 1, 1_000_000),
    maxSubscriptions: read.integer("EVENTSCORE_MAX_SUBSCRIPTIONS", 100_000, 1, 100_000_000),
    maxBufferedBytes: read.integer("EVENTSCORE_WS_MAX_BUFFERED_BYTES", 1_048_576, 1024, 1_073_741_824),
  };
}

function sqliteConfig(read: EnvReader): SqliteConfig {
  return {
    kind: "sqlite",
    path: read.string("EVENTSCORE_SQLITE_PATH", "data/eventscore.db"),
    synchronous: read.oneOf("EVENTSCORE_SQLITE_SYNCHRONOUS", ["FULL", "NORMAL"] as const, "FULL"),
    cacheMiB: read.integer("EVENTSCORE_SQLITE_CACHE_MB", 64, 2, 65_536),
    mmapMiB: read.integer("EVENTSCORE_SQLITE_MMAP_MB", 256, 0, 1_048_576),
  };
}

function cassandraConfig(read: EnvReader): CassandraConfig {
  const keyspace = read.string("CASSANDRA_KEYSPACE", "eventscore");
  const keyspaceProblem = keyspaceNameProblem(keyspace);
  if (keyspaceProblem !== null) throw new ConfigError("CASSANDRA_KEYSPACE", keyspaceProblem);
  const contactPoints = read.list("CASSANDRA_CONTACT_POINTS", ["127.0.0.1:9042"]);
  try {
    nativePortOf(contactPoints);
  } catch (error) {
    throw new ConfigError("CASSANDRA_CONTACT_POINTS", (error as Error).message);
  }
  return {
    kind: "cassandra",
    contactPoints,
    localDataCenter: read.string("CASSANDRA_LOCAL_DC", "datacenter1"),
    keyspace,
    replicationFactor: read.integer("CASSANDRA_REPLICATION_FACTOR", 1, 1, 99),
    consistency: read.oneOf(
      "CASSANDRA_CONSISTENCY",
      ["LOCAL_QUORUM", "QUORUM", "LOCAL_ONE", "ONE", "ALL"] as const,
      "LOCAL_QUORUM",
    ),
    username: read.optionalString("CASSANDRA_USERNAME"),
    password: read.optionalString("CASSANDRA_PASSWORD"),
    migrate: read.boolean("CASSANDRA_MIGRATE", true),
    daySplitEvents: read.integer("EVENTSCORE_DAY_SPLIT_EVENTS", 100_000, 1, 1_000_000_000),
  };
}

function logConfig(read: EnvReader, storeKind: "sqlite" | "cassandra"): LogConfig {
  const kind = read.oneOf(
    "EVENTSCORE_LOG",
    ["direct", "kafka"] as const,
    storeKind === "sqlite" ? "direct" : "kafka",
  );
  if (kind === "direct") {
    if (storeKind === "cassandra") {
      throw new ConfigError(
        "EVENTSCORE_LOG",
        "the Cassandra store is written only by aggregators from the Kafka log: use EVENTSCORE_LOG=kafka",
      );
    }
    return { kind };
  }
  if (storeKind === "sqlite") {
    throw new ConfigError(
      "EVENTSCORE_LOG",
      "kafka needs EVENTSCORE_STORE=cassandra; the embedded store writes directly",
    );
  }
  const topic = read.string("KAFKA_TOPIC", "eventscore.events");
  if (!/^[A-Za-z0-9._-]{1,249}$/.test(topic)) {
    throw new ConfigError("KAFKA_TOPIC", `"${topic}" is not a valid topic name (letters, digits, . _ -)`);
  }
  return {
    kind,
    brokers: read.list("KAFKA_BROKERS", ["127.0.0.1:9092"]),
    topic,
    group: read.string("KAFKA_GROUP", "eventscore-aggregators"),
    clientId: read.string("KAFKA_CLIENT_ID", "eventscore"),
    partitions: read.integer("KAFKA_PARTITIONS", 12, 1, 10_000),
    replicationFactor: read.integer("KAFKA_REPLICATION_FACTOR", 1, 1, 99),
    sessionTimeoutMs: read.integer("KAFKA_SESSION_TIMEOUT_MS", 10_000, 1_000, 600_000),
    appliedTimeoutMs: read.integer("EVENTSCORE_APPLIED_TIMEOUT_MS", 10_000, 100, 600_000),
  };
}

function scoringRules(read: EnvReader): ScoringRules {
  const file = read.optionalString("EVENTSCORE_WEIGHTS_FILE");
  const defaults = githubDefaultRules();
  const fallbackWeight = read.integer("EVENTSCORE_DEFAULT_WEIGHT", defaults.defaultWeight, 0, 1_000_000);
  if (file === null) return { weights: defaults.weights, defaultWeight: fallbackWeight };
  let document: unknown;
  try {
    document = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new ConfigError(
      "EVENTSCORE_WEIGHTS_FILE",
      `cannot read ${file} as JSON: ${(error as Error).message}`,
    );
  }
  try {
    return parseScoringRules(document);
  } catch (error) {
    throw new ConfigError("EVENTSCORE_WEIGHTS_FILE", `${file}: ${(error as Error).message}`);
  }
}
