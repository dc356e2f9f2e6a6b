import { describe, expect, it } from "vitest";
import type { Services } from "../../src/graphql/context.js";
import { ANONYMOUS } from "../../src/server/policy/auth.js";
import { Deadline } from "../../src/server/graphql/deadline.js";
import { clientGone, timedOut } from "../../src/server/http/request-errors.js";
import { createRequestContext } from "../../src/server/graphql/request-context.js";
import { QueryService } from "../../src/services/queries.js";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";

describe("Deadline", () => {
  it("aborts a signal read after the abort, with the abort's reason, and check fails with it", () => {
    const deadline = new Deadline(60_000);
    deadline.check(); // nothing yet
    const reason = clientGone();
    deadline.abort(reason);
    expect(deadline.signal.aborted).toBe(true);
    expect(deadline.signal.reason).toBe(reason);
    expect(() => deadline.check()).toThrow(reason);
    expect(deadline.error).toBe(reason);
  });

  it("aborts a signal read before the abort, the same signal every time, and only once", () => {
    const deadline = Deadline.none();
    const signal = deadline.signal;
    expect(deadline.signal).toBe(signal);
    let aborts = 0;
    signal.addEventListener("abort", () => (aborts += 1));
    const first = clientGone();
    deadline.abort(first);
    deadline.abort(timedOut(1));
    expect(aborts).toBe(1);
    expect(signal.reason).toBe(first);
    expect(() => deadline.check()).toThrow(first);
  });

  it("aborts the signal once a check finds the deadline passed", () => {
    const deadline = new Deadline(-1);
    expect(() => deadline.check()).toThrow(/did not finish/);
    expect(deadline.signal.aborted).toBe(true);
    expect(deadline.signal.reason).toBe(deadline.error);
  });
});

describe("createRequestContext", () => {
  it("makes a request's DataLoaders on first use, once", () => {
    const queries = new QueryService(new SqliteStore({ path: ":memory:" }));
    const services = { queries } as unknown as Services;
    const context = createRequestContext(services, ANONYMOUS, "127.0.0.1", "r1", Deadline.none());
    // Still the getter: nothing was made by building the context.
    expect(typeof Object.getOwnPropertyDescriptor(context, "loaders")?.get).toBe("function");
    expect(context.loaders).toBe(context.loaders);
    expect(context).toMatchObject({ caller: ANONYMOUS, rateKey: "address:127.0.0.1", requestId: "r1" });
  });
});
