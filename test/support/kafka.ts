/**
 * How tests get a real Kafka broker, first match wins:
 *  1. KAFKA_BROKERS (comma-separated host:port): an existing cluster.
 *  2. A broker already answering on 127.0.0.1:9092 (e.g. `scripts/kafka.sh start`): reused, never stopped.
 *  3. A Docker engine: an `apache/kafka:4.1.1` container from testcontainers (removed when the run ends).
 *  4. JDK 17 + Maven: `scripts/kafka.sh start`; the global setup stops that broker after the run.
 *  5. Nothing: the Kafka tests are skipped with one warning, except under CI=true, where a missing
 *     Kafka fails the run.
 * Each test file resolves once (a lazily started singleton per worker process).
 *
 * Also: createTestTopic (a topic of its own per test) and privateBroker (a broker of its own, on
 * other ports and another state directory, for tests that kill and restart it).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Admin } from "@platformatic/kafka";
import { freePort } from "./child-server.js";
import { canRunScript, firstToWarn, portAnswers, scriptInstance, startWithScript } from "./local-service.js";

const JAVA_HOME = process.env["KAFKA_JAVA_HOME"] ?? "/usr/lib/jvm/java-17-openjdk-amd64";
const IMAGE = "apache/kafka:4.1.1";
const LOCAL = "127.0.0.1:9092";
const HOW_TO_ENABLE =
  "install JDK 17 + Maven (then scripts/kafka.sh starts a broker), run Docker, or set KAFKA_BROKERS";

export interface KafkaTarget {
  readonly brokers: string[];
  /** Where it came from, for logs. */
  readonly source: string;
}

let resolved: Promise<KafkaTarget | null> | null = null;

/** The Kafka for this test process, or null (after one loud warning) when none can be had. */
export function kafkaForTests(): Promise<KafkaTarget | null> {
  resolved ??= resolve();
  return resolved;
}

async function resolve(): Promise<KafkaTarget | null> {
  const env = process.env["KAFKA_BROKERS"];
  if (env) return { brokers: env.split(",").map((b) => b.trim()), source: "env" };
  if (await localBrokerAnswers()) return { brokers: [LOCAL], source: "running broker" };
  const docker = await startContainer();
  if (docker) return docker;
  if (await canRunScript("kafka", JAVA_HOME)) {
    await startWithScript("kafka", localBrokerAnswers);
    return { brokers: [LOCAL], source: "scripts/kafka.sh" };
  }
  const why = `no Kafka for tests: KAFKA_BROKERS unset, nothing on ${LOCAL}, no Docker engine, no JDK 17 + Maven`;
  if (process.env["CI"] === "true") throw new Error(`${why}. CI requires Kafka: ${HOW_TO_ENABLE}.`);
  if (firstToWarn("kafka"))
    console.warn(`\n*** SKIPPING Kafka tests: ${why}. To enable: ${HOW_TO_ENABLE}. ***\n`);
  return null;
}

/** Open port and a Metadata answer: something else listening on 9092 is an error, not a broker. */
async function localBrokerAnswers(): Promise<boolean> {
  if (!(await portAnswers("127.0.0.1", 9092))) return false;
  const admin = new Admin({ clientId: "eventscore-test-probe", bootstrapBrokers: [LOCAL], retries: 2 });
  try {
    await admin.metadata({ topics: [] });
    return true;
  } catch (error) {
    throw new Error(`${LOCAL} accepts connections but does not answer as a Kafka broker`, { cause: error });
  } finally {
    await admin.close();
  }
}

/**
 * apache/kafka in KRaft mode. The broker must advertise an address the tests can reach, which is
 * only known from the host side: it listens on a free host port that is mapped to the same port.
 */
async function startContainer(): Promise<KafkaTarget | null> {
  const { getContainerRuntimeClient, GenericContainer, Wait } = await import("testcontainers");
  let host: string;
  try {
    host = (await getContainerRuntimeClient()).info.containerRuntime.host;
  } catch {
    return null;
  }
  const port = await freePort();
  await new GenericContainer(IMAGE)
    .withExposedPorts({ container: port, host: port })
    .withEnvironment({
      ...SINGLE_NODE_ENV,
      KAFKA_LISTENERS: `PLAINTEXT://:${port},CONTROLLER://:9093`,
      KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://${host}:${port}`,
    })
    .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
    .withStartupTimeout(180_000)
    .start();
  return { brokers: [`${host}:${port}`], source: "testcontainers" };
}

/** The settings of kafka/conf/server.properties, as the apache/kafka image takes them (as in docker-compose.yml). */
const SINGLE_NODE_ENV = {
  KAFKA_NODE_ID: "1",
  KAFKA_PROCESS_ROLES: "broker,controller",
  KAFKA_CONTROLLER_QUORUM_VOTERS: "1@localhost:9093",
  KAFKA_CONTROLLER_LISTENER_NAMES: "CONTROLLER",
  KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
  KAFKA_AUTO_CREATE_TOPICS_ENABLE: "false",
  KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: "1",
  KAFKA_OFFSETS_TOPIC_NUM_PARTITIONS: "4",
  KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: "1",
  KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: "1",
  KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: "0",
  KAFKA_GROUP_MIN_SESSION_TIMEOUT_MS: "1000",
  KAFKA_BROKER_HEARTBEAT_INTERVAL_MS: "500",
  KAFKA_BROKER_SESSION_TIMEOUT_MS: "3000",
  KAFKA_HEAP_OPTS: "-Xms512m -Xmx512m",
};

/** A topic of one test file, with a name no other file or run uses. */
export interface TestTopic {
  readonly name: string;
  readonly partitions: number;
  /** Deletes the topic (call it when the file ends). */
  delete(): Promise<void>;
}

export async function createTestTopic(
  target: KafkaTarget,
  prefix: string,
  partitions: number,
): Promise<TestTopic> {
  const name = `es-test-${prefix}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const admin = new Admin({ clientId: "eventscore-test-admin", bootstrapBrokers: target.brokers });
  try {
    await admin.createTopics({ topics: [name], partitions, replicas: 1 });
  } finally {
    await admin.close();
  }
  return {
    name,
    partitions,
    delete: async () => {
      const cleanup = new Admin({ clientId: "eventscore-test-admin", bootstrapBrokers: target.brokers });
      try {
        await cleanup.deleteTopics({ topics: [name] });
      } finally {
        await cleanup.close();
      }
    },
  };
}

/**
 * A broker of its own for a test that kills and restarts it: scripts/kafka.sh with its own state
 * directory and free ports, so the broker other test files share is never disturbed.
 */
export interface PrivateBroker {
  readonly brokers: string[];
  start(): Promise<void>;
  /** SIGTERM: a clean shutdown. */
  stop(): Promise<void>;
  /** SIGKILL: a crash; the next start recovers the log. */
  kill(): Promise<void>;
  /** SIGKILL sent synchronously (from inside a callback, at an exact point of a test). */
  killNow(): void;
  /** kill() then start(). */
  restart(): Promise<void>;
  /** Stops the broker and deletes its state directory. */
  destroy(): Promise<void>;
  logTail(): Promise<string>;
}

/** Null when this machine can run a broker from the script, else why not. */
export async function privateBrokerSupport(): Promise<string | null> {
  return (await canRunScript("kafka", JAVA_HOME))
    ? null
    : `no JDK at ${JAVA_HOME}, or no Kafka jars in .kafka/lib and no Maven to fetch them`;
}

export async function privateBroker(): Promise<PrivateBroker> {
  const broker = await scriptInstance("kafka", 2, (stateDir, [port, controllerPort]) => ({
    KAFKA_STATE_DIR: stateDir,
    KAFKA_PORT: String(port),
    KAFKA_CONTROLLER_PORT: String(controllerPort),
  }));
  return {
    brokers: [`127.0.0.1:${broker.ports[0]}`],
    start: async () => {
      await broker.script("start");
    },
    stop: async () => {
      await broker.script("stop");
    },
    kill: async () => {
      await broker.script("kill");
    },
    killNow: () => {
      process.kill(Number(readFileSync(join(broker.stateDir, "kafka.pid"), "utf8")), "SIGKILL");
    },
    restart: async () => {
      await broker.script("kill");
      await broker.script("start");
    },
    destroy: () => broker.destroy(),
    logTail: () => broker.logTail(),
  };
}

/** Deletes a test's topic when the test ends; a broker that is gone already is no error. */
export async function deleteTestTopic(brokers: readonly string[], topic: string): Promise<void> {
  const admin = new Admin({ clientId: "eventscore-test-admin", bootstrapBrokers: [...brokers] });
  try {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  } finally {
    await admin.close();
  }
}
