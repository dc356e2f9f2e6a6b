import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "../support/child-server.js";

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, "../..");
const SCRIPT = join(ROOT, "scripts/cassandra.sh");
const JAVA_HOME = process.env["CASSANDRA_JAVA_HOME"] ?? "/usr/lib/jvm/java-17-openjdk-amd64";

/**
 * A Cassandra node of its own for a test that stops and restarts it: scripts/cassandra.sh with
 * its own state directory and ports, so the node other test files share is never disturbed.
 */
export interface SecondNode {
  readonly contactPoint: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Stops the node and deletes its data. */
  destroy(): Promise<void>;
  logTail(): Promise<string>;
}

/** Null when this machine cannot run a node from the script (no JDK 17, or no jars and no Maven). */
export async function secondNodeSupport(): Promise<string | null> {
  if (!existsSync(join(JAVA_HOME, "bin/java"))) return `no JDK at ${JAVA_HOME}`;
  if (existsSync(join(ROOT, ".cassandra/lib"))) return null;
  try {
    await run("sh", ["-c", "command -v mvn"]);
    return null;
  } catch {
    return "no Cassandra jars in .cassandra/lib and no Maven to fetch them";
  }
}

export async function createSecondNode(): Promise<SecondNode> {
  const stateDir = mkdtempSync(join(tmpdir(), "eventscore-cassandra-2-"));
  const cqlPort = await freePort();
  let storagePort = await freePort();
  while (storagePort === cqlPort) storagePort = await freePort();
  const env = {
    ...process.env,
    CASSANDRA_STATE_DIR: stateDir,
    CASSANDRA_PORT: String(cqlPort),
    CASSANDRA_STORAGE_PORT: String(storagePort),
    CASSANDRA_JMX_PORT: "off",
    CASSANDRA_HEAP: "768m",
  };
  const script = async (command: string, ...args: string[]): Promise<string> => {
    const { stdout, stderr } = await run("bash", [SCRIPT, command, ...args], {
      cwd: ROOT,
      env,
      timeout: 600_000,
    });
    return `${stdout}${stderr}`;
  };
  return {
    contactPoint: `127.0.0.1:${cqlPort}`,
    start: async () => {
      await script("start");
    },
    stop: async () => {
      await script("stop");
    },
    destroy: async () => {
      try {
        await script("stop");
      } finally {
        rmSync(stateDir, { recursive: true, force: true });
      }
    },
    logTail: () => script("logs", "60").catch((error: unknown) => String(error)),
  };
}
