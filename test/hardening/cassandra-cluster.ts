/**
 * A local Cassandra cluster for tests: one node per loopback address (127.0.0.1, .2, …), each
 * started by scripts/cassandra.sh with a state directory of its own, all on the same CQL and
 * storage ports (free on every address, so neither the shared node on 9042/7000 nor another
 * run's cluster is disturbed). Built for a fast start: one evenly spaced token per node, no
 * bootstrap (every node starts empty), small heaps, the seed first and then the others at once.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, freePortOnAll } from "../support/child-server.js";
import { scriptInstance, type ScriptInstance } from "../support/local-service.js";
import { scriptNode, secondNodeSupport, type SecondNode } from "./second-cassandra.js";

export interface ClusterNode extends SecondNode {
  readonly address: string;
  /** Resident memory of the node's process now, in bytes (0 when it is not running). */
  rss(): number;
}

export interface LocalCluster {
  /** Every node's address at the cluster's CQL port. */
  readonly contactPoints: string[];
  readonly nodes: readonly ClusterNode[];
  /** Starts every node and waits until each answers CQL: the seed first, then the others together. */
  start(): Promise<void>;
  /** SIGKILLs every node and deletes their state directories. */
  destroy(): Promise<void>;
}

function addressesOf(size: number): [string, ...string[]] {
  return ["127.0.0.1", ...Array.from({ length: size - 1 }, (_, i) => `127.0.0.${i + 2}`)];
}

/** Null when this machine can run a cluster of `size` nodes from the script; else why not. */
export async function clusterSupport(size: number): Promise<string | null> {
  const script = await secondNodeSupport();
  if (script !== null) return script;
  try {
    await freePortOnAll(addressesOf(size));
    return null;
  } catch (error) {
    return `cannot listen on the loopback addresses ${addressesOf(size).join(", ")}: ${String(error)}`;
  }
}

/** Node i of n owns the i-th of n equal ranges of the Murmur3 ring. */
function tokenOf(index: number, size: number): string {
  const step = 2n ** 64n / BigInt(size);
  return String(-(2n ** 63n) + BigInt(index) * step);
}

function residentBytes(instance: ScriptInstance): number {
  try {
    const pid = readFileSync(join(instance.stateDir, "cassandra.pid"), "utf8").trim();
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kib = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
    return kib === undefined ? 0 : Number(kib) * 1024;
  } catch {
    return 0;
  }
}

export async function createCluster(size: number, heap = "512m"): Promise<LocalCluster> {
  const addresses = addressesOf(size);
  const cqlPort = await freePortOnAll(addresses);
  let storagePort = cqlPort;
  while (storagePort === cqlPort) storagePort = await freePortOnAll(addresses);
  const name = `es-cluster-${process.pid}`;
  const nodes: ClusterNode[] = [];
  const jmxPorts: number[] = [];
  for (const [index, address] of addresses.entries()) {
    let jmxPort = cqlPort;
    while ([cqlPort, storagePort, ...jmxPorts].includes(jmxPort)) jmxPort = await freePort();
    jmxPorts.push(jmxPort);
    const instance = await scriptInstance("cassandra", [cqlPort, storagePort, jmxPort], (stateDir) => ({
      CASSANDRA_STATE_DIR: stateDir,
      CASSANDRA_LISTEN_ADDRESS: address,
      CASSANDRA_PORT: String(cqlPort),
      CASSANDRA_STORAGE_PORT: String(storagePort),
      CASSANDRA_JMX_PORT: String(jmxPort),
      CASSANDRA_SEEDS: `${addresses[0]}:${storagePort}`,
      CASSANDRA_CLUSTER_NAME: name,
      CASSANDRA_INITIAL_TOKEN: tokenOf(index, size),
      CASSANDRA_AUTO_BOOTSTRAP: "false",
      // A node that was down gets the writes it missed from its peers' hints when it returns.
      CASSANDRA_HINTED_HANDOFF: "true",
      CASSANDRA_HEAP: heap,
      // The seed writes a class data archive once it answers; the other nodes start from it.
      CASSANDRA_CDS: "1",
    }));
    nodes.push({
      ...scriptNode(instance, `${address}:${cqlPort}`),
      address,
      rss: () => residentBytes(instance),
    });
  }
  const [seed, ...others] = nodes;
  return {
    contactPoints: nodes.map((node) => node.contactPoint),
    nodes,
    start: async () => {
      await seed!.start();
      await Promise.all(others.map((node) => node.start()));
    },
    destroy: async () => {
      await Promise.allSettled(nodes.map((node) => node.kill()));
      await Promise.allSettled(nodes.map((node) => node.destroy()));
    },
  };
}
