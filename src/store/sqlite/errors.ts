import { mapUnavailable, someCause } from "../errors.js";

/** SQLite result codes (and their extended codes) meaning another process holds the database, or the disk is gone. */
const UNAVAILABLE_CODES = ["SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_IOERR", "SQLITE_FULL"];

export function isSqliteUnavailable(error: unknown): boolean {
  return someCause(error, (current) => {
    const code: unknown = "code" in current ? current.code : undefined;
    return typeof code === "string" && UNAVAILABLE_CODES.some((prefix) => code.startsWith(prefix));
  });
}

/** Runs a read or write of the adapter, a busy or failing database surfacing as StoreUnavailableError. */
export function sqliteCall<T>(call: () => Promise<T> | T): Promise<T> {
  return mapUnavailable(isSqliteUnavailable, async () => call());
}
