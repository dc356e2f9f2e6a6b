/**
 * How tests get a real Cassandra, first match wins:
 *  1. CASSANDRA_CONTACT_POINTS (+ CASSANDRA_LOCAL_DC, default datacenter1): an existing cluster.
 *  2. A node already answering on 127.0.0.1:9042 (e.g. `scripts/cassandra.sh start`): reused, never stopped.
 *  3. A Docker engine: a `cassandra:5.0` container from testcontainers (removed when the run ends).
 *  4. JDK 17 + Maven: `scripts/cassandra.sh start`; the global setup stops that node after the run.
 *  5. Nothing: the Cassandra tests are skipped with one warning, except under CI=true, where
 *     a missing Cassandra fails the run.
 * Each test file resolves once (a lazily started singleton per worker process).
 */
import { createClient } from "../../src/store/cassandra/index.js";
import { canRunScript, firstToWarn, portAnswers, startWithScript } from "./local-service.js";

const JAVA_HOME = process.env["CASSANDRA_JAVA_HOME"] ?? "/usr/lib/jvm/java-17-openjdk-amd64";
const HOW_TO_ENABLE =
  "install JDK 17 + Maven (then scripts/cassandra.sh starts a node), run Docker, or set CASSANDRA_CONTACT_POINTS";

export interface CassandraTarget {
  readonly contactPoints: string[];
  readonly localDataCenter: string;
  /** Where it came from, for logs. */
  readonly source: string;
}

let resolved: Promise<CassandraTarget | null> | null = null;

/** The Cassandra for this test process, or null (after one loud warning) when none can be had. */
export function cassandraForTests(): Promise<CassandraTarget | null> {
  resolved ??= resolve();
  return resolved;
}

async function resolve(): Promise<CassandraTarget | null> {
  const dc = process.env["CASSANDRA_LOCAL_DC"] ?? "datacenter1";
  const points = process.env["CASSANDRA_CONTACT_POINTS"];
  if (points)
    return { contactPoints: points.split(",").map((p) => p.trim()), localDataCenter: dc, source: "env" };
  if (await portAnswers("127.0.0.1", 9042)) {
    return { contactPoints: ["127.0.0.1:9042"], localDataCenter: "datacenter1", source: "running node" };
  }
  const docker = await startContainer();
  if (docker) return docker;
  if (await canRunScript("cassandra", JAVA_HOME)) return startLocalNode();
  const why = `no Cassandra for tests: CASSANDRA_CONTACT_POINTS unset, nothing on 127.0.0.1:9042, no Docker engine, no JDK 17 + Maven`;
  if (process.env["CI"] === "true") throw new Error(`${why}. CI requires Cassandra: ${HOW_TO_ENABLE}.`);
  if (firstToWarn("cassandra"))
    console.warn(`\n*** SKIPPING Cassandra tests: ${why}. To enable: ${HOW_TO_ENABLE}. ***\n`);
  return null;
}

async function startContainer(): Promise<CassandraTarget | null> {
  const { getContainerRuntimeClient, GenericContainer, Wait } = await import("testcontainers");
  try {
    await getContainerRuntimeClient();
  } catch {
    return null;
  }
  const container = await new GenericContainer("cassandra:5.0")
    .withExposedPorts(9042)
    .withEnvironment({ MAX_HEAP_SIZE: "1G", HEAP_NEWSIZE: "256M", CASSANDRA_DC: "datacenter1" })
    .withEnvironment({ CASSANDRA_ENDPOINT_SNITCH: "GossipingPropertyFileSnitch" })
    .withWaitStrategy(Wait.forLogMessage(/Starting listening for CQL clients/))
    .withStartupTimeout(240_000)
    .start();
  const contactPoint = `${container.getHost()}:${container.getMappedPort(9042)}`;
  return { contactPoints: [contactPoint], localDataCenter: "datacenter1", source: "testcontainers" };
}

/** `scripts/cassandra.sh start`; the global setup stops the node after the run. */
async function startLocalNode(): Promise<CassandraTarget> {
  await startWithScript("cassandra", () => portAnswers("127.0.0.1", 9042));
  return {
    contactPoints: ["127.0.0.1:9042"],
    localDataCenter: "datacenter1",
    source: "scripts/cassandra.sh",
  };
}

/** A keyspace name unique to one test file in one run; dropped by the file when it ends. */
export function uniqueKeyspace(prefix: string): string {
  return `es_${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
}

/** The environment of a server (EVENTSCORE_STORE=cassandra) on a keyspace of its own. */
export interface ServerKeyspace {
  readonly keyspace: string;
  readonly env: Record<string, string>;
  /** Drops the keyspace (the server must be stopped first). */
  drop(): Promise<void>;
}

export function serverKeyspace(target: CassandraTarget, prefix: string): ServerKeyspace {
  const keyspace = uniqueKeyspace(prefix);
  return {
    keyspace,
    env: {
      EVENTSCORE_STORE: "cassandra",
      CASSANDRA_CONTACT_POINTS: target.contactPoints.join(","),
      CASSANDRA_LOCAL_DC: target.localDataCenter,
      CASSANDRA_KEYSPACE: keyspace,
    },
    drop: async () => {
      const client = createClient({ ...target, keyspace });
      try {
        await client.connect();
        await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
      } finally {
        await client.shutdown();
      }
    },
  };
}
