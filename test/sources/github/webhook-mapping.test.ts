import { describe, expect, it } from "vitest";
import { webhookDefinitions } from "../../support/webhook-examples.js";
import { isRejection, normalizeEvent } from "../../../src/domain/event.js";
import { fromWebhookDelivery, type WebhookOutcome } from "../../../src/sources/github/webhook.js";
import { signatureOf, verifySignature } from "../../../src/sources/github/signature.js";

const definitions = webhookDefinitions;

const receivedAt = new Date("2024-03-01T12:00:00.000Z");
const limits = { maxPayloadBytes: 65_536, latestOccurredAtMs: Date.now() + 86_400_000 };

function mapAll(
  starSource: "watch" | "star",
): { name: string; example: Record<string, unknown>; outcome: WebhookOutcome }[] {
  return definitions.flatMap((definition) =>
    definition.examples.map((example, i) => ({
      name: definition.name,
      example,
      outcome: fromWebhookDelivery(definition.name, example, {
        deliveryId: `${definition.name}-${i}`,
        receivedAt,
        starSource,
      }),
    })),
  );
}

describe("webhook deliveries → Events API events (all @octokit/webhooks-examples payloads)", () => {
  const all = mapAll("watch");

  it("covers all 329 example payloads", () => {
    expect(all).toHaveLength(329);
  });

  it("maps every example either to a valid event, a ping, or a deliberate ignore", () => {
    const outcomes = { event: 0, ping: 0, ignored: 0 };
    for (const { outcome } of all) outcomes[outcome.kind] += 1;
    expect(outcomes).toEqual({ event: 60, ping: 4, ignored: 265 });
    for (const { name, outcome } of all) {
      if (outcome.kind !== "event") continue;
      const normalized = normalizeEvent(outcome.draft, limits);
      expect(isRejection(normalized), `${name}: ${JSON.stringify(normalized)}`).toBe(false);
    }
  });

  it("counts events per Events API type and action", () => {
    const counts: Record<string, number> = {};
    for (const { outcome } of all) {
      if (outcome.kind !== "event") continue;
      const payload = outcome.draft.payload as { action?: string } | null;
      const key = payload?.action ? `${outcome.draft.type}:${payload.action}` : outcome.draft.type;
      counts[key] = (counts[key] ?? 0) + 1;
    }
    expect(counts).toEqual({
      "CommitCommentEvent:created": 5,
      CreateEvent: 7, // 5 create (tag) + 2 repository created
      DeleteEvent: 4,
      ForkEvent: 3,
      GollumEvent: 3,
      "IssueCommentEvent:created": 5,
      "IssuesEvent:opened": 4,
      "IssuesEvent:reopened": 1,
      "MemberEvent:added": 3,
      PublicEvent: 3,
      "PullRequestEvent:opened": 4,
      "PullRequestEvent:closed": 2,
      "PullRequestEvent:reopened": 2,
      "PullRequestReviewEvent:created": 3,
      "PullRequestReviewCommentEvent:created": 3,
      PushEvent: 2,
      "ReleaseEvent:published": 3,
      "WatchEvent:started": 3,
    });
  });

  it("ignores unknown kinds and the actions the public event stream does not show", () => {
    const reasons: Record<string, number> = {};
    for (const { name, outcome } of all) {
      if (outcome.kind === "ignored") reasons[name] = (reasons[name] ?? 0) + 1;
    }
    // Kinds with no Events API counterpart are ignored whole.
    for (const kind of [
      "check_run",
      "workflow_job",
      "installation",
      "security_advisory",
      "discussion",
      "label",
    ]) {
      const total = definitions.find((d) => d.name === kind)!.examples.length;
      expect(reasons[kind], kind).toBe(total);
    }
    // Mapped kinds: only the unscored actions are ignored.
    expect(reasons["pull_request"]).toBe(29 - 8);
    expect(reasons["issues"]).toBe(29 - 5);
    expect(reasons["issue_comment"]).toBe(4); // edited, deleted
    expect(reasons["release"]).toBe(10); // created, edited, deleted, prereleased, released
    expect(reasons["push"]).toBe(5); // 4 ref deletions + 1 tag push
    expect(reasons["star"]).toBe(3); // counted from watch deliveries by default
    expect(reasons["ping"]).toBeUndefined();
    expect(reasons["watch"]).toBeUndefined();
  });

  it("can count stars from star deliveries instead (and then ignores watch)", () => {
    const outcomes = mapAll("star");
    const star = outcomes.filter((o) => o.name === "star").map((o) => o.outcome.kind);
    const watch = outcomes.filter((o) => o.name === "watch").map((o) => o.outcome.kind);
    expect(star).toEqual(["event", "event", "ignored"]); // created, created, deleted
    expect(watch).toEqual(["ignored", "ignored", "ignored"]);
  });

  it("uses sender.login, the delivery id, the repo, its owner and the org", () => {
    const opened = all.find(
      (o) =>
        o.name === "pull_request" &&
        o.example["action"] === "opened" &&
        o.example["organization"] !== undefined,
    )!;
    expect(opened.outcome.kind).toBe("event");
    if (opened.outcome.kind !== "event") return;
    const pr = opened.example["pull_request"] as { created_at: string; number: number };
    const repo = (opened.example["repository"] as { full_name: string }).full_name;
    expect(opened.outcome.draft).toMatchObject({
      userId: "Codertocat",
      type: "PullRequestEvent",
      repo,
      category: repo.split("/")[0],
      groups: ["Octocoders"],
      occurredAt: new Date(pr.created_at),
      payload: { action: "opened", number: pr.number, merged: false },
    });
    expect(opened.outcome.draft.id).toMatch(/^pull_request-\d+$/);
  });

  it("takes occurredAt from the payload's own timestamp, else the receive time", () => {
    const timeOf = (name: string, action?: string): Date => {
      const found = all.find(
        (o) =>
          o.name === name &&
          o.outcome.kind === "event" &&
          (action === undefined || o.example["action"] === action),
      );
      if (found?.outcome.kind !== "event") throw new Error(`no event for ${name}`);
      return found.outcome.draft.occurredAt;
    };
    expect(timeOf("pull_request_review", "submitted")).toEqual(new Date("2019-05-15T15:20:38Z"));
    expect(timeOf("issue_comment", "created")).toEqual(new Date("2019-05-15T15:20:21Z"));
    expect(timeOf("pull_request", "closed")).toEqual(new Date("2019-05-15T15:21:18Z"));
    expect(timeOf("release", "published")).toEqual(new Date("2019-05-15T15:20:53Z"));
    expect(timeOf("push")).toEqual(new Date(1557933657 * 1000)); // repository.pushed_at (epoch seconds)
    expect(timeOf("fork")).toEqual(new Date("2019-05-15T15:20:42Z"));
    expect(timeOf("watch")).toEqual(receivedAt);
    expect(timeOf("create")).toEqual(receivedAt);
    expect(timeOf("gollum")).toEqual(receivedAt);
  });

  it("keeps a small Events-API-shaped payload summary, never the commits", () => {
    const push = all.find(
      (o) => o.name === "push" && o.outcome.kind === "event" && o.example["ref"] === "refs/heads/master",
    );
    expect(push?.outcome.kind).toBe("event");
    if (push?.outcome.kind !== "event") return;
    expect(push.outcome.draft.payload).toEqual({ ref: "refs/heads/master", size: 1, distinct_size: 1 });
    const fork = all.find((o) => o.name === "fork")!;
    if (fork.outcome.kind !== "event") throw new Error("fork not mapped");
    expect(fork.outcome.draft.payload).toEqual({ forkee_full_name: "Octocoders/Hello-World" });
  });

  it("answers ping with the zen", () => {
    const ping = all.find((o) => o.name === "ping")!;
    expect(ping.outcome).toEqual({
      kind: "ping",
      zen: "Anything added dilutes everything else.",
      hookId: 109948940,
    });
  });

  it("ignores bodies that are not objects and payloads without a sender", () => {
    const meta = { deliveryId: "x", receivedAt };
    expect(fromWebhookDelivery("push", [], meta).kind).toBe("ignored");
    expect(fromWebhookDelivery("push", null, meta).kind).toBe("ignored");
    expect(
      fromWebhookDelivery("watch", { action: "started", repository: { full_name: "a/b" } }, meta),
    ).toEqual({
      kind: "ignored",
      reason: "the payload has no sender.login",
    });
  });
});

describe("X-Hub-Signature-256", () => {
  // GitHub's documented test vector (docs: "Validating webhook deliveries").
  const secret = "It's a Secret to Everybody";
  const payload = "Hello, World!";
  const signature = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

  it("matches GitHub's test vector", () => {
    expect(signatureOf(secret, payload)).toBe(signature);
    expect(verifySignature(secret, Buffer.from(payload), signature)).toBe(true);
  });

  it("refuses missing, truncated, altered and wrong-secret signatures", () => {
    expect(verifySignature(secret, payload, undefined)).toBe(false);
    expect(verifySignature(secret, payload, "")).toBe(false);
    expect(verifySignature(secret, payload, signature.slice(0, -1))).toBe(false);
    expect(verifySignature(secret, payload, `${signature.slice(0, -1)}f`)).toBe(false);
    expect(verifySignature(secret, payload, signature.replace("sha256=", "sha1="))).toBe(false);
    expect(verifySignature("another secret", payload, signature)).toBe(false);
    expect(verifySignature(secret, "Hello, World?", signature)).toBe(false);
  });
});
