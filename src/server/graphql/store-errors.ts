/**
 * Recognizes "the store cannot answer right now" among errors thrown through the store port,
 * so clients get a retryable STORE_UNAVAILABLE instead of an INTERNAL_SERVER_ERROR. Matched by
 * error name and code rather than by class, so the server need not load the Cassandra driver
 * when it runs on SQLite.
 */
const UNAVAILABLE_NAMES = new Set([
  // cassandra-driver: no node could be reached, or the one asked did not answer in time.
  "NoHostAvailableError",
  "OperationTimedOutError",
  "BusyConnectionError",
  // cassandra-driver's transport errors: "Socket was closed", "Connection timeout".
  "DriverError",
]);

/** cassandra-driver throws a plain Error when a node's pool has no open connection left. */
const UNAVAILABLE_MESSAGES = new Set(["No connection available"]);

/** cassandra-driver ResponseError codes meaning too few replicas answered: retry later. */
const UNAVAILABLE_RESPONSE_CODES = new Set([
  0x1000, // unavailableException
  0x1001, // overloaded
  0x1002, // isBootstrapping
  0x1100, // writeTimeout
  0x1200, // readTimeout
]);

/** SQLite: another process holds the database, or the disk is gone. */
const UNAVAILABLE_SQLITE_CODES = new Set(["SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_IOERR", "SQLITE_FULL"]);

export function isStoreUnavailable(error: unknown): boolean {
  for (let current: unknown = error, hops = 0; current instanceof Error && hops < 5; hops++) {
    if (UNAVAILABLE_NAMES.has(current.name) || UNAVAILABLE_MESSAGES.has(current.message)) return true;
    const code = (current as { code?: unknown }).code;
    if (
      current.name === "ResponseError" &&
      typeof code === "number" &&
      UNAVAILABLE_RESPONSE_CODES.has(code)
    ) {
      return true;
    }
    if (typeof code === "string" && [...UNAVAILABLE_SQLITE_CODES].some((prefix) => code.startsWith(prefix))) {
      return true;
    }
    current = current.cause;
  }
  return false;
}

export const STORE_UNAVAILABLE_MESSAGE = "the event store is unavailable right now; retry shortly";
