import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "graphql-ws";
import { afterAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { startChildServer, waitForExit } from "../support/child-server.js";
import { postGraphQL } from "../support/server.js";
import { events, RECORD } from "./support.js";

/** Starts a POST whose body arrives in two parts; the response comes once `finish` sends the rest. */
function slowPost(url: string, body: string) {
  const cut = Math.floor(body.length / 2);
  let finish!: () => void;
  const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(url, {
      method: "POST",
      headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
    });
    req.on("response", (res) => {
      let text = "";
      res.on("data", (chunk: Buffer) => (text += chunk.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on("error", reject);
    req.write(body.slice(0, cut));
    req.flushHeaders();
    finish = () => req.end(body.slice(cut));
  });
  return { response, finish: () => finish() };
}

async function inFlightRequests(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return Number(/^eventscore_http_requests_in_flight (\d+)/m.exec(text)?.[1] ?? 0);
}

describe("graceful shutdown on SIGTERM", { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "eventscore-shutdown-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("stops taking work, finishes the in-flight mutation, closes subscriptions with 1001 and exits 0", async () => {
    const env = { EVENTSCORE_SQLITE_PATH: join(dir, "events.db"), EVENTSCORE_SHUTDOWN_TIMEOUT_MS: "30000" };
    const child = await startChildServer(env);
    const base = child.url.replace(/\/graphql$/, "");

    const closeCode = new Promise<number>((resolve) => {
      const client = createClient({
        url: child.url.replace("http:", "ws:"),
        webSocketImpl: WebSocket,
        retryAttempts: 0,
        on: { closed: (event) => resolve((event as { code: number }).code) },
      });
      client.subscribe(
        { query: `subscription { eventRecorded { id } }` },
        { next: () => undefined, error: () => undefined, complete: () => undefined },
      );
    });
    // The subscription is open once the gauge says so.
    while (!/^eventscore_subscriptions_open 1$/m.test(await (await fetch(`${base}/metrics`)).text())) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    const batch = events("drain", 200);
    const pending = slowPost(child.url, JSON.stringify({ query: RECORD, variables: { events: batch } }));
    // The server is reading that request (the metrics request itself is the other one in flight).
    while ((await inFlightRequests(base)) < 2) await new Promise((resolve) => setTimeout(resolve, 20));

    child.process.kill("SIGTERM");
    // New work is refused: the listener closes, and a request on a kept-alive connection gets 503.
    for (let attempt = 0; ; attempt++) {
      const outcome = await fetch(`${base}/health/ready`).then(
        (response) => response.status,
        () => "refused" as const,
      );
      if (outcome === "refused" || outcome === 503) break;
      expect(attempt).toBeLessThan(200);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }

    pending.finish();
    const answered = await pending.response;
    expect(answered.status).toBe(200);
    expect(JSON.parse(answered.text)).toEqual({
      data: { recordEvents: { accepted: 200, duplicates: 0, rejected: [] } },
    });
    expect(await closeCode).toBe(1001);
    expect(await waitForExit(child.process)).toBe(0);
    expect(child.output()).toMatch(/"message":"stopped"/);

    // What was acknowledged during the drain is stored.
    const again = await startChildServer(env);
    try {
      const score = await postGraphQL<{ score: { events: number } }>(
        again.url,
        `{ score(userId: "alice") { events } }`,
      );
      expect(score.data?.score.events).toBe(200);
    } finally {
      again.process.kill("SIGTERM");
      expect(await waitForExit(again.process)).toBe(0);
    }
  });
});
