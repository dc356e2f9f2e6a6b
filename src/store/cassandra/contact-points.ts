/**
 * Contact points as the driver parses them, without loading the driver: the configuration
 * checks them before anything connects.
 */

/** The CQL native port of a contact point that names none (the driver's default too). */
export const DEFAULT_NATIVE_PORT = 9042;

/**
 * The one native port of the cluster, from the contact points. The driver connects to the nodes
 * it discovers (system.peers) on `protocolOptions.port` only, whatever port a contact point
 * names: with `127.0.0.1:9043` and the default 9042 it would reach the contact point alone and
 * never the other replicas. So every node listens on the same port, and that port is taken from
 * the contact points that name one; contact points that disagree are refused.
 */
export function nativePortOf(contactPoints: readonly string[]): number {
  const ports = new Set<number>();
  for (const point of contactPoints) {
    const port = portOf(point.trim());
    if (port !== null) ports.add(port);
  }
  if (ports.size > 1) {
    throw new Error(
      `contact points name different ports (${[...ports].join(", ")}): the driver reaches every node, ` +
        "the ones it discovers too, on one port, so every node must listen on the same native port",
    );
  }
  return ports.values().next().value ?? DEFAULT_NATIVE_PORT;
}

/** The port of `host:port` or `[ipv6]:port` (as the driver parses them), or null if none is named. */
function portOf(point: string): number | null {
  let text: string | undefined;
  if (point.startsWith("[")) text = /^\[[^\]]+\]:(.*)$/.exec(point)?.[1];
  else if (point.split(":").length === 2) text = point.split(":")[1];
  if (text === undefined) return null;
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65_535) {
    throw new Error(`contact point "${point}" has an invalid port`);
  }
  return port;
}
