import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { OperationTypeNode } from "graphql";
import { startApollo } from "../graphql/apollo.js";
import type { App } from "../../app/app.js";
import { Authenticator, authorize, credentialFrom, type AccessPolicy } from "../policy/auth.js";
import { enforceDeadlines } from "../graphql/deadline.js";
import { openExchange, type Exchange } from "./exchange.js";
import { FastQueries } from "../graphql/fast-queries.js";
import { graphqlOverHttp } from "../graphql/over-http.js";
import { GRAPHQL_PATH, LIVENESS_PATH, refuse, sendJson } from "./responses.js";
import { RouteTable, type Route } from "./routes.js";
import { InFlight } from "./in-flight.js";
import { OperationGate } from "../policy/operation-gate.js";
import { OperationPipeline } from "../graphql/operation-pipeline.js";
import { TokenBuckets } from "../policy/rate-limit.js";
import { RequestError, shuttingDown } from "./request-errors.js";
import { serveGraphQLOverWebSocket } from "../websocket/over-websocket.js";

export interface ServerOptions {
  readonly host: string;
  readonly port: number;
  /** Tried in order before GraphQL; e.g. GraphiQL, health, metrics, webhooks. */
  readonly routes: readonly Route[];
}

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly httpServer: Server;
  /** True from the moment `close` is called: readiness fails and new work is refused. */
  readonly draining: boolean;
  /**
   * Graceful stop: stops accepting connections and work, lets in-flight requests and
   * WebSocket operations finish (up to EVENTSCORE_SHUTDOWN_TIMEOUT_MS), then closes
   * subscriptions with 1001 Going Away and every remaining connection.
   */
  close(): Promise<void>;
}

/**
 * One port, one path: GraphQL over HTTP (Apollo, driven from plain node:http) and GraphQL over
 * WebSocket (graphql-ws) both at /graphql, both behind the same operation gate (keys, depth,
 * cost, ingest rate) and request deadline; other routes in front of them.
 */
export async function startServer(app: App, options: ServerOptions): Promise<RunningServer> {
  const { hardening } = app.config;
  const { metrics, logger } = app;
  const authenticator = new Authenticator(hardening.apiKeys);
  warnIfOpen(app, authenticator);
  const access: AccessPolicy = {
    keysConfigured: authenticator.enabled,
    queriesRequireKey: hardening.queriesRequireKey,
  };
  const gate = new OperationGate(
    app.schema,
    access,
    { maxDepth: hardening.maxDepth, maxCost: hardening.maxCost, maxAliases: hardening.maxAliases },
    hardening.ingestRateLimit > 0 ? new TokenBuckets(hardening.ingestRateLimit, hardening.ingestBurst) : null,
  );
  const inFlight = new InFlight();
  enforceDeadlines(app.schema);
  const httpServer = createServer();
  const pipeline = new OperationPipeline(app, gate);
  const websocket = serveGraphQLOverWebSocket({
    httpServer,
    app,
    pipeline,
    authenticator,
    metrics,
    inFlight,
  });
  const fast = new FastQueries(app.schema, pipeline);
  const apollo = await startApollo(app, pipeline, metrics);
  const serveGraphQL = graphqlOverHttp({ app, apollo, fast, pipeline, authenticator, inFlight });
  const routes = new RouteTable(options.routes);
  let draining = false;

  httpServer.on("request", (request: IncomingMessage, response: ServerResponse) => {
    const exchange = openExchange(request, response, { logger, metrics, inFlight });
    void handle(exchange).catch((error: unknown) => {
      exchange.log.error("request failed", { error: String(error) });
      if (!response.headersSent) sendJson(response, 500, { errors: [{ message: "Internal server error" }] });
      else response.destroy();
    });
  });

  async function handle(exchange: Exchange): Promise<void> {
    const { request, response, url } = exchange;
    if (url === null) {
      request.resume();
      refuse(response, new RequestError("the request target is not a valid URL path", "BAD_REQUEST", 400));
      return;
    }
    if (draining && url.pathname !== LIVENESS_PATH) {
      request.resume();
      refuse(response, shuttingDown());
      return;
    }
    const matched = routes.match(url.pathname);
    const isGraphQL = url.pathname === GRAPHQL_PATH;
    exchange.route = matched[0]?.path ?? (isGraphQL ? GRAPHQL_PATH : null);
    // Routes besides GraphQL (e.g. reports.csv) are reads: the same key rules as queries. So is a
    // path no route serves, so that without a key nobody learns which paths exist.
    if (!isGraphQL && !matched.some((route) => route.access === "public")) {
      exchange.caller = authenticator.identify(credentialFrom((name) => request.headers[name]));
      const refused = authorize(OperationTypeNode.QUERY, exchange.caller, access);
      if (refused) {
        request.resume();
        refuse(response, refused);
        return;
      }
    }
    for (const route of matched) {
      exchange.route = route.path;
      if (await route.handle(request, response, url)) return;
    }
    exchange.route = isGraphQL ? GRAPHQL_PATH : null;
    if (!isGraphQL) {
      request.resume();
      refuse(response, new RequestError(`no route for ${url.pathname}`, "NOT_FOUND", 404));
      return;
    }
    await serveGraphQL(exchange, url);
  }

  await new Promise<void>((resolve, reject) => {
    httpServer.once("error", reject);
    httpServer.listen(options.port, options.host, () => resolve());
  });
  const { port } = httpServer.address() as AddressInfo;
  const shownHost = options.host === "0.0.0.0" || options.host === "::" ? "localhost" : options.host;
  let closing: Promise<void> | null = null;
  return {
    url: `http://${shownHost}:${port}${GRAPHQL_PATH}`,
    port,
    httpServer,
    get draining() {
      return draining;
    },
    close: () => {
      closing ??= (async () => {
        draining = true;
        websocket.refuseNew();
        const closed = new Promise<void>((resolve) => httpServer.close(() => resolve()));
        httpServer.closeIdleConnections();
        if (!(await inFlight.drained(hardening.shutdownTimeoutMs))) {
          logger.warn("shutdown: work still in flight after the timeout", {
            inFlight: inFlight.size,
            timeoutMs: hardening.shutdownTimeoutMs,
          });
        }
        await websocket.dispose();
        await apollo.stop();
        httpServer.closeAllConnections();
        await closed;
      })();
      return closing;
    },
  };
}

function warnIfOpen(app: App, authenticator: Authenticator): void {
  if (authenticator.enabled || app.config.hardening.environment !== "production") return;
  app.logger.warn(
    "NO API KEYS CONFIGURED: anyone who can reach this server can record events. " +
      "Set EVENTSCORE_API_KEYS before exposing it.",
    { alert: "open-mutations" },
  );
}
