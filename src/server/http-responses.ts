import type { IncomingMessage, ServerResponse } from "node:http";
import type { RequestError } from "./request-errors.js";

export const GRAPHQL_PATH = "/graphql";
export const LIVENESS_PATH = "/health/live";

/** Handles a request it recognizes and returns true, or returns false to let the next route try. */
export type Route = (
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
) => Promise<boolean> | boolean;

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  sendText(response, status, JSON.stringify(body), "application/json; charset=utf-8");
}

export function sendText(response: ServerResponse, status: number, text: string, contentType: string): void {
  response.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(text) });
  response.end(text);
}

/** Answers a request refused outside Apollo with the error's status, headers and coded body. */
export function refuse(response: ServerResponse, error: RequestError): void {
  for (const [name, value] of Object.entries(error.headers)) response.setHeader(name, value);
  sendJson(response, error.status, error.toBody());
}
