import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { callerName, type Caller } from "../policy/auth.js";
import type { InFlight } from "./in-flight.js";
import type { Logger } from "../../app/logger.js";
import type { Metrics } from "../../app/metrics.js";

/** One HTTP request and its response, with what the access log needs to know about them. */
export interface Exchange {
  readonly request: IncomingMessage;
  readonly response: ServerResponse;
  /** Null when the request target cannot be parsed (answered 400). */
  readonly url: URL | null;
  readonly requestId: string;
  /** Logs with the request id. */
  readonly log: Logger;
  /** Set once the API key (or its absence) has been looked at. */
  caller: Caller | null;
  /** The path of the route that answered (its metrics label); null for none. */
  route: string | null;
}

/**
 * Opens an exchange: gives it a request id (the client's `x-request-id` when sane, else a new
 * UUID) echoed in the response, counts it as in flight until the response closes, then records
 * its metrics and writes its access-log line (probes and scrapes at debug level).
 */
export function openExchange(
  request: IncomingMessage,
  response: ServerResponse,
  deps: { readonly logger: Logger; readonly metrics: Metrics; readonly inFlight: InFlight },
): Exchange {
  const { metrics } = deps;
  const end = deps.inFlight.begin();
  const started = performance.now();
  const requestId = requestIdOf(request);
  const url = parseTarget(request.url);
  let log: Logger | null = null;
  const exchange: Exchange = {
    request,
    response,
    url,
    requestId,
    // Built on first use: most requests log only their access line, which needs no child logger.
    get log() {
      return (log ??= deps.logger.child({ requestId }));
    },
    caller: null,
    route: null,
  };
  response.setHeader("x-request-id", requestId);
  metrics.requestsInFlight.inc();
  response.once("close", () => {
    end();
    metrics.requestsInFlight.dec();
    const path = url?.pathname ?? "(invalid)";
    // Labels stay few: the route that answered, never the raw path.
    const route = response.statusCode === 404 ? "unmatched" : (exchange.route ?? "other");
    const seconds = (performance.now() - started) / 1000;
    const method = request.method ?? "GET";
    metrics.observeHttp(route, method, response.statusCode, seconds);
    const quiet = path.startsWith("/health/") || path === "/metrics";
    // Every field is built here from known values (the caller by its key's name, never the key),
    // so the line skips redaction.
    deps.logger.unredacted()[quiet ? "debug" : "info"]("request", {
      requestId,
      method,
      path,
      status: response.statusCode,
      ms: Math.round(seconds * 1000),
      ...(exchange.caller ? { caller: callerName(exchange.caller) } : {}),
      ...(response.writableFinished ? {} : { aborted: true }),
    });
  });
  return exchange;
}

function parseTarget(target: string | undefined): URL | null {
  try {
    return new URL(target ?? "/", "http://localhost");
  } catch {
    return null;
  }
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

function requestIdOf(request: IncomingMessage): string {
  const given = request.headers["x-request-id"];
  return typeof given === "string" && REQUEST_ID.test(given) ? given : randomUUID();
}
