import { readFileSync } from "node:fs";
import { githubDefaultRules, parseScoringRules, type ScoringRules } from "../domain/scoring.js";
import { ConfigError, EnvReader, type Env } from "./env.js";
import { hardeningConfig, type HardeningConfig } from "./hardening-config.js";

export interface SqliteConfig {
  readonly kind: "sqlite";
  readonly path: string;
  readonly synchronous: "FULL" | "NORMAL";
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
}

export interface Config {
  readonly host: string;
  readonly port: number;
  readonly development: boolean;
  readonly store: SqliteConfig | CassandraConfig;
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
  return {
    host: read.string("HOST", "0.0.0.0"),
    port: read.integer("PORT", 4000, 0, 65535),
    development:
      read.oneOf("NODE_ENV", ["development", "production", "test"] as const, "production") === "development",
    store: storeKind === "sqlite" ? sqliteConfig(read) : cassandraConfig(read),
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
    rankBots: read.boolean("EVENTSCORE_RANK_BOTS", false),
    botAccounts: read.list("EVENTSCORE_BOT_ACCOUNTS", []),
    hardening: hardeningConfig(read, maxBatchSize),
  };
}

function sqliteConfig(read: EnvReader): SqliteConfig {
  return {
    kind: "sqlite",
    path: read.string("EVENTSCORE_SQLITE_PATH", "data/eventscore.db"),
    synchronous: read.oneOf("EVENTSCORE_SQLITE_SYNCHRONOUS", ["FULL", "NORMAL"] as const, "FULL"),
  };
}

function cassandraConfig(read: EnvReader): CassandraConfig {
  const keyspace = read.string("CASSANDRA_KEYSPACE", "eventscore");
  if (!/^[a-zA-Z][a-zA-Z0-9_]{0,47}$/.test(keyspace)) {
    throw new ConfigError("CASSANDRA_KEYSPACE", `"${keyspace}" is not a valid keyspace name`);
  }
  return {
    kind: "cassandra",
    contactPoints: read.list("CASSANDRA_CONTACT_POINTS", ["127.0.0.1:9042"]),
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
