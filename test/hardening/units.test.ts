import { getIntrospectionQuery, getOperationAST, graphql, parse } from "graphql";
import { beforeAll, describe, expect, it } from "vitest";
import { createSchema } from "../../src/graphql/schema.js";
import { Authenticator, credentialFrom } from "../../src/server/policy/auth.js";
import { withoutSuggestions } from "../../src/server/graphql/format-error.js";
import { ConfigError, EnvReader } from "../../src/app/env.js";
import { prefersGraphQLResponse } from "../../src/server/http/responses.js";
import { InFlight } from "../../src/server/http/in-flight.js";
import { measureOperation, tokenLimitExceeded, tokenLimitRefusal } from "../../src/server/policy/limits.js";
import { eventsRequested, TokenBuckets } from "../../src/server/policy/rate-limit.js";
import { isCassandraUnavailable } from "../../src/store/cassandra/errors.js";
import { isSqliteUnavailable } from "../../src/store/sqlite/errors.js";
import type { GraphQLSchema } from "graphql";

describe("operation measurement", () => {
  let schema: GraphQLSchema;
  beforeAll(async () => {
    schema = await createSchema();
  });
  const measure = (query: string, variables: Record<string, unknown> = {}) => {
    const document = parse(query);
    return measureOperation(schema, document, getOperationAST(document)!, variables);
  };

  it("counts depth from the root field", () => {
    expect(measure(`{ scoringRules { defaultWeight } }`).depth).toBe(2);
    expect(measure(`{ leaderboard { nodes { user { score { score } } } } }`).depth).toBe(5);
  });

  it("charges 1 per field and multiplies by first, with schema defaults", () => {
    expect(measure(`{ scoringRules { defaultWeight } }`).cost).toBe(2);
    // leaderboard default first = 10: 1 + 10 × (nodes 1 + rank 1)
    expect(measure(`{ leaderboard { nodes { rank } } }`).cost).toBe(21);
    expect(measure(`{ leaderboard(first: 50) { nodes { rank } } }`).cost).toBe(101);
    expect(measure(`query ($n: Int!) { leaderboard(first: $n) { nodes { rank } } }`, { n: 3 }).cost).toBe(7);
    // Nested pages multiply: 1 + 10 × (1 + (1 + (1 + 20 × (1 + 1))))
    expect(measure(`{ leaderboard { nodes { user { events { nodes { id } } } } } }`).cost).toBe(
      1 + 10 * (1 + 1 + 41),
    );
  });

  it("follows fragments without looping, measuring each fragment once", () => {
    const viaFragment = measure(
      `{ ...Q } fragment Q on Query { leaderboard { ... on Leaderboard { nodes { rank } } } }`,
    );
    expect(viaFragment).toEqual({ depth: 3, cost: 21, aliases: 0 });
    const cyclic = parse(
      `{ ...A } fragment A on Query { ...B } fragment B on Query { ...A scoringRules { defaultWeight } }`,
    );
    expect(measureOperation(schema, cyclic, getOperationAST(cyclic)!, {}).cost).toBe(2);
    // 40 fragments, each spreading the next twice: 2^40 copies of the last one's field.
    const chain = Array.from(
      { length: 40 },
      (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`,
    );
    const bomb = `{ ...F0 } ${chain.join(" ")} fragment F40 on Query { x: scoringRules { defaultWeight } }`;
    const started = performance.now();
    const shape = measure(bomb);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(shape.cost).toBe(2 * 2 ** 40);
    expect(shape.aliases).toBe(2 ** 40);
  });

  it("counts aliases, through fragments and inside introspection", () => {
    expect(measure(`{ a: scoringRules { b: defaultWeight } c: __typename }`).aliases).toBe(3);
    expect(measure(`{ ...Q ...Q } fragment Q on Query { a: __schema { t: types { name } } }`).aliases).toBe(
      4,
    );
  });

  it("prices introspection at exactly the number of fields of its answer, and stops counting past the limit", async () => {
    const query = getIntrospectionQuery();
    const answer = await graphql({ schema, source: query });
    let fields = 0;
    const count = (value: unknown): void => {
      if (Array.isArray(value)) value.forEach(count);
      else if (value !== null && typeof value === "object") {
        for (const inner of Object.values(value)) {
          fields += 1;
          count(inner);
        }
      }
    };
    count(answer.data);
    const shape = measure(query);
    expect(shape.cost).toBe(fields);
    expect(shape.depth).toBe(0);
    expect(measure(`{ __type(name: "Score") { fields { name } } }`).cost).toBe(1 + 1 + 7);
    expect(measure(`{ __type(name: "Nope") { fields { name } } }`).cost).toBe(1);
    // Past the limit the walk stops: 2,000 copies cost the limit + 1 each, at most.
    const bomb = `{ ${Array.from({ length: 2000 }, (_, i) => `a${i}: __schema { types { fields { args { name } } } }`).join(" ")} }`;
    const document = parse(bomb);
    const started = performance.now();
    const capped = measureOperation(schema, document, getOperationAST(document)!, {}, 10_000);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(capped.cost).toBeGreaterThan(10_000);
  });

  it("recognizes graphql-js's token-limit parse error (pinned: an upgrade that rewords it fails here)", () => {
    let message = "";
    try {
      parse("{ a b c d e }", { maxTokens: 4 });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(tokenLimitRefusal(message)?.extensions).toEqual({ code: "QUERY_TOO_MANY_TOKENS", limit: 4 });
    expect(tokenLimitRefusal("Syntax Error: Expected Name, found <EOF>.")).toBeNull();
  });

  it("counts the events a mutation asks to record", () => {
    const count = (query: string, variables: Record<string, unknown> = {}) => {
      const document = parse(query);
      return eventsRequested(document, getOperationAST(document)!, variables);
    };
    expect(
      count(`mutation ($e: [EventInput!]!) { recordEvents(events: $e) { accepted } }`, { e: [{}, {}, {}] }),
    ).toBe(3);
    expect(
      count(
        `mutation { a: recordEvents(events: [{}, {}]) { accepted } b: recordEvent(event: {}) { accepted } }`,
      ),
    ).toBe(3);
    expect(count(`mutation ($e: EventInput!) { recordEvents(events: $e) { accepted } }`, { e: {} })).toBe(1);
    expect(count(`{ scoringRules { defaultWeight } }`)).toBe(0);
  });
});

describe("token buckets", () => {
  it("refills at the rate, caps at the burst, and tells how long to wait", () => {
    let now = 0;
    const buckets = new TokenBuckets(10, 20, () => now);
    expect(buckets.take("a", 20)).toEqual({ ok: true });
    expect(buckets.take("a", 5)).toEqual({ ok: false, retryAfterSeconds: 1 });
    expect(buckets.take("b", 20)).toEqual({ ok: true });
    now = 500; // +5 tokens
    expect(buckets.take("a", 5)).toEqual({ ok: true });
    expect(buckets.take("a", 15)).toEqual({ ok: false, retryAfterSeconds: 2 });
    now = 60_000; // long idle: back to the burst, not beyond
    expect(buckets.take("a", 20)).toEqual({ ok: true });
    expect(buckets.take("a", 1)).toEqual({ ok: false, retryAfterSeconds: 1 });
  });

  it("lets a request larger than the burst through once the bucket is full", () => {
    let now = 0;
    const buckets = new TokenBuckets(1, 5, () => now);
    expect(buckets.take("a", 50)).toEqual({ ok: true });
    expect(buckets.take("a", 50)).toEqual({ ok: false, retryAfterSeconds: 5 });
    now = 5000;
    expect(buckets.take("a", 50)).toEqual({ ok: true });
  });
});

describe("credentials", () => {
  const keys = new Authenticator([
    { name: "w", key: "0123456789abcdef", scope: "write" },
    { name: "r", key: "fedcba9876543210", scope: "read" },
  ]);

  it("matches keys exactly and tells anonymous from invalid", () => {
    expect(keys.identify("0123456789abcdef")).toEqual({ kind: "key", name: "w", scope: "write" });
    expect(keys.identify("fedcba9876543210")).toEqual({ kind: "key", name: "r", scope: "read" });
    expect(keys.identify("0123456789abcde")).toEqual({ kind: "invalid" });
    expect(keys.identify("0123456789abcdef ")).toEqual({ kind: "invalid" });
    expect(keys.identify(null)).toEqual({ kind: "anonymous" });
  });

  it("reads Bearer tokens and X-API-Key, preferring Authorization", () => {
    const from = (headers: Record<string, string>) => credentialFrom((name) => headers[name]);
    expect(from({ authorization: "Bearer abc" })).toBe("abc");
    expect(from({ authorization: "bearer   abc  " })).toBe("abc");
    expect(from({ "x-api-key": " abc " })).toBe("abc");
    expect(from({ authorization: "Bearer a", "x-api-key": "b" })).toBe("a");
    expect(from({ authorization: "Token abc" })).toBe("Token abc");
    expect(from({})).toBeNull();
  });
});

describe("error classification", () => {
  // Each adapter knows its own driver's errors; together they cover every store.
  const isStoreUnavailable = (error: unknown) => isCassandraUnavailable(error) || isSqliteUnavailable(error);
  const named = (name: string, extra: Record<string, unknown> = {}) =>
    Object.assign(Object.assign(new Error("x"), { name }), extra);

  it("recognizes an unreachable store by driver error names and codes", () => {
    expect(isStoreUnavailable(named("NoHostAvailableError"))).toBe(true);
    expect(isStoreUnavailable(named("OperationTimedOutError"))).toBe(true);
    expect(isStoreUnavailable(named("DriverError"))).toBe(true);
    expect(isStoreUnavailable(new Error("No connection available"))).toBe(true);
    expect(isStoreUnavailable(named("ResponseError", { code: 0x1000 }))).toBe(true);
    expect(isStoreUnavailable(named("ResponseError", { code: 0x2200 }))).toBe(false);
    expect(isStoreUnavailable(named("SqliteError", { code: "SQLITE_BUSY" }))).toBe(true);
    expect(isStoreUnavailable(new Error("wrapped", { cause: named("NoHostAvailableError") }))).toBe(true);
    expect(isStoreUnavailable(new TypeError("bug"))).toBe(false);
  });

  it("removes schema suggestions from messages", () => {
    expect(withoutSuggestions('Cannot query field "scor" on type "Query". Did you mean "score"?')).toBe(
      'Cannot query field "scor" on type "Query".',
    );
    expect(
      withoutSuggestions('Value "DAYS" does not exist in "Window" enum. Did you mean the enum value "DAY"?'),
    ).toBe('Value "DAYS" does not exist in "Window" enum.');
  });
});

describe("in-flight tracking", () => {
  it("tells when the last unit of work ends, or gives up after the timeout", async () => {
    const inFlight = new InFlight();
    expect(await inFlight.drained(0)).toBe(true);
    const end = inFlight.begin();
    let release!: () => void;
    const work = inFlight.track(new Promise<void>((resolve) => (release = resolve)));
    expect(inFlight.size).toBe(2);
    expect(await inFlight.drained(10)).toBe(false);
    const drained = inFlight.drained(60_000);
    end();
    end(); // ending twice counts once
    release();
    await work;
    expect(await drained).toBe(true);
    expect(inFlight.size).toBe(0);
  });
});

describe("configuration and negotiation helpers", () => {
  it("reads durations with a unit, and refuses a bare number or an unknown unit", () => {
    const read = (value: string | undefined) =>
      new EnvReader({ SKEW: value }).duration("SKEW", 86_400_000, 0, 30 * 86_400_000);
    expect(read(undefined)).toBe(86_400_000);
    expect(read("12h")).toBe(43_200_000);
    expect(read("90s")).toBe(90_000);
    expect(read("500ms")).toBe(500);
    expect(read("0")).toBe(0);
    expect(read(" 2D ")).toBe(172_800_000);
    for (const bad of ["10", "1w", "-1d", "1.5h", "31d"]) expect(() => read(bad)).toThrow(ConfigError);
  });

  it("negotiates application/graphql-response+json as Apollo does", () => {
    expect(prefersGraphQLResponse("application/graphql-response+json")).toBe(true);
    expect(prefersGraphQLResponse("application/json")).toBe(false);
    expect(prefersGraphQLResponse(undefined)).toBe(false);
    expect(prefersGraphQLResponse("*/*")).toBe(false);
    expect(prefersGraphQLResponse("application/graphql-response+json, application/json;q=0.9")).toBe(true);
    expect(prefersGraphQLResponse("application/graphql-response+json;q=0.5, application/json")).toBe(false);
    expect(prefersGraphQLResponse("application/json, application/graphql-response+json")).toBe(false);
  });

  it("counts tokens no further than one past the limit, and only for documents longer than it", () => {
    expect(tokenLimitExceeded("{ a b c }", 3)?.extensions["code"]).toBe("QUERY_TOO_MANY_TOKENS"); // 5 tokens
    expect(tokenLimitExceeded("{ a }", 3)).toBeNull(); // shorter than the limit: not lexed
    expect(tokenLimitExceeded(`{ ${"a ".repeat(10)}}`, 5)?.extensions).toEqual({
      code: "QUERY_TOO_MANY_TOKENS",
      limit: 5,
    });
    expect(tokenLimitExceeded(`{ ${"a ".repeat(3)}}`, 5)).toBeNull();
    expect(tokenLimitExceeded(`"unterminated ${"x".repeat(10)}`, 5)).toBeNull(); // the parser says why
  });
});
