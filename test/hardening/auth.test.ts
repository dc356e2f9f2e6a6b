import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { loadConfig } from "../../src/app/config.js";
import {
  events,
  KEYS,
  READ_KEY,
  RECORD,
  startHardenedServer,
  WRITE_KEY,
  wsRequest,
  type HardenedServer,
} from "./support.js";

const SCORE = `query { score(userId: "alice") { score events } }`;

describe("API keys over HTTP", () => {
  let server: HardenedServer;
  beforeAll(async () => {
    server = await startHardenedServer({ EVENTSCORE_API_KEYS: KEYS });
  });
  afterAll(() => server.stop());

  it("refuses a mutation without a key with 401 UNAUTHENTICATED, and stores nothing", async () => {
    const reply = await server.gql(RECORD, { events: events("anon", 1) });
    expect(reply.status).toBe(401);
    expect(reply.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(reply.json?.errors?.[0]?.extensions?.["code"]).toBe("UNAUTHENTICATED");
    expect(reply.json?.data).toBeUndefined();
    const score = await server.gql(SCORE);
    expect(score.json?.data).toEqual({ score: { score: 0, events: 0 } });
  });

  it("refuses a wrong key with 401 whatever the operation", async () => {
    const wrong: Record<string, string>[] = [
      { authorization: "Bearer not-a-key-0123456789" },
      { "x-api-key": `${WRITE_KEY}x` },
    ];
    for (const headers of wrong) {
      const mutation = await server.gql(RECORD, { events: events("wrong", 1) }, headers);
      expect(mutation.status).toBe(401);
      expect(mutation.json?.errors?.[0]?.extensions?.["code"]).toBe("UNAUTHENTICATED");
      const query = await server.gql(SCORE, {}, headers);
      expect(query.status).toBe(401);
    }
    // A malformed Authorization header is a credential too, never a pass as anonymous.
    const basic = await server.gql(SCORE, {}, { authorization: "Basic dXNlcjpwYXNz" });
    expect(basic.status).toBe(401);
  });

  it("refuses a read key's mutation with 403 FORBIDDEN", async () => {
    const reply = await server.gql(RECORD, { events: events("read", 1) }, { "x-api-key": READ_KEY });
    expect(reply.status).toBe(403);
    expect(reply.json?.errors?.[0]?.extensions?.["code"]).toBe("FORBIDDEN");
    expect(reply.json?.errors?.[0]?.message).toContain("dashboard");
  });

  it("accepts a write key as a Bearer token or as X-API-Key", async () => {
    const bearer = await server.gql(
      RECORD,
      { events: events("bearer", 2) },
      { authorization: `Bearer ${WRITE_KEY}` },
    );
    expect(bearer.status).toBe(200);
    expect(bearer.json?.data).toEqual({ recordEvents: { accepted: 2, duplicates: 0, rejected: [] } });
    const header = await server.gql(RECORD, { events: events("header", 1) }, { "x-api-key": WRITE_KEY });
    expect(header.json?.data).toEqual({ recordEvents: { accepted: 1, duplicates: 0, rejected: [] } });
  });

  it("leaves queries open unless told otherwise, with or without a valid key", async () => {
    expect((await server.gql(SCORE)).status).toBe(200);
    expect((await server.gql(SCORE, {}, { "x-api-key": READ_KEY })).json?.data).toEqual({
      score: { score: 6, events: 3 },
    });
  });
});

describe("API keys required for queries too", () => {
  let server: HardenedServer;
  beforeAll(async () => {
    server = await startHardenedServer({ EVENTSCORE_API_KEYS: KEYS, EVENTSCORE_QUERIES_REQUIRE_KEY: "true" });
  });
  afterAll(() => server.stop());

  it("refuses an anonymous query and accepts a read key", async () => {
    const anonymous = await server.gql(SCORE);
    expect(anonymous.status).toBe(401);
    expect(anonymous.json?.errors?.[0]?.extensions?.["code"]).toBe("UNAUTHENTICATED");
    const keyed = await server.gql(SCORE, {}, { authorization: `bearer ${READ_KEY}` });
    expect(keyed.status).toBe(200);
    expect(keyed.json?.data).toEqual({ score: { score: 0, events: 0 } });
  });

  it("holds HTTP routes besides GraphQL to the same rule, except probes, metrics and webhooks", async () => {
    const csv = await server.fetch("/reports.csv?from=2024-01-01&to=2024-01-02");
    expect(csv.status).toBe(401);
    expect(csv.json?.errors?.[0]?.extensions?.["code"]).toBe("UNAUTHENTICATED");
    const keyed = await server.fetch("/reports.csv?from=2024-01-01&to=2024-01-02", {
      headers: { "x-api-key": READ_KEY },
    });
    expect(keyed.status).not.toBe(401);
    expect((await server.fetch("/health/ready")).status).toBe(200);
    expect((await server.fetch("/metrics")).status).toBe(200);
    expect((await server.fetch("/webhooks/github", { method: "POST" })).status).not.toBe(401);
  });

  it("refuses an anonymous subscription over WebSocket", async () => {
    const client = server.ws();
    const outcome = await wsRequest(client, `subscription { eventRecorded { id } }`);
    expect(JSON.stringify(outcome.error)).toContain("UNAUTHENTICATED");
  });
});

describe("API keys over WebSocket", () => {
  let server: HardenedServer;
  beforeAll(async () => {
    server = await startHardenedServer({ EVENTSCORE_API_KEYS: KEYS });
  });
  afterAll(() => server.stop());

  it("takes the key from connection_init", async () => {
    const client = server.ws({ connectionParams: { authorization: `Bearer ${WRITE_KEY}` } });
    const outcome = await wsRequest(client, RECORD, { events: events("ws-init", 2, "carol") });
    expect(outcome.result?.data).toEqual({ recordEvents: { accepted: 2, duplicates: 0, rejected: [] } });
  });

  it("takes the key from the upgrade request's X-API-Key header", async () => {
    class KeyedSocket extends WebSocket {
      constructor(address: string, protocols?: string | string[]) {
        super(address, protocols, { headers: { "x-api-key": WRITE_KEY } });
      }
    }
    const client = server.ws({ webSocketImpl: KeyedSocket });
    const outcome = await wsRequest(client, RECORD, { events: events("ws-header", 1, "carol") });
    expect(outcome.result?.data).toEqual({ recordEvents: { accepted: 1, duplicates: 0, rejected: [] } });
  });

  it("answers an anonymous mutation with UNAUTHENTICATED and a read key's with FORBIDDEN", async () => {
    const anonymous = await wsRequest(server.ws(), RECORD, { events: events("ws-anon", 1) });
    expect(anonymous.error).toEqual([expect.objectContaining({ extensions: { code: "UNAUTHENTICATED" } })]);
    const reader = server.ws({ connectionParams: { "X-API-Key": READ_KEY } });
    const forbidden = await wsRequest(reader, RECORD, { events: events("ws-read", 1) });
    expect(forbidden.error).toEqual([expect.objectContaining({ extensions: { code: "FORBIDDEN" } })]);
  });

  it("closes a connection that presents a wrong key with 4403", async () => {
    const closed = new Promise<number>((resolve) => {
      const client = server.ws({
        connectionParams: { authorization: "Bearer wrong-key-0123456789abcdef" },
        on: { closed: (event) => resolve((event as { code: number }).code) },
      });
      client.subscribe(
        { query: SCORE },
        { next: () => undefined, error: () => undefined, complete: () => undefined },
      );
    });
    expect(await closed).toBe(4403);
  });
});

describe("API key configuration", () => {
  it("refuses malformed keys naming the variable and never echoing a key", () => {
    const secret = "short";
    expect(() => loadConfig({ EVENTSCORE_API_KEYS: `ingest:${secret}` })).toThrow(
      /EVENTSCORE_API_KEYS: item 1 \(ingest\)/,
    );
    try {
      loadConfig({ EVENTSCORE_API_KEYS: `ingest:${secret}` });
    } catch (error) {
      expect((error as Error).message).not.toContain(secret);
    }
    expect(() => loadConfig({ EVENTSCORE_API_KEYS: `a:${WRITE_KEY},a:${READ_KEY}` })).toThrow(/used twice/);
    expect(() => loadConfig({ EVENTSCORE_API_KEYS: `a:${WRITE_KEY}:admin` })).toThrow(
      /scope must be read or write/,
    );
  });

  it("names bare keys key-N and defaults to write scope", () => {
    const config = loadConfig({ EVENTSCORE_API_KEYS: `${WRITE_KEY}, reader:${READ_KEY}:read` });
    expect(config.hardening.apiKeys.map(({ name, scope }) => ({ name, scope }))).toEqual([
      { name: "key-1", scope: "write" },
      { name: "reader", scope: "read" },
    ]);
  });
});
