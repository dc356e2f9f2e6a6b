import { errorFields } from "../../app/logger.js";
import type { PlainReply, PlainRequest } from "../../app/plain-http.js";
import type { IngestResult } from "../../services/ingest.js";
import type { GitHubWebhookConfig } from "./config.js";
import type { EventSink, SourceLogger } from "./ports.js";
import { verifySignature } from "./signature.js";
import { fromWebhookDelivery } from "./webhook.js";

export const GITHUB_WEBHOOK_PATH = "/webhooks/github";

export interface DeliveryDeps {
  readonly config: GitHubWebhookConfig;
  readonly ingest: EventSink;
  readonly logger: SourceLogger;
  readonly now?: () => Date;
}

/**
 * Decides what one `POST /webhooks/github` delivery comes to. The signature
 * (`X-Hub-Signature-256`) over the raw body is checked before anything else: 401 and nothing
 * stored when it is missing or wrong. `ping` is answered, kinds that are not scored are
 * acknowledged with 202, and the rest are recorded as one event whose id is
 * `X-GitHub-Delivery`, so a re-delivery is a duplicate. The reply comes after the write is
 * durable: 200 means stored.
 */
export async function receiveDelivery(request: PlainRequest, deps: DeliveryDeps): Promise<PlainReply> {
  const { config, ingest, logger } = deps;
  if (request.method !== "POST") {
    return { ...failure(405, "METHOD_NOT_ALLOWED", "use POST"), headers: { allow: "POST" } };
  }
  if (config.secret === null) {
    return failure(
      503,
      "WEBHOOK_SECRET_NOT_CONFIGURED",
      "GitHub webhooks are disabled: set GITHUB_WEBHOOK_SECRET to the secret configured on the GitHub webhook",
    );
  }
  const receivedAt = (deps.now ?? (() => new Date()))();
  const body = await request.readBody(config.maxBodyBytes);
  if (body === null) {
    // The rest of the body is not read: the connection cannot be reused.
    return {
      ...failure(413, "PAYLOAD_TOO_LARGE", `the delivery exceeds ${config.maxBodyBytes} bytes`),
      headers: { connection: "close" },
    };
  }
  const eventName = request.header("x-github-event");
  const deliveryId = request.header("x-github-delivery");
  if (!verifySignature(config.secret, body, request.header("x-hub-signature-256"))) {
    logger.warn("github webhook: refused a delivery with a missing or wrong signature", {
      event: eventName,
      delivery: deliveryId,
      remote: request.remoteAddress ?? undefined,
    });
    return failure(401, "INVALID_SIGNATURE", "X-Hub-Signature-256 is missing or does not match the body");
  }
  if (eventName === null) return failure(400, "BAD_REQUEST", "X-GitHub-Event is required");
  const payload = parsePayload(body, request.header("content-type"));
  if (payload === undefined) {
    return failure(400, "BAD_REQUEST", "the body is not a JSON payload (content type application/json)");
  }
  const outcome = fromWebhookDelivery(eventName, payload, {
    deliveryId: deliveryId ?? "",
    receivedAt,
    starSource: config.starSource,
  });
  if (outcome.kind === "ping") {
    return { status: 200, body: { ok: true, zen: outcome.zen, hookId: outcome.hookId } };
  }
  if (outcome.kind === "ignored") {
    return { status: 202, body: { ok: true, ignored: true, reason: outcome.reason } };
  }
  if (deliveryId === null) {
    return failure(400, "BAD_REQUEST", "X-GitHub-Delivery is required: it is the event id");
  }
  const event = { id: deliveryId, type: outcome.draft.type, userId: outcome.draft.userId };
  let result: IngestResult;
  try {
    result = await ingest.record([outcome.draft]);
  } catch (error) {
    logger.error("github webhook: could not record a delivery", {
      delivery: deliveryId,
      ...errorFields(error),
    });
    return failure(503, "STORE_UNAVAILABLE", "the event could not be stored; redeliver it from GitHub later");
  }
  const rejection = result.rejected[0];
  if (result.accepted === 1) return { status: 200, body: { ok: true, outcome: "recorded", event } };
  if (result.duplicates === 1 || rejection?.code === "CONFLICT") {
    // A re-delivery keeps its GUID; kinds timed by arrival differ in occurredAt (a CONFLICT),
    // and either way the first delivery is the one that counts.
    return { status: 200, body: { ok: true, outcome: "duplicate", event } };
  }
  logger.warn("github webhook: delivery rejected", { delivery: deliveryId, event: eventName, ...rejection });
  return {
    status: 422,
    body: {
      ok: false,
      outcome: "rejected",
      event,
      error: { code: rejection?.code ?? "REJECTED", message: rejection?.reason ?? "rejected" },
    },
  };
}

function failure(status: number, code: string, message: string): PlainReply {
  return { status, body: { ok: false, error: { code, message } } };
}

/** GitHub sends JSON, or `payload=<json>` form-encoded when the webhook's content type says so. */
function parsePayload(body: Buffer, contentType: string | null): unknown {
  let text = body.toString("utf8");
  if (contentType?.toLowerCase().startsWith("application/x-www-form-urlencoded")) {
    const payload = new URLSearchParams(text).get("payload");
    if (payload === null) return undefined;
    text = payload;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
