import { parseApiKeys, type ApiKey } from "./api-keys.js";
import { ConfigError, type EnvReader } from "./env.js";
import { LOG_LEVELS, type LogLevel } from "./logger.js";

/** The values of NODE_ENV; anything else is a configuration error. */
export const ENVIRONMENTS = ["development", "production", "test"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/** Settings loadConfig has already read, so each variable is read in one place only. */
export interface HardeningInputs {
  /** EVENTSCORE_MAX_BATCH_SIZE: the ingest burst must let a full batch through. */
  readonly maxBatchSize: number;
  /** NODE_ENV. */
  readonly environment: Environment;
}

/** Production settings: who may call, how much one request may ask, how the server stops and logs. */
export interface HardeningConfig {
  /** NODE_ENV; production without API keys logs a loud warning at start. */
  readonly environment: Environment;
  readonly apiKeys: readonly ApiKey[];
  readonly queriesRequireKey: boolean;
  /** Events per second per key (per address for anonymous callers); 0 turns the limit off. */
  readonly ingestRateLimit: number;
  /** Events a caller may send at once after being idle; at least the largest batch. */
  readonly ingestBurst: number;
  readonly maxDepth: number;
  readonly maxCost: number;
  /** Most aliased fields in one operation. */
  readonly maxAliases: number;
  /** Most lexical tokens in one GraphQL document; parsing stops at the next one. */
  readonly maxTokens: number;
  /** Most time one query or mutation's resolvers may hold the event loop, in total. */
  readonly maxCpuMs: number;
  /** Most messages one WebSocket may send in a second; the socket is closed past it. */
  readonly wsMaxMessagesPerSecond: number;
  readonly requestTimeoutMs: number;
  readonly shutdownTimeoutMs: number;
  readonly introspection: boolean;
  readonly graphiql: boolean;
  readonly logLevel: LogLevel;
}

export function hardeningConfig(
  read: EnvReader,
  { maxBatchSize, environment }: HardeningInputs,
): HardeningConfig {
  const ingestRateLimit = read.integer("EVENTSCORE_INGEST_RATE_LIMIT", 0, 0, 10_000_000);
  const ingestBurst = read.integer(
    "EVENTSCORE_INGEST_BURST",
    Math.max(ingestRateLimit, maxBatchSize),
    1,
    100_000_000,
  );
  if (ingestRateLimit > 0 && ingestBurst < maxBatchSize) {
    throw new ConfigError(
      "EVENTSCORE_INGEST_BURST",
      `${ingestBurst} is below EVENTSCORE_MAX_BATCH_SIZE (${maxBatchSize}): a full batch could never pass`,
    );
  }
  return {
    environment,
    apiKeys: apiKeys(read),
    queriesRequireKey: read.boolean("EVENTSCORE_QUERIES_REQUIRE_KEY", false),
    ingestRateLimit,
    ingestBurst,
    maxDepth: read.integer("EVENTSCORE_MAX_DEPTH", 12, 1, 1000),
    maxCost: read.integer("EVENTSCORE_MAX_COST", 10_000, 1, 1_000_000_000),
    maxAliases: read.integer("EVENTSCORE_MAX_ALIASES", 100, 0, 1_000_000),
    maxTokens: read.integer("EVENTSCORE_MAX_TOKENS", 2000, 10, 10_000_000),
    maxCpuMs: read.integer("EVENTSCORE_MAX_CPU_MS", 1000, 1, 3_600_000),
    wsMaxMessagesPerSecond: read.integer("EVENTSCORE_WS_MAX_MESSAGES_PER_SECOND", 50, 1, 1_000_000),
    requestTimeoutMs: read.integer("EVENTSCORE_REQUEST_TIMEOUT_MS", 30_000, 1, 3_600_000),
    shutdownTimeoutMs: read.integer("EVENTSCORE_SHUTDOWN_TIMEOUT_MS", 10_000, 0, 3_600_000),
    introspection: read.boolean("EVENTSCORE_INTROSPECTION", true),
    graphiql: read.boolean("EVENTSCORE_GRAPHIQL", true),
    logLevel: read.oneOf("EVENTSCORE_LOG_LEVEL", LOG_LEVELS, "info"),
  };
}

function apiKeys(read: EnvReader): ApiKey[] {
  try {
    return parseApiKeys(read.list("EVENTSCORE_API_KEYS", []));
  } catch (error) {
    throw new ConfigError("EVENTSCORE_API_KEYS", (error as Error).message);
  }
}
