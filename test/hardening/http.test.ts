import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHardenedServer, type HardenedServer } from "./support.js";

const RULES = "{ scoringRules { defaultWeight } }";
const GRAPHQL_RESPONSE = "application/graphql-response+json";

/** GraphQL over HTTP (graphql.github.io/graphql-over-http): methods, media types, status codes, CSRF. */
describe("GraphQL over HTTP", () => {
  let server: HardenedServer;
  beforeAll(async () => {
    server = await startHardenedServer();
  });
  afterAll(() => server.stop());

  const get = (query: string, headers: Record<string, string> = {}) =>
    server.fetch(`/graphql?query=${encodeURIComponent(query)}`, { headers });
  const post = (body: string, headers: Record<string, string> = {}) =>
    server.fetch("/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body,
    });

  it("answers a GET query that carries a CSRF preflight header", async () => {
    const reply = await get(RULES, { "apollo-require-preflight": "true" });
    expect(reply.status).toBe(200);
    expect(reply.json?.data).toEqual({ scoringRules: { defaultWeight: 1 } });
  });

  it("refuses a GET that a browser could send cross-site without a preflight (CSRF prevention)", async () => {
    const reply = await get(RULES);
    expect(reply.status).toBe(400);
    expect(reply.json?.errors?.[0]?.message).toMatch(/Cross-Site Request Forgery/);
    // A form-encoded POST is such a "simple request" too; it is refused before it is read.
    const form = await server.fetch("/graphql", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "query=%7B%20scoringRules%20%7B%20defaultWeight%20%7D%20%7D",
    });
    expect(form.status).toBe(415);
  });

  it("refuses a mutation over GET with 405 and Allow: POST", async () => {
    const reply = await get(
      `mutation { recordEvent(event: { id: "g", userId: "a", type: "X", occurredAt: "2024-01-01T00:00:00Z" }) { accepted } }`,
      { "apollo-require-preflight": "true" },
    );
    expect(reply.status).toBe(405);
    expect(reply.headers.get("allow")).toBe("POST");
    const stored = await server.gql(`{ score(userId: "a") { events } }`);
    expect(stored.json?.data).toEqual({ score: { events: 0 } });
  });

  it("speaks application/graphql-response+json when the client accepts it, else application/json", async () => {
    const modern = await post(JSON.stringify({ query: RULES }), {
      accept: `${GRAPHQL_RESPONSE}, application/json;q=0.9`,
    });
    expect(modern.status).toBe(200);
    expect(modern.headers.get("content-type")).toMatch(/^application\/graphql-response\+json/);
    const legacy = await post(JSON.stringify({ query: RULES }), { accept: "application/json" });
    expect(legacy.headers.get("content-type")).toMatch(/^application\/json/);
    const none = await post(JSON.stringify({ query: RULES }));
    expect(none.headers.get("content-type")).toMatch(/^application\/json/);
    const unacceptable = await post(JSON.stringify({ query: RULES }), { accept: "application/xml" });
    expect(unacceptable.status).toBe(406);
  });

  it("answers 4xx without data for requests that never execute", async () => {
    const cases: [string, Record<string, unknown> | unknown[] | string, number, string][] = [
      ["parse error", { query: "{ scoringRules { " }, 400, "GRAPHQL_PARSE_FAILED"],
      ["validation error", { query: "{ nope }" }, 400, "GRAPHQL_VALIDATION_FAILED"],
      [
        "variable coercion",
        { query: "query ($n: Int!) { leaderboard(first: $n) { nodes { rank } } }", variables: { n: "ten" } },
        400,
        "BAD_USER_INPUT",
      ],
      ["no query", { variables: {} }, 400, "BAD_REQUEST"],
      ["a batch (one operation per request)", [{ query: RULES }, { query: RULES }], 400, "BAD_REQUEST"],
      ["broken JSON", "{ not json", 400, "BAD_REQUEST"],
      [
        "unknown operation name",
        { query: RULES, operationName: "Other" },
        400,
        "OPERATION_RESOLUTION_FAILURE",
      ],
    ];
    for (const [label, body, status, code] of cases) {
      const reply = await post(typeof body === "string" ? body : JSON.stringify(body), {
        accept: GRAPHQL_RESPONSE,
      });
      expect({ label, status: reply.status, code: reply.json?.errors?.[0]?.extensions?.["code"] }).toEqual({
        label,
        status,
        code,
      });
      expect(reply.json?.data, label).toBeUndefined();
    }
  });

  it("answers 200 with data and errors side by side when execution fails in part", async () => {
    const reply = await post(
      JSON.stringify({
        query: `{ scoringRules { defaultWeight } events(userId: "a", first: 0) { nodes { id } } }`,
      }),
      { accept: GRAPHQL_RESPONSE },
    );
    expect(reply.status).toBe(200);
    expect(reply.json?.errors?.[0]?.extensions?.["code"]).toBe("BAD_USER_INPUT");
  });

  it("refuses methods other than GET and POST with 405", async () => {
    const reply = await server.fetch("/graphql", { method: "DELETE" });
    expect(reply.status).toBe(405);
    expect(reply.headers.get("allow")).toBe("GET, POST");
    expect(reply.json?.errors?.[0]?.extensions?.["code"]).toBe("METHOD_NOT_ALLOWED");
  });

  it("gives every response a request id, keeping a sane one the client sent", async () => {
    const fresh = await post(JSON.stringify({ query: RULES }));
    expect(fresh.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    const kept = await post(JSON.stringify({ query: RULES }), { "x-request-id": "trace-42.a" });
    expect(kept.headers.get("x-request-id")).toBe("trace-42.a");
    const replaced = await post(JSON.stringify({ query: RULES }), { "x-request-id": "bad id\twith spaces" });
    expect(replaced.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    const missing = await server.fetch("/nowhere");
    expect(missing.status).toBe(404);
    expect(missing.headers.get("x-request-id")).not.toBeNull();
  });
});
