import { serverAudits } from "graphql-http";
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
    expect(reply.json?.errors?.[0]?.extensions?.["code"]).toBe("METHOD_NOT_ALLOWED");
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

  it("answers 4xx without data for requests that never execute; application/json only for malformed ones", async () => {
    // [label, body, status with application/graphql-response+json, with application/json, code]
    const cases: [string, Record<string, unknown> | unknown[] | string, number, number, string][] = [
      ["parse error", { query: "{ scoringRules { " }, 400, 200, "GRAPHQL_PARSE_FAILED"],
      ["validation error", { query: "{ nope }" }, 400, 200, "GRAPHQL_VALIDATION_FAILED"],
      [
        "variable coercion",
        { query: "query ($n: Int!) { leaderboard(first: $n) { nodes { rank } } }", variables: { n: "ten" } },
        400,
        200,
        "BAD_USER_INPUT",
      ],
      ["no query", { variables: {} }, 400, 400, "BAD_REQUEST"],
      ["a batch (one operation per request)", [{ query: RULES }, { query: RULES }], 400, 400, "BAD_REQUEST"],
      ["broken JSON", "{ not json", 400, 400, "BAD_REQUEST"],
      [
        "unknown operation name",
        { query: RULES, operationName: "Other" },
        400,
        200,
        "OPERATION_RESOLUTION_FAILURE",
      ],
    ];
    for (const [label, body, strict, legacy, code] of cases) {
      for (const [accept, status] of [
        [GRAPHQL_RESPONSE, strict],
        ["application/json", legacy],
      ] as const) {
        const reply = await post(typeof body === "string" ? body : JSON.stringify(body), { accept });
        const answered = {
          label,
          accept,
          status: reply.status,
          code: reply.json?.errors?.[0]?.extensions?.["code"],
        };
        expect(answered).toEqual({ label, accept, status, code });
        expect(reply.json?.data, label).toBeUndefined();
      }
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

  it("passes every MUST and SHOULD audit of graphql-http (the GraphQL over HTTP spec's own)", async () => {
    const results = await Promise.all(
      serverAudits({ url: server.url }).map(async (audit) => ({ ...(await audit.fn()), name: audit.name })),
    );
    expect(results.length).toBeGreaterThan(50);
    const required = results.filter((result) => /^(MUST|SHOULD) /.test(result.name));
    expect(required.length).toBeGreaterThan(30);
    const failed = required.filter((result) => result.status !== "ok").map((r) => `${r.name}: ${r.reason}`);
    expect(failed).toEqual([]);
  });

  it("refuses a JSON body in another charset (415) and bytes that are not UTF-8 (400)", async () => {
    const body = JSON.stringify({ query: RULES });
    for (const charset of ["utf-16", "iso-8859-1", '"latin1"']) {
      const reply = await post(body, { "content-type": `application/json; charset=${charset}` });
      expect(reply.status, charset).toBe(415);
      expect(reply.json?.errors?.[0]?.extensions?.["code"]).toBe("UNSUPPORTED_MEDIA_TYPE");
    }
    for (const charset of ["utf-8", "UTF-8", '"utf-8"']) {
      const reply = await post(body, { "content-type": `application/json; charset=${charset}` });
      expect(reply.status, charset).toBe(200);
    }
    const latin1 = Buffer.from(
      JSON.stringify({ query: `{ score(userId: "caf\u00e9") { score } }` }),
      "latin1",
    );
    const reply = await server.fetch("/graphql", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: latin1,
    });
    expect(reply.status).toBe(400);
    expect(reply.json?.errors?.[0]).toMatchObject({
      message: "request body is not valid UTF-8",
      extensions: { code: "BAD_REQUEST" },
    });
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
