import { cassandraForTests } from "../support/cassandra.js";
import { kafkaForTests, type KafkaTarget } from "../support/kafka.js";
import { canRunScript, scriptInstance, type ScriptInstance } from "../support/local-service.js";

const JAVA_HOME = process.env["CASSANDRA_JAVA_HOME"] ?? "/usr/lib/jvm/java-17-openjdk-amd64";

/**
 * A Cassandra node of its own for a test that stops and restarts it: scripts/cassandra.sh with
 * its own state directory and ports, so the node other test files share is never disturbed.
 */
export interface SecondNode {
  readonly contactPoint: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** SIGKILL: a crash; start() brings it back with its data. */
  kill(): Promise<void>;
  /** Stops the node and deletes its data. */
  destroy(): Promise<void>;
  logTail(): Promise<string>;
}

/** Null when this machine cannot run a node from the script (no JDK 17, or no jars and no Maven). */
export async function secondNodeSupport(): Promise<string | null> {
  return (await canRunScript("cassandra", JAVA_HOME))
    ? null
    : `no JDK at ${JAVA_HOME}, or no Cassandra jars in .cassandra/lib and no Maven to fetch them`;
}

/**
 * For a test of the Kafka pipeline on Cassandra nodes of its own: the shared broker, and why the
 * test cannot run here (null when it can). Under CI=true it must run: a reason is thrown instead.
 * The shared node is resolved first: that also fetches the jars the test's nodes run from.
 */
export async function ownNodesPipeline(
  test: string,
  nodesSupport: () => Promise<string | null>,
): Promise<{ kafka: KafkaTarget | null; unsupported: string | null }> {
  const shared = await cassandraForTests();
  const kafka = await kafkaForTests();
  const unsupported =
    shared === null ? "no Cassandra for tests" : kafka === null ? "no Kafka for tests" : await nodesSupport();
  if (unsupported !== null && process.env["CI"] === "true") throw new Error(`${test}: ${unsupported}`);
  return { kafka, unsupported };
}

export async function createSecondNode(): Promise<SecondNode> {
  const node = await scriptInstance("cassandra", 2, (stateDir, [cqlPort, storagePort]) => ({
    CASSANDRA_STATE_DIR: stateDir,
    CASSANDRA_PORT: String(cqlPort),
    CASSANDRA_STORAGE_PORT: String(storagePort),
    CASSANDRA_JMX_PORT: "off",
    CASSANDRA_HEAP: "768m",
    // This node is SIGKILLed: with the default periodic commitlog sync it would lose up to 10 s
    // of writes it had acknowledged, which no client and no aggregator could detect.
    CASSANDRA_COMMITLOG_SYNC: "batch",
  }));
  return scriptNode(node, `127.0.0.1:${node.ports[0]}`);
}

/** The commands of scripts/cassandra.sh for one node (also each node of a local cluster). */
export function scriptNode(node: ScriptInstance, contactPoint: string): SecondNode {
  return {
    contactPoint,
    start: async () => {
      await node.script("start");
    },
    stop: async () => {
      await node.script("stop");
    },
    kill: async () => {
      await node.script("kill");
    },
    destroy: () => node.destroy(),
    logTail: () => node.logTail(),
  };
}
