import { describe, expect, it } from "vitest";
import { formatError } from "../../src/server/graphql/format-error.js";
import { cassandraCall } from "../../src/store/cassandra/errors.js";
import { StoreUnavailableError } from "../../src/store/errors.js";
import { sqliteCall } from "../../src/store/sqlite/errors.js";
import { memoryLogger } from "../hardening/support.js";

const named = (name: string, extra: Record<string, unknown> = {}) =>
  Object.assign(Object.assign(new Error("x"), { name }), extra);

describe("StoreUnavailableError from the adapters", () => {
  it("is what each adapter throws for its driver's outages, with the driver's error as cause", async () => {
    const busy = named("SqliteError", { code: "SQLITE_BUSY_SNAPSHOT" });
    await expect(sqliteCall(() => Promise.reject(busy))).rejects.toMatchObject({
      name: "StoreUnavailableError",
      cause: busy,
    });
    const noHost = named("NoHostAvailableError");
    const thrown = await cassandraCall(() => Promise.reject(noHost)).catch((error: unknown) => error);
    expect(thrown).toBeInstanceOf(StoreUnavailableError);
    expect((thrown as StoreUnavailableError).cause).toBe(noHost);
  });

  it("leaves every other error as it was", async () => {
    const bug = new TypeError("bug");
    await expect(sqliteCall(() => Promise.reject(bug))).rejects.toBe(bug);
    await expect(cassandraCall(() => Promise.reject(bug))).rejects.toBe(bug);
    // Each adapter knows only its own driver.
    const busy = named("SqliteError", { code: "SQLITE_BUSY" });
    await expect(cassandraCall(() => Promise.reject(busy))).rejects.toBe(busy);
  });

  it("becomes a retryable STORE_UNAVAILABLE without driver details, logged with the driver's error", () => {
    const memory = memoryLogger();
    const formatted = formatError(
      { message: "All host(s) tried for query failed", extensions: { code: "INTERNAL_SERVER_ERROR" } },
      new StoreUnavailableError(new Error("All host(s) tried for query failed: 10.0.0.1")),
      { logger: memory.logger, development: false },
    );
    expect(formatted).toEqual({
      message: "the event store is unavailable right now; retry shortly",
      extensions: { code: "STORE_UNAVAILABLE", retryAfterSeconds: 1 },
    });
    expect(memory.lines()).toMatchObject([
      { message: "store unavailable", error: expect.stringMatching(/10\.0\.0\.1/) },
    ]);
  });
});
