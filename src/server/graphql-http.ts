import type { ServerResponse } from "node:http";
import { HeaderMap, type ApolloServer, type HTTPGraphQLResponse } from "@apollo/server";
import type { App } from "./app.js";
import { credentialFrom, type Authenticator } from "./auth.js";
import { Deadline, withDeadline } from "./deadline.js";
import type { Exchange } from "./exchange.js";
import { BodyError, parseJsonBody, readBody } from "./http-body.js";
import { refuse } from "./http-responses.js";
import type { InFlight } from "./in-flight.js";
import { createRequestContext, type RequestContext } from "./request-context.js";
import { RequestError, timedOut } from "./request-errors.js";

export interface GraphQLOverHttpDeps {
  readonly app: App;
  readonly apollo: ApolloServer<RequestContext>;
  readonly authenticator: Authenticator;
  readonly inFlight: InFlight;
}

/**
 * GraphQL over HTTP at /graphql: GET or POST (else 405), a POST body is JSON (else 415, before
 * it is read) of at most EVENTSCORE_MAX_BODY_BYTES (else 413); Apollo does the rest. The
 * request deadline answers TIMEOUT (504) whether it passes while waiting on I/O or while the
 * resolvers run.
 */
export function graphqlOverHttp(deps: GraphQLOverHttpDeps): (exchange: Exchange, url: URL) => Promise<void> {
  const { app, apollo, authenticator, inFlight } = deps;
  const { hardening, maxBodyBytes } = app.config;
  return async (exchange, url) => {
    const { request, response } = exchange;
    const method = request.method ?? "GET";
    if (method !== "GET" && method !== "POST") {
      request.resume();
      refuse(
        response,
        new RequestError("use GET (queries) or POST", "METHOD_NOT_ALLOWED", 405, {}, { allow: "GET, POST" }),
      );
      return;
    }
    const contentType = request.headers["content-type"];
    if (method === "POST" && contentType !== undefined && !isJson(contentType)) {
      request.resume();
      const message = "POST a JSON body with Content-Type: application/json";
      refuse(response, new RequestError(message, "UNSUPPORTED_MEDIA_TYPE", 415));
      return;
    }
    let body: unknown;
    try {
      body = parseJsonBody(await readBody(request, maxBodyBytes));
    } catch (error) {
      if (!(error instanceof BodyError)) throw error;
      const code = error.status === 413 ? "PAYLOAD_TOO_LARGE" : "BAD_REQUEST";
      if (error.status === 413) response.setHeader("connection", "close");
      refuse(response, new RequestError(error.message, code, error.status));
      return;
    }
    const headers = new HeaderMap();
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : value);
    }
    const caller = authenticator.identify(credentialFrom((name) => headers.get(name)));
    exchange.caller = caller;
    const context = createRequestContext(
      app.services,
      caller,
      request.socket.remoteAddress,
      exchange.requestId,
      new Deadline(hardening.requestTimeoutMs),
    );
    const execution = inFlight.track(
      apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method, headers, search: url.search, body },
        context: async () => context,
      }),
    );
    const result = await withDeadline<HTTPGraphQLResponse | null>(
      execution,
      hardening.requestTimeoutMs,
      () => null,
    );
    if (result === null || context.deadline.missed) {
      const error = timedOut(hardening.requestTimeoutMs);
      exchange.log.warn("request timed out", { timeoutMs: hardening.requestTimeoutMs });
      app.metrics.graphqlErrors.inc({ code: error.code, transport: "http" });
      refuse(response, error);
      return;
    }
    await send(response, result);
  };
}

async function send(response: ServerResponse, result: HTTPGraphQLResponse): Promise<void> {
  response.statusCode = result.status ?? 200;
  for (const [name, value] of result.headers) response.setHeader(name, value);
  if (result.body.kind === "complete") {
    response.end(result.body.string);
    return;
  }
  for await (const chunk of result.body.asyncIterator) response.write(chunk);
  response.end();
}

function isJson(contentType: string): boolean {
  return contentType.split(";")[0]?.trim().toLowerCase() === "application/json";
}
