import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { webhookDefinitions } from "../../support/webhook-examples.js";
import { githubDefaultRules, weightOf } from "../../../src/domain/scoring.js";
import { loadConfig } from "../../../src/app/config.js";
import { loadGitHubConfig } from "../../../src/sources/github/config.js";
import { createJsonLogger } from "../../../src/app/logger.js";
import { startInstance, type Instance } from "../../../src/cli/instance.js";
import { signatureOf } from "../../../src/sources/github/signature.js";
import { fromWebhookDelivery } from "../../../src/sources/github/webhook.js";

const definitions = webhookDefinitions;
const examples = definitions.flatMap((d) => d.examples.map((payload) => ({ name: d.name, payload })));

// GitHub's documented test vector ("Validating webhook deliveries").
const SECRET = "It's a Secret to Everybody";
const VECTOR_BODY = "Hello, World!";
const VECTOR_SIGNATURE = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

async function start(env: Record<string, string>): Promise<Instance> {
  const config = loadConfig({
    ...process.env,
    PORT: "0",
    HOST: "127.0.0.1",
    EVENTSCORE_SQLITE_PATH: ":memory:",
  });
  return startInstance(config, createJsonLogger("silent"), loadGitHubConfig(env));
}

function origin(instance: Instance): string {
  return `http://127.0.0.1:${instance.server.port}`;
}

interface Delivery {
  readonly event: string;
  readonly body: string;
  readonly delivery?: string;
  readonly signature?: string | null;
  readonly contentType?: string;
}

async function deliver(
  instance: Instance,
  d: Delivery,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const headers: Record<string, string> = {
    "content-type": d.contentType ?? "application/json",
    "x-github-event": d.event,
    "x-github-delivery": d.delivery ?? randomUUID(),
    "user-agent": "GitHub-Hookshot/test",
  };
  const signature = d.signature === undefined ? signatureOf(SECRET, d.body) : d.signature;
  if (signature !== null) headers["x-hub-signature-256"] = signature;
  const response = await fetch(`${origin(instance)}/webhooks/github`, {
    method: "POST",
    headers,
    body: d.body,
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

async function graphql<T>(
  instance: Instance,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<T> {
  const response = await fetch(`${origin(instance)}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  const result = (await response.json()) as { data?: T; errors?: unknown[] };
  if (result.errors !== undefined) throw new Error(JSON.stringify(result.errors));
  return result.data as T;
}

interface ScoreData {
  score: { score: number; events: number; breakdown: { type: string; count: number }[] };
}

function score(instance: Instance, userId: string): Promise<ScoreData> {
  return graphql<ScoreData>(
    instance,
    `
      query ($userId: String!) {
        score(userId: $userId) {
          score
          events
          breakdown {
            type
            count
          }
        }
      }
    `,
    { userId },
  );
}

describe("POST /webhooks/github on a real server", () => {
  let instance: Instance;

  beforeAll(async () => {
    instance = await start({ GITHUB_WEBHOOK_SECRET: SECRET });
  });

  afterAll(async () => {
    await instance.stop();
  });

  it("accepts GitHub's signature test vector (and then finds no JSON in it)", async () => {
    const signed = await deliver(instance, { event: "push", body: VECTOR_BODY, signature: VECTOR_SIGNATURE });
    expect(signed.status).toBe(400);
    const altered = await deliver(instance, {
      event: "push",
      body: "Hello, World?",
      signature: VECTOR_SIGNATURE,
    });
    expect(altered.status).toBe(401);
  });

  it("refuses unsigned and wrongly signed deliveries with 401 and stores nothing", async () => {
    const push = examples.find((e) => e.name === "push" && (e.payload["commits"] as unknown[]).length > 0)!;
    const body = JSON.stringify({ ...push.payload, sender: { login: "mallory" } });
    const unsigned = await deliver(instance, { event: "push", body, signature: null });
    expect(unsigned).toMatchObject({
      status: 401,
      json: { ok: false, error: { code: "INVALID_SIGNATURE" } },
    });
    for (const signature of [
      signatureOf("wrong secret", body),
      signatureOf(SECRET, `${body} `),
      "sha256=",
      "sha1=0000",
      `${signatureOf(SECRET, body)}0`,
    ]) {
      expect((await deliver(instance, { event: "push", body, signature })).status).toBe(401);
    }
    expect((await score(instance, "mallory")).score.events).toBe(0);
  });

  it("answers ping, acknowledges unknown kinds with 202, refuses GET", async () => {
    const ping = examples.find((e) => e.name === "ping")!;
    expect(await deliver(instance, { event: "ping", body: JSON.stringify(ping.payload) })).toEqual({
      status: 200,
      json: { ok: true, zen: "Anything added dilutes everything else.", hookId: 109948940 },
    });
    const unknown = await deliver(instance, {
      event: "some_future_event",
      body: JSON.stringify({ action: "x" }),
    });
    expect(unknown).toMatchObject({ status: 202, json: { ok: true, ignored: true } });
    const get = await fetch(`${origin(instance)}/webhooks/github`);
    expect(get.status).toBe(405);
  });

  it("records all 329 example deliveries as scored events, pings or ignored kinds; re-deliveries count once", async () => {
    const rules = githubDefaultRules();
    const expected = new Map<string, { events: number; score: number }>();
    const statuses: Record<number, number> = {};
    const sent: { event: string; body: string; delivery: string }[] = [];
    for (const { name, payload } of examples) {
      const delivery = randomUUID();
      const body = JSON.stringify(payload);
      const reply = await deliver(instance, { event: name, body, delivery });
      statuses[reply.status] = (statuses[reply.status] ?? 0) + 1;
      sent.push({ event: name, body, delivery });
      const outcome = fromWebhookDelivery(name, payload, { deliveryId: delivery, receivedAt: new Date() });
      if (outcome.kind === "event") {
        expect(reply.json).toMatchObject({ ok: true, outcome: "recorded", event: { id: delivery } });
        const before = expected.get(outcome.draft.userId) ?? { events: 0, score: 0 };
        expected.set(outcome.draft.userId, {
          events: before.events + 1,
          score: before.score + weightOf(rules, outcome.draft.type),
        });
      }
    }
    expect(statuses).toEqual({ 200: 64, 202: 265 });
    expect(expected.size).toBeGreaterThan(1);
    for (const [userId, want] of expected) {
      const got = await score(instance, userId);
      expect({ userId, events: got.score.events, score: got.score.score }).toEqual({ userId, ...want });
    }

    // GitHub's "Redeliver" keeps X-GitHub-Delivery: every re-delivery is a duplicate, even for
    // kinds timed by their arrival (watch, create, gollum), whose occurredAt differs the second time.
    for (const original of sent.filter((s) =>
      ["watch", "create", "gollum", "pull_request", "push"].includes(s.event),
    )) {
      const again = await deliver(instance, original);
      if (again.status === 200) expect(again.json["outcome"]).toBe("duplicate");
      else expect(again.status).toBe(202);
    }
    for (const [userId, want] of expected) {
      expect((await score(instance, userId)).score.events, userId).toBe(want.events);
    }
  });

  it("stores the event under the delivery id with the payload's own time", async () => {
    const review = examples.find(
      (e) => e.name === "pull_request_review" && e.payload["action"] === "submitted",
    )!;
    const delivery = randomUUID();
    const body = JSON.stringify({ ...review.payload, sender: { login: "reviewer-1" } });
    expect((await deliver(instance, { event: "pull_request_review", body, delivery })).status).toBe(200);
    const data = await graphql<{
      events: { nodes: { id: string; type: string; occurredAt: string; repo: string; points: number }[] };
    }>(
      instance,
      `
        {
          events(userId: "reviewer-1") {
            nodes {
              id
              type
              occurredAt
              repo
              points
            }
          }
        }
      `,
    );
    expect(data.events.nodes).toEqual([
      {
        id: delivery,
        type: "PullRequestReviewEvent",
        occurredAt: "2019-05-15T15:20:38.000Z",
        repo: (review.payload["repository"] as { full_name: string }).full_name,
        points: 6,
      },
    ]);
  });

  it("takes form-encoded deliveries (payload=...)", async () => {
    const watch = examples.find((e) => e.name === "watch")!;
    const body = new URLSearchParams({
      payload: JSON.stringify({ ...watch.payload, sender: { login: "form-user" } }),
    }).toString();
    const reply = await deliver(instance, {
      event: "watch",
      body,
      contentType: "application/x-www-form-urlencoded",
    });
    expect(reply).toMatchObject({ status: 200, json: { outcome: "recorded" } });
    expect((await score(instance, "form-user")).score).toMatchObject({ events: 1, score: 1 });
  });

  it("keeps [bot] senders in the log but off the leaderboard", async () => {
    const opened = examples.find((e) => e.name === "pull_request" && e.payload["action"] === "opened")!;
    for (let i = 0; i < 5; i++) {
      const body = JSON.stringify({ ...opened.payload, sender: { login: "dependabot[bot]" } });
      expect((await deliver(instance, { event: "pull_request", body })).status).toBe(200);
    }
    expect((await score(instance, "dependabot[bot]")).score).toMatchObject({ events: 5, score: 50 });
    const board = await graphql<{ leaderboard: { nodes: { userId: string }[] } }>(
      instance,
      `
        {
          leaderboard(window: ALL_TIME, first: 100) {
            nodes {
              userId
            }
          }
        }
      `,
    );
    expect(board.leaderboard.nodes.length).toBeGreaterThan(0);
    expect(board.leaderboard.nodes.map((n) => n.userId)).not.toContain("dependabot[bot]");
  });
});

describe("POST /webhooks/github, misconfigured or oversized", () => {
  it("answers 503 with a clear error when no secret is configured", async () => {
    const instance = await start({});
    try {
      const reply = await deliver(instance, { event: "ping", body: "{}" });
      expect(reply.status).toBe(503);
      expect(reply.json).toMatchObject({ ok: false, error: { code: "WEBHOOK_SECRET_NOT_CONFIGURED" } });
      expect(JSON.stringify(reply.json)).toContain("GITHUB_WEBHOOK_SECRET");
    } finally {
      await instance.stop();
    }
  });

  it("refuses deliveries over GITHUB_WEBHOOK_MAX_BYTES with 413", async () => {
    const instance = await start({ GITHUB_WEBHOOK_SECRET: SECRET, GITHUB_WEBHOOK_MAX_BYTES: "4096" });
    try {
      const big = examples.find((e) => e.name === "pull_request" && e.payload["action"] === "opened")!;
      const body = JSON.stringify(big.payload);
      expect(body.length).toBeGreaterThan(4096);
      const reply = await deliver(instance, { event: "pull_request", body });
      expect(reply).toMatchObject({ status: 413, json: { error: { code: "PAYLOAD_TOO_LARGE" } } });
      const ping = await deliver(instance, { event: "ping", body: JSON.stringify({ zen: "small" }) });
      expect(ping.status).toBe(200);
    } finally {
      await instance.stop();
    }
  });
});
