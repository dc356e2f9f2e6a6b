import type { IncomingMessage, ServerResponse } from "node:http";
import type { IngestResult } from "../../services/ingest.js";
import type { EventSink } from "../../sources/github/ports.js";
import { verifySignature } from "../../sources/github/signature.js";
import { fromWebhookDelivery } from "../../sources/github/webhook.js";
import type { GitHubWebhookConfig } from "../../sources/github/config.js";
import { sendJson, type Route } from "../http/server.js";
import { errorFields, type Logger } from "../../app/logger.js";

export const GITHUB_WEBHOOK_PATH = "/webhooks/github";

export interface GitHubWebhookOptions {
  readonly config: GitHubWebhookConfig;
  readonly ingest: EventSink;
  readonly logger: Logger;
  readonly now?: () => Date;
}

/**
 * `POST /webhooks/github`: checks `X-Hub-Signature-256` over the raw body before anything else
 * (401 and nothing stored when it is missing or wrong), answers `ping`, acknowledges kinds that
 * are not scored with 202, and records the rest as one event whose id is `X-GitHub-Delivery`,
 * so a re-delivery is a duplicate. The reply comes after the write is durable: 200 means stored.
 */
export function githubWebhookRoute(options: GitHubWebhookOptions): Route {
  const { config, ingest, logger } = options;
  const now = options.now ?? (() => new Date());
  return async (request, response, url) => {
    if (url.pathname !== GITHUB_WEBHOOK_PATH) return false;
    if (request.method !== "POST") {
      request.resume();
      response.setHeader("allow", "POST");
      fail(response, 405, "METHOD_NOT_ALLOWED", "use POST");
      return true;
    }
    if (config.secret === null) {
      request.resume();
      fail(
        response,
        503,
        "WEBHOOK_SECRET_NOT_CONFIGURED",
        "GitHub webhooks are disabled: set GITHUB_WEBHOOK_SECRET to the secret configured on the GitHub webhook",
      );
      return true;
    }
    const receivedAt = now();
    const body = await readRawBody(request, config.maxBodyBytes);
    if (body === null) {
      response.setHeader("connection", "close");
      fail(response, 413, "PAYLOAD_TOO_LARGE", `the delivery exceeds ${config.maxBodyBytes} bytes`);
      return true;
    }
    const eventName = header(request, "x-github-event");
    const deliveryId = header(request, "x-github-delivery");
    if (!verifySignature(config.secret, body, header(request, "x-hub-signature-256"))) {
      logger.warn("github webhook: refused a delivery with a missing or wrong signature", {
        event: eventName,
        delivery: deliveryId,
        remote: request.socket.remoteAddress,
      });
      fail(response, 401, "INVALID_SIGNATURE", "X-Hub-Signature-256 is missing or does not match the body");
      return true;
    }
    if (eventName === null) {
      fail(response, 400, "BAD_REQUEST", "X-GitHub-Event is required");
      return true;
    }
    const payload = parsePayload(body, header(request, "content-type"));
    if (payload === undefined) {
      fail(response, 400, "BAD_REQUEST", "the body is not a JSON payload (content type application/json)");
      return true;
    }
    const outcome = fromWebhookDelivery(eventName, payload, {
      deliveryId: deliveryId ?? "",
      receivedAt,
      starSource: config.starSource,
    });
    if (outcome.kind === "ping") {
      sendJson(response, 200, { ok: true, zen: outcome.zen, hookId: outcome.hookId });
      return true;
    }
    if (outcome.kind === "ignored") {
      sendJson(response, 202, { ok: true, ignored: true, reason: outcome.reason });
      return true;
    }
    if (deliveryId === null) {
      fail(response, 400, "BAD_REQUEST", "X-GitHub-Delivery is required: it is the event id");
      return true;
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
      fail(
        response,
        503,
        "STORE_UNAVAILABLE",
        "the event could not be stored; redeliver it from GitHub later",
      );
      return true;
    }
    const rejection = result.rejected[0];
    if (result.accepted === 1) {
      sendJson(response, 200, { ok: true, outcome: "recorded", event });
    } else if (result.duplicates === 1 || rejection?.code === "CONFLICT") {
      // A re-delivery keeps its GUID; kinds timed by arrival differ in occurredAt (a CONFLICT),
      // and either way the first delivery is the one that counts.
      sendJson(response, 200, { ok: true, outcome: "duplicate", event });
    } else {
      logger.warn("github webhook: delivery rejected", {
        delivery: deliveryId,
        event: eventName,
        ...rejection,
      });
      sendJson(response, 422, {
        ok: false,
        outcome: "rejected",
        event,
        error: { code: rejection?.code ?? "REJECTED", message: rejection?.reason ?? "rejected" },
      });
    }
    return true;
  };
}

function fail(response: ServerResponse, status: number, code: string, message: string): void {
  sendJson(response, status, { ok: false, error: { code, message } });
}

function header(request: IncomingMessage, name: string): string | null {
  const value = request.headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text === undefined || text === "" ? null : text;
}

/** The body as raw bytes (the signature covers bytes, not decoded text); null when over the limit. */
async function readRawBody(request: IncomingMessage, limit: number): Promise<Buffer | null> {
  if (Number(request.headers["content-length"] ?? "0") > limit) return null;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limit) return null;
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
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
