import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getIntrospectionQuery } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { MESSAGE_RATE_CLOSE_CODE } from "../../src/server/websocket/inbound.js";
import { aliasBomb, introspectionBomb, tokenFlood } from "../support/attacks.js";
import {
  events,
  KEYS,
  OTHER_WRITE_KEY,
  RECORD,
  startHardenedServer,
  WRITE_KEY,
  wsRequest,
  type HardenedServer,
} from "./support.js";

const DEEP = `{ leaderboard { nodes { user { rank { user { score { score } } } } } } }`; // depth 7
// The media type under which requests refused before execution answer 4xx (application/json: 200).
const STRICT = { accept: "application/graphql-response+json" };
const codeOf = (body: { errors?: { extensions?: Record<string, unknown> }[] } | undefined) =>
  body?.errors?.[0]?.extensions?.["code"];

/** A GraphQL literal of a JSON value: `{ id: "1", n: 5 }`. */
function literalOf(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(literalOf).join(", ")}]`;
  if (value !== null && typeof value === "object") {
    return `{ ${Object.entries(value)
      .map(([key, inner]) => `${key}: ${literalOf(inner)}`)
      .join(", ")} }`;
  }
  return JSON.stringify(value);
}

describe("operation limits", () => {
  let server: HardenedServer;
  const tokenLimit = 350;
  const aliasLimit = 40;
  beforeAll(async () => {
    server = await startHardenedServer({
      EVENTSCORE_MAX_TOKENS: String(tokenLimit),
      EVENTSCORE_MAX_ALIASES: String(aliasLimit),
      EVENTSCORE_MAX_DEPTH: "6",
      EVENTSCORE_MAX_COST: "2000",
      EVENTSCORE_MAX_BODY_BYTES: "4096",
      EVENTSCORE_MAX_BATCH_SIZE: "20",
    });
  });
  afterAll(() => server.stop());

  it("refuses an operation nested deeper than EVENTSCORE_MAX_DEPTH, also through fragments", async () => {
    const direct = await server.gql(DEEP, {}, STRICT);
    expect(direct.status).toBe(400);
    expect(codeOf(direct.json)).toBe("QUERY_TOO_DEEP");
    const viaFragments = await server.gql(
      `query { leaderboard { ...Page } } fragment Page on Leaderboard { nodes { user { ... on User { rank { user { id score { score } } } } } } }`,
    );
    expect(codeOf(viaFragments.json)).toBe("QUERY_TOO_DEEP");
    const shallow = await server.gql(`{ leaderboard { nodes { user { score { score } } } } }`);
    expect(shallow.status).toBe(200);
  });

  it("multiplies cost by `first`, from literals, variables and variable defaults", async () => {
    // leaderboard(first: 100) over user { events(first: 20) { nodes { id } } }: 1 + 100 × (1 + 1 + (1 + 20 × 2)) > 2000
    const nested = `{ leaderboard(first: 100) { nodes { user { events(first: 20) { nodes { id } } } } } }`;
    const literal = await server.gql(nested, {}, STRICT);
    expect(literal.status).toBe(400);
    expect(codeOf(literal.json)).toBe("QUERY_TOO_COSTLY");
    expect(literal.json?.errors?.[0]?.message).toMatch(/limit is 2000/);
    const variable = await server.gql(
      `query ($n: Int!) { leaderboard(first: $n) { nodes { user { events(first: 20) { nodes { id } } } } } }`,
      { n: 100 },
    );
    expect(codeOf(variable.json)).toBe("QUERY_TOO_COSTLY");
    const defaulted = await server.gql(
      `query ($n: Int = 100) { leaderboard(first: $n) { nodes { user { events(first: 20) { nodes { id } } } } } }`,
    );
    expect(codeOf(defaulted.json)).toBe("QUERY_TOO_COSTLY");
    const cheaper = await server.gql(
      `{ leaderboard(first: 10) { nodes { user { events(first: 20) { nodes { id } } } } } }`,
    );
    expect(cheaper.status).toBe(200);
    // Aliases do not get around it: each copy counts.
    const aliased = await server.gql(
      `{ ${Array.from({ length: 20 }, (_, i) => `a${i}: leaderboard(first: 100) { nodes { rank } }`).join(" ")} }`,
    );
    expect(codeOf(aliased.json)).toBe("QUERY_TOO_COSTLY");
  });

  it("refuses a body over EVENTSCORE_MAX_BODY_BYTES with 413", async () => {
    const reply = await server.gql(RECORD, {
      events: events("big", 1).map((e) => ({ ...e, repo: "x".repeat(5000) })),
    });
    expect(reply.status).toBe(413);
    expect(codeOf(reply.json)).toBe("PAYLOAD_TOO_LARGE");
  });

  it("refuses a batch over EVENTSCORE_MAX_BATCH_SIZE as a whole", async () => {
    const reply = await server.gql(RECORD, { events: events("batch", 21) });
    expect(codeOf(reply.json)).toBe("BATCH_TOO_LARGE");
    const stored = await server.gql(`{ score(userId: "alice") { events } }`);
    expect(stored.json?.data).toEqual({ score: { events: 0 } });
  });

  it("holds graphql-ws operations to the same limits", async () => {
    const client = server.ws();
    const deep = await wsRequest(client, DEEP);
    expect(deep.error).toEqual([
      expect.objectContaining({ extensions: { code: "QUERY_TOO_DEEP", limit: 6 } }),
    ]);
    const costly = await wsRequest(
      client,
      `subscription { leaderboardChanged(first: 100) { user { events(first: 100) { nodes { id } } } } }`,
    );
    expect(costly.error).toEqual([
      expect.objectContaining({ extensions: { code: "QUERY_TOO_COSTLY", limit: 2000 } }),
    ]);
    const invalid = await wsRequest(client, `{ scor(userId: "a") { score } }`);
    expect(invalid.error).toEqual([
      expect.objectContaining({
        message: 'Cannot query field "scor" on type "Query".',
        extensions: { code: "GRAPHQL_VALIDATION_FAILED" },
      }),
    ]);
    const broken = await wsRequest(client, `{ score(`);
    expect(broken.error).toEqual([expect.objectContaining({ extensions: { code: "GRAPHQL_PARSE_FAILED" } })]);
  });

  it("refuses a document past EVENTSCORE_MAX_TOKENS with QUERY_TOO_MANY_TOKENS, over HTTP and WebSocket", async () => {
    const flood = tokenFlood(tokenLimit + 1);
    const reply = await server.gql(flood, {}, STRICT);
    expect(reply.status).toBe(400);
    expect(reply.json?.errors?.[0]).toMatchObject({
      message: `the document has more than ${tokenLimit} tokens; the limit is ${tokenLimit}`,
      extensions: { code: "QUERY_TOO_MANY_TOKENS", limit: tokenLimit },
    });
    const ws = await wsRequest(server.ws(), flood);
    expect(ws.error).toEqual([
      expect.objectContaining({ extensions: { code: "QUERY_TOO_MANY_TOKENS", limit: tokenLimit } }),
    ]);
    expect((await server.gql(tokenFlood(tokenLimit))).json?.errors).toBeUndefined();
  });

  it("refuses more aliases than EVENTSCORE_MAX_ALIASES, also through fragments, over HTTP and WebSocket", async () => {
    const reply = await server.gql(aliasBomb(aliasLimit + 1), {}, STRICT);
    expect(reply.status).toBe(400);
    expect(reply.json?.errors?.[0]?.extensions).toEqual({
      code: "QUERY_TOO_MANY_ALIASES",
      limit: aliasLimit,
    });
    const spread = await server.gql(
      `{ ...A ...A } fragment A on Query { ${Array.from({ length: aliasLimit / 2 + 1 }, (_, i) => `a${i}: __typename`).join(" ")} }`,
    );
    expect(codeOf(spread.json)).toBe("QUERY_TOO_MANY_ALIASES");
    const ws = await wsRequest(server.ws(), aliasBomb(aliasLimit + 1));
    expect(ws.error).toEqual([
      expect.objectContaining({ extensions: { code: "QUERY_TOO_MANY_ALIASES", limit: aliasLimit } }),
    ]);
    expect((await server.gql(aliasBomb(aliasLimit))).json?.data).toBeDefined();
  });

  it("refuses a wrong input literal as BAD_USER_INPUT naming the item's path, as in variables", async () => {
    const good = { id: "lit-0", userId: "lit", type: "PushEvent", occurredAt: "2024-03-01T10:00:00Z" };
    const wrongs: [string, Record<string, unknown>, string][] = [
      ["occurredAt", { ...good, id: "lit-1", occurredAt: "yesterday" }, "events[1].occurredAt"],
      ["userId", { ...good, id: "lit-1", userId: 5 }, "events[1].userId"],
      ["unknown field", { ...good, id: "lit-1", colour: "red" }, "events[1]"],
    ];
    for (const [label, wrong, path] of wrongs) {
      const inline = `mutation { recordEvents(events: [${[good, wrong].map(literalOf).join(", ")}]) { accepted } }`;
      const asVariables = await server.gql(RECORD, { events: [good, wrong] }, STRICT);
      const asLiteral = await server.gql(inline, {}, STRICT);
      const overWs = await wsRequest(server.ws(), inline);
      for (const [how, status, errors] of [
        ["variables", asVariables.status, asVariables.json?.errors],
        ["inline", asLiteral.status, asLiteral.json?.errors],
        ["inline over WebSocket", 400, overWs.error],
      ] as const) {
        const error = (
          errors as { message: string; extensions?: Record<string, unknown> }[] | undefined
        )?.[0];
        expect({ label, how, status, code: error?.extensions?.["code"] }).toEqual({
          label,
          how,
          status: 400,
          code: "BAD_USER_INPUT",
        });
        expect(error?.message, `${label} ${how}`).toContain(`at "${path}"`);
      }
    }
    expect((await server.gql(`{ score(userId: "lit") { events } }`)).json?.data).toEqual({
      score: { events: 0 },
    });
  });

  it("drops schema suggestions outside development", async () => {
    const reply = await server.gql(`{ scor(userId: "a") { score } }`);
    expect(reply.json?.errors?.[0]?.message).toBe('Cannot query field "scor" on type "Query".');
    const enumValue = await server.gql(
      `query ($w: Window!) { score(userId: "a", window: $w) { score } }`,
      { w: "DAYS" },
      STRICT,
    );
    expect(enumValue.status).toBe(400);
    expect(enumValue.text).not.toMatch(/Did you mean/);
  });
});

describe("introspection and GraphiQL switched off", () => {
  let server: HardenedServer;
  beforeAll(async () => {
    server = await startHardenedServer({ EVENTSCORE_INTROSPECTION: "false", EVENTSCORE_GRAPHIQL: "false" });
  });
  afterAll(() => server.stop());

  it("refuses introspection over HTTP and WebSocket", async () => {
    const reply = await server.gql(`{ __schema { queryType { name } } }`, {}, STRICT);
    expect(reply.status).toBe(400);
    expect(codeOf(reply.json)).toBe("GRAPHQL_VALIDATION_FAILED");
    const ws = await wsRequest(server.ws(), `{ __type(name: "Query") { name } }`);
    expect(ws.error).toEqual([
      expect.objectContaining({ extensions: { code: "GRAPHQL_VALIDATION_FAILED" } }),
    ]);
    expect((await server.gql(`{ scoringRules { defaultWeight } }`)).status).toBe(200);
  });

  it("serves no GraphiQL page", async () => {
    const page = await server.fetch("/graphql", { headers: { accept: "text/html" } });
    expect(page.headers.get("content-type") ?? "").not.toMatch(/text\/html/);
  });
});

describe("introspection and GraphiQL on (the default)", () => {
  let server: HardenedServer;
  beforeAll(async () => {
    server = await startHardenedServer();
  });
  afterAll(() => server.stop());

  it("answers GraphiQL's introspection query (counted in the cost, not the depth) and serves GraphiQL", async () => {
    const reply = await server.gql(getIntrospectionQuery());
    expect(reply.status).toBe(200);
    expect(reply.json?.errors).toBeUndefined();
    // Twenty copies of a deep introspection (about 750 fields each) cost more than EVENTSCORE_MAX_COST.
    const bomb = await server.gql(introspectionBomb(20), {}, STRICT);
    expect(bomb.status).toBe(400);
    expect(bomb.json?.errors?.[0]?.extensions).toEqual({ code: "QUERY_TOO_COSTLY", limit: 10_000 });
    const page = await server.fetch("/graphql", { headers: { accept: "text/html" } });
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/text\/html/);
  });
});

describe("request deadline", () => {
  const dir = mkdtempSync(join(tmpdir(), "eventscore-deadline-"));
  const path = join(dir, "events.db");
  let server: HardenedServer;
  beforeAll(async () => {
    // Load data without a tight deadline, then serve the same file with a 1 ms one.
    const loader = await startHardenedServer({ EVENTSCORE_SQLITE_PATH: path });
    const batch = Array.from({ length: 1000 }, (_, i) => ({
      ...events(`t${i}`, 1)[0],
      userId: `user${i % 100}`,
    }));
    expect((await loader.gql(RECORD, { events: batch })).json?.data).toMatchObject({
      recordEvents: { accepted: 1000 },
    });
    await loader.stop();
    server = await startHardenedServer({
      EVENTSCORE_SQLITE_PATH: path,
      EVENTSCORE_REQUEST_TIMEOUT_MS: "1",
      EVENTSCORE_MAX_COST: "100000000",
    });
  });
  afterAll(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  // Far more work than 1 ms: 10 × 100 users × their history.
  const heavy = `{ ${Array.from(
    { length: 10 },
    (_, i) =>
      `a${i}: leaderboard(first: 100) { nodes { user { events(first: 100) { nodes { id type occurredAt } } counts { type count } } } }`,
  ).join(" ")} }`;

  it("answers TIMEOUT (504, no data) when a request outlives EVENTSCORE_REQUEST_TIMEOUT_MS", async () => {
    const reply = await server.gql(heavy);
    expect(reply.status).toBe(504);
    expect(codeOf(reply.json)).toBe("TIMEOUT");
    expect(reply.json?.data).toBeUndefined();
    const ws = await wsRequest(server.ws(), heavy);
    expect(ws.result?.errors?.[0]?.extensions?.["code"]).toBe("TIMEOUT");
  });

  it("answers CPU_BUDGET_EXCEEDED (no data) when the resolvers outspend EVENTSCORE_MAX_CPU_MS", async () => {
    const budgeted = await startHardenedServer({
      EVENTSCORE_SQLITE_PATH: path,
      EVENTSCORE_MAX_CPU_MS: "5",
      EVENTSCORE_MAX_COST: "100000000",
    });
    try {
      const reply = await budgeted.gql(heavy, {}, STRICT);
      expect(reply.status).toBe(400);
      expect(reply.json?.errors?.[0]?.extensions).toEqual({ code: "CPU_BUDGET_EXCEEDED", limit: 5 });
      expect(reply.json?.data).toBeUndefined();
      const ws = await wsRequest(budgeted.ws(), heavy);
      expect(ws.result?.errors?.[0]?.extensions).toEqual({ code: "CPU_BUDGET_EXCEEDED", limit: 5 });
      // A cheap query fits the budget.
      expect((await budgeted.gql(`{ scoringRules { defaultWeight } }`)).status).toBe(200);
    } finally {
      await budgeted.stop();
    }
  });
});

describe("WebSocket message rate", () => {
  let server: HardenedServer;
  beforeAll(async () => {
    server = await startHardenedServer({ EVENTSCORE_WS_MAX_MESSAGES_PER_SECOND: "10" });
    return () => server.stop();
  });

  const connect = async (): Promise<{
    socket: WebSocket;
    closed: Promise<number>;
    replies: () => number;
  }> => {
    const socket = new WebSocket(server.wsUrl, "graphql-transport-ws");
    let replies = 0;
    const closed = new Promise<number>((resolve) => socket.once("close", (code) => resolve(code)));
    await new Promise<void>((resolve) => {
      socket.once("open", () => socket.send(JSON.stringify({ type: "connection_init" })));
      socket.once("message", () => resolve());
    });
    socket.on("message", () => (replies += 1));
    return { socket, closed, replies: () => replies };
  };
  const query = (id: string) =>
    JSON.stringify({ type: "subscribe", id, payload: { query: "{ scoringRules { defaultWeight } }" } });

  it(`closes a socket past EVENTSCORE_WS_MAX_MESSAGES_PER_SECOND with ${MESSAGE_RATE_CLOSE_CODE}`, async () => {
    const flooding = await connect();
    // connection_init took one token of ten: nine more pass, the tenth after it closes the socket.
    for (let i = 0; i < 30; i++) flooding.socket.send(query(`q${i}`));
    expect(await flooding.closed).toBe(MESSAGE_RATE_CLOSE_CODE);
    // The messages handled before it: at most nine queries, each answered next + complete.
    expect(flooding.replies()).toBeLessThanOrEqual(18);
  });

  it("lets a socket that keeps to the rate send as long as it likes", async () => {
    const calm = await connect();
    for (let i = 0; i < 25; i++) {
      calm.socket.send(query(`c${i}`));
      await new Promise((resolve) => setTimeout(resolve, 120));
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(calm.replies()).toBe(50);
    expect(calm.socket.readyState).toBe(WebSocket.OPEN);
    calm.socket.close();
  });
});

describe("ingest rate limit", () => {
  let server: HardenedServer;
  beforeAll(async () => {
    server = await startHardenedServer({
      EVENTSCORE_API_KEYS: KEYS,
      EVENTSCORE_INGEST_RATE_LIMIT: "1",
      EVENTSCORE_MAX_BATCH_SIZE: "10",
    });
  });
  afterAll(() => server.stop());

  it("lets a key send its burst, then answers 429 RATE_LIMITED with Retry-After, per key", async () => {
    const auth = { authorization: `Bearer ${WRITE_KEY}` };
    const first = await server.gql(RECORD, { events: events("burst", 10) }, auth);
    expect(first.json?.data).toEqual({ recordEvents: { accepted: 10, duplicates: 0, rejected: [] } });
    const second = await server.gql(RECORD, { events: events("over", 5) }, auth);
    expect(second.status).toBe(429);
    const retryAfter = Number(second.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(second.json?.errors?.[0]?.extensions).toEqual({
      code: "RATE_LIMITED",
      retryAfterSeconds: retryAfter,
    });
    expect(second.json?.data).toBeUndefined();
    // Another key has its own bucket.
    const other = await server.gql(
      RECORD,
      { events: events("other", 10, "bob") },
      { "x-api-key": OTHER_WRITE_KEY },
    );
    expect(other.status).toBe(200);
    // Queries take no tokens.
    expect((await server.gql(`{ score(userId: "alice") { events } }`, {}, auth)).json?.data).toEqual({
      score: { events: 10 },
    });
    // Over WebSocket the same bucket answers with the same error.
    const ws = await wsRequest(
      server.ws({ connectionParams: { authorization: `Bearer ${WRITE_KEY}` } }),
      RECORD,
      {
        events: events("ws", 3),
      },
    );
    expect(ws.error).toEqual([
      expect.objectContaining({
        extensions: { code: "RATE_LIMITED", retryAfterSeconds: expect.any(Number) },
      }),
    ]);
    // Nothing refused was stored.
    expect((await server.gql(`{ score(userId: "alice") { events } }`)).json?.data).toEqual({
      score: { events: 10 },
    });
  });
});
