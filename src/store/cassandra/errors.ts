import { mapUnavailable, someCause } from "../errors.js";

/** cassandra-driver's errors, by name, that mean the cluster cannot answer right now. */
const UNAVAILABLE_NAMES = new Set([
  // No node could be reached, or the one asked did not answer in time.
  "NoHostAvailableError",
  "OperationTimedOutError",
  "BusyConnectionError",
  // Transport errors: "Socket was closed", "Connection timeout".
  "DriverError",
]);

/** cassandra-driver throws a plain Error when a node's pool has no open connection left. */
const UNAVAILABLE_MESSAGES = new Set(["No connection available"]);

/** ResponseError codes meaning too few replicas answered: retry later. */
const UNAVAILABLE_RESPONSE_CODES = new Set([
  0x1000, // unavailableException
  0x1001, // overloaded
  0x1002, // isBootstrapping
  0x1100, // writeTimeout
  0x1200, // readTimeout
]);

/** Matched by name and code rather than by class: the driver's classes are not all exported. */
export function isCassandraUnavailable(error: unknown): boolean {
  return someCause(error, (current) => {
    if (UNAVAILABLE_NAMES.has(current.name) || UNAVAILABLE_MESSAGES.has(current.message)) return true;
    const code: unknown = "code" in current ? current.code : undefined;
    return (
      current.name === "ResponseError" && typeof code === "number" && UNAVAILABLE_RESPONSE_CODES.has(code)
    );
  });
}

/** Runs a query path of the adapter, its outages surfacing as StoreUnavailableError. */
export function cassandraCall<T>(call: () => Promise<T>): Promise<T> {
  return mapUnavailable(isCassandraUnavailable, call);
}
