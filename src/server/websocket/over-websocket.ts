import type { Server } from "node:http";
import { Kind, OperationTypeNode, type GraphQLError, type OperationDefinitionNode } from "graphql";
import { handleProtocols, makeServer } from "graphql-ws";
import { WebSocketServer } from "ws";
import { LIVE_DELIVERY } from "../../graphql/resolvers/subscription-resolver.js";
import type { App } from "../../app/app.js";
import { ANONYMOUS, callerName, type Authenticator } from "../policy/auth.js";
import { formatGraphQLError, type ErrorPolicy } from "../graphql/format-error.js";
import { errorFields } from "../../app/logger.js";
import { GRAPHQL_PATH } from "../http/responses.js";
import type { InFlight } from "../http/in-flight.js";
import type { Metrics } from "../../app/metrics.js";
import type { OperationPipeline } from "../graphql/operation-pipeline.js";
import { clientKey } from "../graphql/request-context.js";
import { shuttingDown } from "../http/request-errors.js";
import { SharedSubscriptions, type LiveTarget } from "./shared-subscriptions.js";
import { InboundScheduler } from "./inbound.js";
import { LiveLimits, TOO_MANY_SOCKETS_CLOSE_CODE } from "./limits.js";
import { attachTransport, type SocketExtra } from "./transport.js";
import { connectingCaller, type Connection, type ConnectionContext } from "./connection.js";

/** Where the shared executor sends a subscription's pushes, by its request context. */
const liveTargets = new WeakMap<object, LiveTarget>();

export interface WebSocketGraphQL {
  /** From now on, new operations are refused with SHUTTING_DOWN. */
  refuseNew(): void;
  /** Closes every connection with 1001 Going Away (subscriptions end) and stops the server. */
  dispose(): Promise<void>;
}

export interface WebSocketOptions {
  readonly httpServer: Server;
  readonly app: App;
  readonly pipeline: OperationPipeline;
  readonly authenticator: Authenticator;
  readonly metrics: Metrics;
  readonly inFlight: InFlight;
}

/**
 * GraphQL over WebSocket (graphql-ws) on /graphql, held to the same rules as HTTP: the API key
 * comes from connection_init (`authorization: "Bearer …"` or `x-api-key`) or the upgrade
 * request's headers, and every operation goes through the same pipeline as over HTTP
 * (operation-pipeline.ts: validation, the introspection setting, the operation gate, and for
 * queries and mutations the request deadline and CPU budget); this adapter adds what only a
 * socket has: connections, per-socket limits and shared subscriptions. Incoming
 * messages are rate-limited per socket and handled fairly across sockets (websocket-inbound.ts).
 */
export function serveGraphQLOverWebSocket(options: WebSocketOptions): WebSocketGraphQL {
  const { app, pipeline, authenticator, metrics, inFlight } = options;
  const { development, hardening, maxBodyBytes } = app.config;
  const policy: ErrorPolicy = { logger: app.logger, development };
  const live = app.config.live;
  const wss = new WebSocketServer({
    server: options.httpServer,
    path: GRAPHQL_PATH,
    maxPayload: maxBodyBytes,
    handleProtocols,
    // Off, and it must stay off: the outbox writes pushes as raw frames beside ws's own, which is
    // safe only while ws writes every frame whole and at once (websocket-outbox.ts writePush).
    perMessageDeflate: false,
  });
  let refusing = false;
  let nextConnection = 0;
  const limits = new LiveLimits(live);

  const format = (errors: readonly GraphQLError[]) =>
    errors.map((error) => {
      const formatted = formatGraphQLError(error, policy);
      metrics.graphqlErrors.inc({ code: String(formatted.extensions?.["code"]), transport: "websocket" });
      return formatted;
    });

  const shared = new SharedSubscriptions({
    context: () => pipeline.context(ANONYMOUS, undefined, "live", OperationTypeNode.SUBSCRIPTION),
    format,
    pushed: (members) => metrics.livePushes.inc(members),
  });
  metrics.liveSizes = () => ({ ...app.services.subscriptions.watches, executions: shared.size });

  const server = makeServer<Record<string, unknown> | undefined, SocketExtra & Connection>({
    schema: app.schema,
    onConnect: (ctx: ConnectionContext) => {
      if (refusing) return false;
      const caller = connectingCaller(ctx, authenticator);
      // A wrong key ends the connection at once (4403) rather than failing each operation later.
      if (caller.kind === "invalid") return false;
      const client = clientKey(caller, ctx.extra.request.socket.remoteAddress);
      if (!limits.openSocket(client)) {
        app.logger.warn("websocket closed: sockets per client limit", { limit: live.maxSocketsPerClient });
        metrics.websocketLimitCloses.inc({ reason: "sockets_per_client" });
        ctx.extra.socket.close(
          TOO_MANY_SOCKETS_CLOSE_CODE,
          `more than ${live.maxSocketsPerClient} sockets for this ${caller.kind === "key" ? "API key" : "client address"}`,
        );
        return false;
      }
      Object.assign(ctx.extra, {
        caller,
        client,
        connectionId: `ws-${++nextConnection}`,
        pending: new Map(),
        streams: new Set(),
      } satisfies Connection);
      metrics.websocketsOpen.inc();
      app.logger.debug("websocket connected", {
        connection: ctx.extra.connectionId,
        caller: callerName(caller),
      });
      return true;
    },
    onDisconnect: (ctx: ConnectionContext) => {
      metrics.websocketsOpen.dec();
      for (const end of ctx.extra.pending?.values() ?? []) end();
    },
    onClose: (ctx: ConnectionContext) => {
      if (ctx.extra.client !== undefined) limits.closeSocket(ctx.extra.client);
      for (const _ of ctx.extra.streams ?? []) release();
      ctx.extra.streams?.clear();
    },
    onSubscribe: (ctx: ConnectionContext, id, payload) => {
      if (refusing) return [shuttingDown()];
      const caller = ctx.extra.caller ?? { kind: "anonymous" };
      const verdict = pipeline.prepare({
        query: payload.query,
        operationName: payload.operationName,
        variables: payload.variables ?? {},
        context: (type) =>
          pipeline.context(
            caller,
            ctx.extra.request.socket.remoteAddress,
            `${ctx.extra.connectionId ?? "ws"}/${id}`,
            type,
          ),
      });
      if (!verdict.ok) return [...verdict.errors];
      const { document, operation, variables, context: contextValue } = verdict;
      if (operation.operation === "subscription") {
        const streams = ctx.extra.streams ?? new Set();
        const over = limits.reserveSubscription(streams.size);
        if (over) {
          metrics.websocketLimitCloses.inc({
            reason: `subscriptions_per_${String(over.extensions["scope"])}`,
          });
          return [over];
        }
        streams.add(id);
        metrics.subscriptionsOpen.inc();
        liveTargets.set(contextValue, { outbox: ctx.extra.outbox, id, delivery: deliveryOf(operation) });
      } else ctx.extra.pending?.set(id, inFlight.begin());
      return {
        schema: app.schema,
        document,
        operationName: payload.operationName ?? null,
        variableValues: variables,
        contextValue,
      };
    },
    execute: (args) => pipeline.execute(args),
    subscribe: (args) => {
      const target = liveTargets.get(args.contextValue as object);
      if (!target) throw new Error("a subscription without its socket");
      return shared.subscribe(args, target);
    },
    onNext: (_ctx, _id, _payload, _args, result) =>
      result.errors ? { ...result, errors: format(result.errors) } : undefined,
    onError: (_ctx, _id, _payload, errors) => format(errors),
    onComplete: (ctx: ConnectionContext, id) => {
      if (ctx.extra.streams?.delete(id)) release();
      ctx.extra.pending?.get(id)?.();
      ctx.extra.pending?.delete(id);
    },
  });
  const inbound = new InboundScheduler({
    maxMessagesPerSecond: hardening.wsMaxMessagesPerSecond,
    onLimit: () =>
      app.logger.warn("websocket closed: message rate limit", { limit: hardening.wsMaxMessagesPerSecond }),
  });
  const transport = attachTransport(wss, server, {
    inbound,
    outbox: {
      maxBufferedBytes: live.maxBufferedBytes,
      onSlow: (bufferedBytes) => {
        app.logger.warn("websocket closed: slow consumer", { bufferedBytes, limit: live.maxBufferedBytes });
        metrics.websocketLimitCloses.inc({ reason: "slow_consumer" });
      },
    },
    onInternalError: (message, error) => app.logger.error(message, errorFields(error)),
  });

  return {
    refuseNew: () => {
      refusing = true;
    },
    dispose: () => transport.dispose(),
  };

  function release(): void {
    limits.releaseSubscription();
    metrics.subscriptionsOpen.dec();
  }
}

/** Latest-wins for the subscriptions whose pushes are states, every push for the others. */
function deliveryOf(operation: OperationDefinitionNode): LiveTarget["delivery"] {
  const [field] = operation.selectionSet.selections;
  const name = field?.kind === Kind.FIELD ? field.name.value : "";
  return LIVE_DELIVERY[name] ?? "every";
}
