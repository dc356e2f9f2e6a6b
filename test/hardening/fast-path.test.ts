import { getOperationAST, parse } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ANONYMOUS } from "../../src/server/policy/auth.js";
import { Deadline } from "../../src/server/graphql/deadline.js";
import { FastQueries } from "../../src/server/graphql/fast-queries.js";
import { measureOperation } from "../../src/server/policy/limits.js";
import { OperationMeasures } from "../../src/server/policy/operation-measures.js";
import { OperationGate } from "../../src/server/policy/operation-gate.js";
import { OperationPipeline } from "../../src/server/graphql/operation-pipeline.js";
import { createRequestContext } from "../../src/server/graphql/request-context.js";
import { startTestServer, type TestServer } from "../support/server.js";
import { ForwardingStore } from "../support/forwarding-store.js";
import { clientGone } from "../../src/server/http/request-errors.js";
import type { LeaderboardQuery, Standing } from "../../src/store/port.js";

/** Raw POSTs, so that status, content type and bytes can be compared between the two paths. */
async function post(
  server: TestServer,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<{ status: number; type: string | null; text: string }> {
  const response = await fetch(server.url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, type: response.headers.get("content-type"), text: await response.text() };
}

/** A fast path of the server's app with an open gate, and its pipeline (to remember documents). */
function fastPathOf(app: TestServer["instance"]["app"]) {
  const gate = new OperationGate(
    app.schema,
    { keysConfigured: false, queriesRequireKey: false },
    { maxDepth: 10, maxCost: 10_000, maxAliases: 30 },
    null,
  );
  const pipeline = new OperationPipeline(app, gate);
  return { pipeline, fast: new FastQueries(app.schema, pipeline) };
}

describe("the fast path for repeated queries", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
    await server.gql(`mutation { recordEvents(events: [
      { id: "1", userId: "alice", type: "PushEvent", occurredAt: "2024-01-01T00:00:00Z" },
      { id: "2", userId: "bob", type: "IssuesEvent", occurredAt: "2024-01-01T01:00:00Z" }
    ]) { accepted } }`);
  });

  afterAll(async () => {
    await server.stop();
  });

  const queries: [string, Record<string, unknown>][] = [
    ["{ __typename }", {}],
    ["query ($u: String!) { score(userId: $u) { score events breakdown { type count } } }", { u: "alice" }],
    ["{ leaderboard(first: 5) { nodes { rank userId value user { counts { type count } } } } }", {}],
    // Errors: the fast path hands these to Apollo, which must answer as it did the first time.
    ["{ leaderboard(first: 0) { nodes { rank } } }", {}],
    ["query ($u: String!) { score(userId: $u) { score } }", { u: "" }],
    ["query ($u: String!) { score(userId: $u) { score } }", {}],
    ['{ events(userId: "alice", after: "not-a-cursor") { nodes { id } } }', {}],
  ];

  it("answers the second and later times exactly as Apollo answered the first", async () => {
    for (const [query, variables] of queries) {
      const first = await post(server, query, variables);
      for (let i = 0; i < 3; i++) expect(await post(server, query, variables)).toEqual(first);
    }
  });

  it("runs only documents Apollo validated, only queries, only for plain JSON, and gives errors back to Apollo", async () => {
    const { app } = server.instance;
    const { pipeline, fast } = fastPathOf(app);
    const context = () => createRequestContext(app.services, ANONYMOUS, "127.0.0.1", "t", Deadline.none());
    const json = { contentType: "application/json", accept: undefined };
    const query = '{ score(userId: "alice") { score } }';
    expect(await fast.run({ query }, json, context())).toBeNull();
    pipeline.remember(query, parse(query));
    const answer = await fast.run({ query }, json, context());
    expect(answer?.status).toBe(200);
    expect(answer?.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(answer?.body).toEqual({ kind: "complete", string: '{"data":{"score":{"score":2}}}\n' });
    expect(
      await fast.run({ query }, { ...json, accept: "application/graphql-response+json" }, context()),
    ).toBeNull();
    expect(await fast.run({ query, extensions: { persistedQuery: {} } }, json, context())).toBeNull();
    expect(await fast.run({ query }, { accept: undefined, contentType: undefined }, context())).toBeNull();

    const failing = "{ leaderboard(first: 0) { nodes { rank } } }";
    pipeline.remember(failing, parse(failing));
    expect(await fast.run({ query: failing }, json, context())).toBeNull();

    const mutation =
      'mutation { recordEvent(event: { id: "x", userId: "a", type: "T", occurredAt: "2024-01-01T00:00:00Z" }) { accepted } }';
    pipeline.remember(mutation, parse(mutation));
    expect(await fast.run({ query: mutation }, json, context())).toBeNull();
    expect((await server.gql('{ events(userId: "a") { nodes { id } } }')).data).toEqual({
      events: { nodes: [] },
    });
  });

  it("gives identical queries of one turn one execution, and a later one a fresh answer", async () => {
    let reads = 0;
    class CountingStore extends ForwardingStore {
      override leaderboard(query: LeaderboardQuery): Promise<Standing[]> {
        reads += 1;
        return super.leaderboard(query);
      }
    }
    const counted = await startTestServer({}, { decorateStore: (store) => new CountingStore(store) });
    try {
      const { app } = counted.instance;
      const { pipeline, fast } = fastPathOf(app);
      const context = () =>
        createRequestContext(app.services, ANONYMOUS, "127.0.0.1", "t", new Deadline(10_000));
      const json = { contentType: "application/json", accept: undefined };
      const query = "{ leaderboard(first: 3) { nodes { userId value } } }";
      pipeline.remember(query, parse(query));
      const record = (id: string, userId: string) =>
        counted.gql(`mutation { recordEvent(event: { id: "${id}", userId: "${userId}", type: "PushEvent",
          occurredAt: "2024-01-01T00:00:00Z" }) { accepted } }`);
      await record("s1", "alice");
      reads = 0;
      const answers = await Promise.all(
        Array.from({ length: 5 }, () => fast.run({ query }, json, context())),
      );
      expect(reads).toBe(1);
      for (const answer of answers) expect(answer).toBe(answers[0]);
      expect(answers[0]?.body).toEqual({
        kind: "complete",
        string: '{"data":{"leaderboard":{"nodes":[{"userId":"alice","value":2}]}}}\n',
      });
      // Another variable, another execution; a write acknowledged before asking is in the answer.
      await record("s2", "bob");
      await record("s3", "bob");
      const after = await fast.run({ query }, json, context());
      expect(reads).toBe(2);
      expect(after?.body).toMatchObject({
        string:
          '{"data":{"leaderboard":{"nodes":[{"userId":"bob","value":4},{"userId":"alice","value":2}]}}}\n',
      });
      // A caller that leaves gets null (Apollo answers it, stopped by its deadline); the others their answer.
      const leaving = context();
      const [gone, staying] = await Promise.all([
        fast.run({ query }, json, leaving),
        fast.run({ query }, json, context()),
        Promise.resolve().then(() => leaving.deadline.abort(clientGone())),
      ]);
      expect(gone).toBeNull();
      expect(staying?.body).toEqual(after?.body);
    } finally {
      await counted.stop();
    }
  });

  it("keeps the operation gate: a refused caller is answered by Apollo with its code", async () => {
    const keyed = await startTestServer({
      EVENTSCORE_API_KEYS: "reader:abcdefghijklmnop1234:read",
      EVENTSCORE_QUERIES_REQUIRE_KEY: "true",
    });
    try {
      const query = "{ __typename }";
      const send = (key: string | null) =>
        fetch(keyed.url, {
          method: "POST",
          headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) },
          body: JSON.stringify({ query }),
        });
      for (let i = 0; i < 2; i++) expect((await send("abcdefghijklmnop1234")).status).toBe(200);
      const refused = await send(null);
      expect(refused.status).toBe(401);
      expect(
        ((await refused.json()) as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions.code,
      ).toBe("UNAUTHENTICATED");
    } finally {
      await keyed.stop();
    }
  });
});

describe("operation measures, cached per operation", () => {
  it("measures again for each page size a variable gives, and tell an absent variable from a null one", async () => {
    const server = await startTestServer();
    try {
      const measures = new OperationMeasures(server.instance.app.schema, 1_000_000);
      const document = parse("query ($n: Int = 7) { leaderboard(first: $n) { nodes { rank userId } } }");
      const operation = getOperationAST(document)!;
      const cost = (variables: Record<string, unknown>) =>
        measures.measure(document, operation, variables).cost;
      expect(cost({ n: 5 })).toBe(
        measureOperation(server.instance.app.schema, document, operation, { n: 5 }).cost,
      );
      expect(cost({ n: 50 })).toBeGreaterThan(cost({ n: 5 }));
      expect(cost({})).toBe(measureOperation(server.instance.app.schema, document, operation, {}).cost);
      expect(cost({ n: null })).toBe(
        measureOperation(server.instance.app.schema, document, operation, { n: null }).cost,
      );
      expect(cost({})).not.toBe(cost({ n: null }));
      expect(cost({ n: 5, other: "ignored" })).toBe(cost({ n: 5 }));
    } finally {
      await server.stop();
    }
  });
});
