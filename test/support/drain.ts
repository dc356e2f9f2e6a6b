import { request } from "node:http";
import { createClient } from "graphql-ws";
import { expect } from "vitest";
import WebSocket from "ws";
import { waitForExit, type ChildServer } from "./child-server.js";
import { freshGet } from "./fresh-get.js";

/**
 * A SIGTERM that arrives while work is under way, against a server in a child process: one mutation
 * half-sent (its body arrives in two parts, the second only after the signal) and one graphql-ws
 * subscription open. Shared by the shutdown test (the sources through tsx) and the packaging test (the
 * image's command on the build), which assert on the outcome.
 */
export interface DrainOutcome {
  /** What the mutation in flight at the signal was answered. */
  readonly answered: { readonly status: number; readonly text: string };
  /** The close code the WebSocket client received. */
  readonly closeCode: number;
  /** What a new request got after the signal: the listener closed, or 503 on a kept-alive connection. */
  readonly newWork: "refused" | 503;
  readonly exitCode: number | null;
}

export async function sigtermDuringWork(child: ChildServer, mutationBody: string): Promise<DrainOutcome> {
  const base = child.url.replace(/\/graphql$/, "");
  const subscription = await openSubscription(child.url.replace("http:", "ws:"), base);

  const pending = slowPost(child.url, mutationBody);
  // The server is reading that request (the metrics request itself is the other one in flight).
  while ((await inFlightRequests(base)) < 2) await pause(20);

  child.process.kill("SIGTERM");
  const newWork = await untilNewWorkIsRefused(base);
  pending.finish();
  return {
    answered: await pending.response,
    closeCode: await subscription.closed,
    newWork,
    exitCode: await waitForExit(child.process),
  };
}

/**
 * A graceful stop: new work refused (the listener closed, or 503 on a kept-alive connection), the
 * mutation in flight answered with all its events accepted, the WebSocket closed with 1001 Going Away,
 * exit code 0 after the "stopped" log line.
 */
export function expectGracefulStop(outcome: DrainOutcome, child: ChildServer, accepted: number): void {
  expect(["refused", 503]).toContain(outcome.newWork);
  expect(outcome.answered.status).toBe(200);
  expect(JSON.parse(outcome.answered.text)).toEqual({
    data: { recordEvents: { accepted, duplicates: 0, rejected: [] } },
  });
  expect(outcome.closeCode).toBe(1001);
  expect(outcome.exitCode).toBe(0);
  expect(child.output()).toMatch(/"message":"stopped"/);
}

/** Subscribes over graphql-ws; resolves once the server counts the subscription. */
async function openSubscription(wsUrl: string, base: string): Promise<{ closed: Promise<number> }> {
  const closed = new Promise<number>((resolve) => {
    const client = createClient({
      url: wsUrl,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      on: { closed: (event) => resolve((event as { code: number }).code) },
    });
    client.subscribe(
      { query: `subscription { eventRecorded { id } }` },
      { next: () => undefined, error: () => undefined, complete: () => undefined },
    );
  });
  while (!/^eventscore_subscriptions_open 1$/m.test((await freshGet(`${base}/metrics`)).body.toString())) {
    await pause(50);
  }
  return { closed };
}

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
  const text = (await freshGet(`${base}/metrics`)).body.toString();
  return Number(/^eventscore_http_requests_in_flight (\d+)/m.exec(text)?.[1] ?? 0);
}

async function untilNewWorkIsRefused(base: string): Promise<"refused" | 503> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const outcome = await fetch(`${base}/health/ready`).then(
      (response) => response.status,
      () => "refused" as const,
    );
    if (outcome === "refused" || outcome === 503) return outcome;
    await pause(20);
  }
  throw new Error("the server still took new work 4 s after SIGTERM");
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
