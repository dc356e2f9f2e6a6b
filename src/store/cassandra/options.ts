import cassandra from "cassandra-driver";
import { nativePortOf } from "./contact-points.js";

const { Client, policies, types } = cassandra;
type Client = InstanceType<typeof Client>;

/** Keyspace replication, as in CREATE KEYSPACE ... WITH replication = {...}. */
export type Replication =
  | { readonly class: "SimpleStrategy"; readonly replicationFactor: number }
  /** Replicas per data center, e.g. { datacenter1: 3 }. */
  | { readonly class: "NetworkTopologyStrategy"; readonly dataCenters: Readonly<Record<string, number>> };

/** Consistency levels that make sense for this store (names as in CQL). */
export type ConsistencyName = "ONE" | "LOCAL_ONE" | "LOCAL_QUORUM" | "QUORUM" | "EACH_QUORUM" | "ALL";

export interface CassandraStoreOptions {
  readonly contactPoints: string[];
  /** Requests go to this data center first (token-aware within it). */
  readonly localDataCenter: string;
  /** Default `eventscore`. Letters, digits and underscores. */
  readonly keyspace: string;
  /** Used only when the keyspace is created. Default SimpleStrategy, replication factor 1 (dev). */
  readonly replication?: Replication;
  /** Shorthand for SimpleStrategy with this factor; ignored when `replication` is given. */
  readonly replicationFactor?: number;
  /** Reads and writes. Default LOCAL_QUORUM: with it a completed append is seen by every later read. */
  readonly consistency?: ConsistencyName;
  /** Serial consistency of lightweight transactions (migrations' lease). Default LOCAL_SERIAL. */
  readonly serialConsistency?: "SERIAL" | "LOCAL_SERIAL";
  readonly username?: string;
  readonly password?: string;
  /** Run the migrations when the store is created. Default true. */
  readonly migrate?: boolean;
  /** Requests in flight at once for bulk work (one append, a rebuild). Default 64. */
  readonly concurrency?: number;
  /**
   * A user's events per UTC day kept in its events_by_user_day partition; the day's later events
   * go to quarters of an hour (cql/008), so no history partition grows past it. Default 100 000.
   * Safe to change between runs: a record's row is placed once, when it is first counted.
   */
  readonly daySplitEvents?: number;
}

export const DEFAULT_KEYSPACE = "eventscore";
export const DEV_REPLICATION: Replication = { class: "SimpleStrategy", replicationFactor: 1 };

/** The CQL map literal of a replication setting. */
export function replicationCql(replication: Replication): string {
  if (replication.class === "SimpleStrategy") {
    const rf = replication.replicationFactor;
    if (!Number.isInteger(rf) || rf < 1) throw new Error("replicationFactor must be a positive integer");
    return `{'class': 'SimpleStrategy', 'replication_factor': ${rf}}`;
  }
  const entries = Object.entries(replication.dataCenters);
  if (entries.length === 0) throw new Error("NetworkTopologyStrategy needs at least one data center");
  const parts = entries.map(([dc, rf]) => {
    if (!/^[A-Za-z0-9_.-]+$/.test(dc) || !Number.isInteger(rf) || rf < 1) {
      throw new Error(`invalid replication entry ${dc}: ${rf}`);
    }
    return `'${dc}': ${rf}`;
  });
  return `{'class': 'NetworkTopologyStrategy', ${parts.join(", ")}}`;
}

/**
 * Retries a write that timed out once, but only for statements marked idempotent: the driver
 * asks the policy about write timeouts only when `isIdempotent` is true, and we never set it on
 * counter updates or LWTs (a timed-out LWT is resolved by a SERIAL read instead, see append.ts).
 */
class IdempotentWriteRetryPolicy extends policies.retry.RetryPolicy {
  override onWriteTimeout(
    info: Parameters<InstanceType<typeof policies.retry.RetryPolicy>["onWriteTimeout"]>[0],
    consistency: number,
    received: number,
    blockFor: number,
    writeType: string,
  ): ReturnType<InstanceType<typeof policies.retry.RetryPolicy>["onWriteTimeout"]> {
    const retryable = writeType === "SIMPLE" || writeType === "BATCH" || writeType === "UNLOGGED_BATCH";
    if (info.nbRetry === 0 && (retryable || writeType === "BATCH_LOG"))
      return this.retryResult(consistency, true);
    return super.onWriteTimeout(info, consistency, received, blockFor, writeType);
  }
}

export function consistencyOf(name: ConsistencyName | "SERIAL" | "LOCAL_SERIAL"): number {
  const value = types.consistencies[camel(name)];
  if (typeof value !== "number") throw new Error(`unknown consistency ${name}`);
  return value;
}

function camel(name: string): keyof typeof types.consistencies {
  const [head = "", ...rest] = name.toLowerCase().split("_");
  return (head +
    rest.map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join("")) as keyof typeof types.consistencies;
}

/** A driver client: token-aware routing to the local DC, prepared statements, no blind retries. */
export function createClient(options: CassandraStoreOptions): Client {
  return new Client(clientOptions(options));
}

/** The driver options of createClient. */
export function clientOptions(options: CassandraStoreOptions): cassandra.ClientOptions {
  const credentials =
    options.username !== undefined
      ? { username: options.username, password: options.password ?? "" }
      : undefined;
  return {
    contactPoints: options.contactPoints,
    localDataCenter: options.localDataCenter,
    ...(credentials ? { credentials } : {}),
    policies: {
      // DefaultLoadBalancingPolicy is token-aware and prefers replicas in the local data center.
      loadBalancing: new policies.loadBalancing.DefaultLoadBalancingPolicy({
        localDc: options.localDataCenter,
      }),
      retry: new IdempotentWriteRetryPolicy(),
      // The driver's default backoff grows to 10 minutes; an API should be back within seconds
      // of its database, so retry a lost node every 1 s at first and at least every 30 s.
      reconnection: new policies.reconnection.ExponentialReconnectionPolicy(1_000, 30_000, false),
    },
    queryOptions: {
      prepare: true,
      consistency: consistencyOf(options.consistency ?? "LOCAL_QUORUM"),
      serialConsistency: consistencyOf(options.serialConsistency ?? "LOCAL_SERIAL"),
      // Statements are non-idempotent unless a call says otherwise: counters must never be retried.
      isIdempotent: false,
      fetchSize: 1000,
    },
    protocolOptions: { port: nativePortOf(options.contactPoints), maxSchemaAgreementWaitSeconds: 30 },
    socketOptions: { readTimeout: 20_000, connectTimeout: 10_000 },
  };
}

export type { Client };
