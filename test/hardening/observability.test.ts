import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { settle, subscribe } from "../support/server.js";
import {
  events,
  KEYS,
  memoryLogger,
  RECORD,
  startHardenedServer,
  WRITE_KEY,
  type HardenedServer,
} from "./support.js";

/** The value of one sample in Prometheus text, or 0 when it is absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const labelText = /\{(.*)\}/.exec(line)?.[1] ?? "";
    if (Object.entries(labels).every(([key, value]) => labelText.includes(`${key}="${value}"`))) {
      return Number(line.slice(line.lastIndexOf(" ") + 1));
    }
  }
  return 0;
}

describe("health, metrics and logs", () => {
  let server: HardenedServer;
  const log = memoryLogger();

  beforeAll(async () => {
    server = await startHardenedServer({ EVENTSCORE_API_KEYS: KEYS }, log.logger);
  });
  afterAll(() => server.stop());

  it("answers liveness and readiness", async () => {
    const live = await server.fetch("/health/live");
    expect(live.status).toBe(200);
    const ready = await server.fetch("/health/ready");
    expect(ready.status).toBe(200);
    expect(ready.json).toEqual({ status: "ok", store: "sqlite" });
  });

  it("counts requests, errors by code, ingest outcomes, batch sizes, store latency and subscriptions", async () => {
    const auth = { authorization: `Bearer ${WRITE_KEY}` };
    const batch = [
      ...events("m", 3),
      { id: "bad", userId: " ", type: "PushEvent", occurredAt: "2024-03-01T10:00:00Z" },
    ];
    await server.gql(RECORD, { events: batch }, auth);
    await server.gql(RECORD, { events: events("m", 2) }, auth); // duplicates
    await server.gql(RECORD, { events: events("anon", 1) }); // UNAUTHENTICATED
    await server.gql(`{ nope }`); // GRAPHQL_VALIDATION_FAILED
    await server.gql(`{ leaderboard { nodes { rank user { score { score } } } } }`);

    const client = server.ws();
    const live = subscribe(client, `subscription { eventRecorded { id } }`);
    await settle();
    const during = (await server.fetch("/metrics")).text;
    expect(sample(during, "eventscore_subscriptions_open")).toBe(1);
    expect(sample(during, "eventscore_websocket_connections_open")).toBe(1);
    live.unsubscribe();
    await settle();

    const reply = await server.fetch("/metrics");
    expect(reply.status).toBe(200);
    expect(reply.headers.get("content-type")).toMatch(/^text\/plain/);
    const text = reply.text;
    expect(sample(text, "eventscore_subscriptions_open")).toBe(0);
    // `{ nope }` too: application/json answers it 200, with the error in the body.
    expect(
      sample(text, "eventscore_http_requests_total", { route: "/graphql", method: "POST", status: "200" }),
    ).toBe(4);
    expect(sample(text, "eventscore_http_requests_total", { route: "/graphql", status: "401" })).toBe(1);
    expect(sample(text, "eventscore_http_requests_total", { route: "/health/ready", status: "200" })).toBe(1);
    expect(sample(text, "eventscore_graphql_errors_total", { code: "UNAUTHENTICATED" })).toBe(1);
    expect(sample(text, "eventscore_graphql_errors_total", { code: "GRAPHQL_VALIDATION_FAILED" })).toBe(1);
    expect(sample(text, "eventscore_ingested_events_total", { outcome: "accepted" })).toBe(3);
    expect(sample(text, "eventscore_ingested_events_total", { outcome: "duplicate" })).toBe(2);
    expect(sample(text, "eventscore_ingested_events_total", { outcome: "rejected" })).toBe(1);
    expect(sample(text, "eventscore_ingest_batch_size_count")).toBe(2);
    expect(sample(text, "eventscore_ingest_batch_size_sum")).toBe(6);
    expect(
      sample(text, "eventscore_store_operation_duration_seconds_count", {
        operation: "append",
        outcome: "ok",
      }),
    ).toBe(2);
    expect(
      sample(text, "eventscore_store_operation_duration_seconds_count", {
        operation: "leaderboard",
        outcome: "ok",
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(sample(text, "eventscore_process_resident_memory_bytes")).toBeGreaterThan(0);
  });

  it("logs one JSON line per request with its request id and caller name, and never a key", async () => {
    const secret = WRITE_KEY;
    await server.gql(
      RECORD,
      { events: events("log", 1) },
      { authorization: `Bearer ${secret}`, "x-request-id": "req-log-1" },
    );
    await server.gql(
      `{ score(userId: "alice") { score } }`,
      {},
      { "x-api-key": "wrong-key-that-is-long-enough" },
    );
    const lines = log.lines();
    const line = lines.find((entry) => entry["requestId"] === "req-log-1" && entry["message"] === "request");
    expect(line).toMatchObject({
      level: "info",
      method: "POST",
      path: "/graphql",
      status: 200,
      caller: "ingest",
    });
    expect(typeof line?.["time"]).toBe("string");
    expect(lines.some((entry) => entry["caller"] === "invalid" && entry["status"] === 401)).toBe(true);
    expect(log.text()).not.toContain(secret);
    expect(log.text()).not.toContain("wrong-key-that-is-long-enough");
  });
});

describe("start-up warning", () => {
  it("warns loudly when NODE_ENV=production runs without API keys, and not when keys are set", async () => {
    const open = memoryLogger();
    await (await startHardenedServer({ NODE_ENV: "production" }, open.logger)).stop();
    expect(open.lines()).toContainEqual(
      expect.objectContaining({
        level: "warn",
        alert: "open-mutations",
        message: expect.stringMatching(/NO API KEYS/),
      }),
    );
    const keyed = memoryLogger();
    await (
      await startHardenedServer({ NODE_ENV: "production", EVENTSCORE_API_KEYS: KEYS }, keyed.logger)
    ).stop();
    expect(keyed.text()).not.toMatch(/NO API KEYS/);
  });
});

describe("readiness while the store is down", () => {
  it("answers 503 from /health/ready once the store cannot answer, and the API says STORE_UNAVAILABLE or fails cleanly", async () => {
    const server = await startHardenedServer();
    try {
      // Close the real store underneath the running server: the next calls fail as they would on an outage.
      await server.instance.app.store.close();
      const ready = await server.fetch("/health/ready");
      expect(ready.status).toBe(503);
      expect(ready.json).toMatchObject({ status: "unavailable", store: "sqlite" });
      const live = await server.fetch("/health/live");
      expect(live.status).toBe(200);
      const query = await server.gql(`{ score(userId: "a") { score } }`);
      expect(query.status).toBe(200);
      expect(query.json?.errors?.[0]?.extensions?.["code"]).toBe("INTERNAL_SERVER_ERROR");
      expect(query.text).not.toMatch(/sqlite|database|at .*\.ts/i);
    } finally {
      await server.stop();
    }
  });
});
