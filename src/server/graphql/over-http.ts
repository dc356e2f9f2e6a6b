import type { IncomingHttpHeaders, ServerResponse } from "node:http";
import { HeaderMap, type ApolloServer, type HTTPGraphQLResponse } from "@apollo/server";
import type { App } from "../../app/app.js";
import { credentialFrom, type Authenticator } from "../policy/auth.js";
import { withDeadline } from "./deadline.js";
import type { Exchange } from "../http/exchange.js";
import type { FastQueries } from "./fast-queries.js";
import { BodyError, parseJsonBody, readBody } from "../http/body.js";
import { refuse, refuseOperation } from "../http/responses.js";
import type { InFlight } from "../http/in-flight.js";
import type { OperationPipeline } from "./operation-pipeline.js";
import type { RequestContext } from "./request-context.js";
import { clientGone, RequestError, timedOut } from "../http/request-errors.js";
import { legacyStatus } from "../http/response-status.js";

export interface GraphQLOverHttpDeps {
  readonly app: App;
  readonly apollo: ApolloServer<RequestContext>;
  readonly fast: FastQueries;
  readonly pipeline: OperationPipeline;
  readonly authenticator: Authenticator;
  readonly inFlight: InFlight;
}

/**
 * GraphQL over HTTP at /graphql: GET or POST (else 405), a POST body is JSON in UTF-8 (another
 * type or charset: 415, before it is read; bytes that are not UTF-8: 400) of at most
 * EVENTSCORE_MAX_BODY_BYTES (else 413); Apollo does the rest. The request deadline answers
 * TIMEOUT (504) whether it passes while waiting on I/O or while the resolvers run; a request
 * whose resolvers spend its CPU budget answers CPU_BUDGET_EXCEEDED (400).
 */
export function graphqlOverHttp(deps: GraphQLOverHttpDeps): (exchange: Exchange, url: URL) => Promise<void> {
  const { app, apollo, fast, pipeline, authenticator, inFlight } = deps;
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
    const unsupported = method === "POST" && contentType !== undefined ? mediaTypeProblem(contentType) : null;
    if (unsupported !== null) {
      request.resume();
      refuse(response, new RequestError(unsupported, "UNSUPPORTED_MEDIA_TYPE", 415));
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
    const query =
      method === "POST" ? (body as { query?: unknown } | null)?.query : url.searchParams.get("query");
    const tooLong = typeof query === "string" ? pipeline.tooManyTokens(query) : null;
    if (tooLong) {
      app.metrics.graphqlErrors.inc({ code: tooLong.code, transport: "http" });
      refuseOperation(request, response, tooLong);
      return;
    }
    // Node's header names are lower case already, as credentialFrom asks for them.
    const caller = authenticator.identify(credentialFrom((name) => request.headers[name]));
    exchange.caller = caller;
    // The operation's type is not known before Apollo parses it: every request gets the deadline.
    const context = pipeline.context(caller, request.socket.remoteAddress, exchange.requestId);
    // Apollo's copy of the headers is made only for the requests that go to Apollo.
    const viaApollo = (): Promise<HTTPGraphQLResponse> =>
      apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method, headers: headerMapOf(request.headers), search: url.search, body },
        context: async () => context,
      });
    const execution = inFlight.track(
      method === "POST"
        ? fast
            .run(body, { accept: request.headers.accept, contentType }, context)
            .then((answer) => answer ?? viaApollo())
        : viaApollo(),
    );
    // A client that leaves before its answer stops the request's store work.
    const leave = (): void => {
      if (!response.writableFinished) context.deadline.abort(clientGone());
    };
    response.once("close", leave);
    const result = await withDeadline<HTTPGraphQLResponse | null>(
      execution,
      hardening.requestTimeoutMs,
      () => {
        context.deadline.abort(timedOut(hardening.requestTimeoutMs));
        return null;
      },
    );
    if (result === null || context.deadline.missed) {
      const error = context.deadline.error ?? timedOut(hardening.requestTimeoutMs);
      exchange.log.warn("request stopped", {
        code: error.code,
        limit: error.extensions["limit"] ?? error.extensions["timeoutMs"],
      });
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
    response.statusCode = legacyStatus(
      response.statusCode,
      result.headers.get("content-type"),
      result.body.string,
    );
    // With its length the response goes out as one write; without, Node sends it chunked, in
    // three pieces gathered by writev (a third of a trivial query's CPU went to that syscall).
    response.setHeader("content-length", Buffer.byteLength(result.body.string));
    response.end(result.body.string);
    return;
  }
  for await (const chunk of result.body.asyncIterator) response.write(chunk);
  response.end();
}

function headerMapOf(headers: IncomingHttpHeaders): HeaderMap {
  const map = new HeaderMap();
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) map.set(name, Array.isArray(value) ? value.join(", ") : value);
  }
  return map;
}

/** Why a POST's Content-Type is refused (415), or null for JSON in UTF-8 (the only charset JSON has). */
function mediaTypeProblem(contentType: string): string | null {
  // What nearly every client sends, answered without splitting it.
  if (contentType === "application/json") return null;
  const [type, ...parameters] = contentType.split(";").map((part) => part.trim().toLowerCase());
  if (type !== "application/json") return "POST a JSON body with Content-Type: application/json";
  for (const parameter of parameters) {
    const [name, value] = parameter.split("=").map((part) => part.trim().replace(/^"|"$/g, ""));
    if (name === "charset" && value !== "utf-8" && value !== "utf8") {
      return `JSON bodies are UTF-8; charset=${value ?? ""} is not supported`;
    }
  }
  return null;
}
