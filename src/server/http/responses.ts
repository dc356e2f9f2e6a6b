import type { IncomingMessage, ServerResponse } from "node:http";
import type { RequestError } from "./request-errors.js";

export const GRAPHQL_PATH = "/graphql";
export const LIVENESS_PATH = "/health/live";

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  sendText(response, status, JSON.stringify(body), "application/json; charset=utf-8");
}

export function sendText(response: ServerResponse, status: number, text: string, contentType: string): void {
  response.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(text) });
  response.end(text);
}

const GRAPHQL_RESPONSE = "application/graphql-response+json";

/**
 * Whether a client's Accept header prefers application/graphql-response+json over
 * application/json, as Apollo negotiates it (highest q first, the earlier one on a tie; `*\/*`
 * and no header mean application/json).
 */
export function prefersGraphQLResponse(accept: string | undefined): boolean {
  let best: { q: number; graphql: boolean } | null = null;
  for (const part of (accept ?? "").split(",")) {
    const [type, ...parameters] = part.split(";").map((piece) => piece.trim().toLowerCase());
    if (type !== GRAPHQL_RESPONSE && type !== "application/json") continue;
    const q = Number(parameters.find((p) => p.startsWith("q="))?.slice(2) ?? "1");
    if (best === null || q > best.q) best = { q, graphql: type === GRAPHQL_RESPONSE };
  }
  return best?.graphql ?? false;
}

/**
 * Answers a well-formed GraphQL request refused before Apollo saw it the way Apollo answers one
 * it refuses: under application/graphql-response+json with the error's status, under
 * application/json with 200 (see response-status.ts).
 */
export function refuseOperation(
  request: IncomingMessage,
  response: ServerResponse,
  error: RequestError,
): void {
  const strict = prefersGraphQLResponse(request.headers.accept);
  const text = JSON.stringify(error.toBody());
  const type = strict ? `${GRAPHQL_RESPONSE}; charset=utf-8` : "application/json; charset=utf-8";
  sendText(response, strict ? error.status : 200, text, type);
}

/** Answers a request refused outside Apollo with the error's status, headers and coded body. */
export function refuse(response: ServerResponse, error: RequestError): void {
  for (const [name, value] of Object.entries(error.headers)) response.setHeader(name, value);
  sendJson(response, error.status, error.toBody());
}
