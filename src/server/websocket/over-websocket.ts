import type { Server } from "node:http";
import {
  execute,
  getOperationAST,
  GraphQLError,
  NoSchemaIntrospectionCustomRule,
  parse,
  specifiedRules,
  validate,
  Kind,
  type DocumentNode,
  type ExecutionResult,
  type OperationDefinitionNode,
} from "graphql";
import { handleProtocols, makeServer, type Context as WsContext } from "graphql-ws";
import { WebSocketServer } from "ws";
import { LIVE_DELIVERY } from "../../graphql/resolvers/subscription-resolver.js";
import { Lru } from "../../store/cassandra/shard/lru.js";
import type { App } from "../../app/app.js";
import { ANONYMOUS, callerName, credentialFrom, type Authenticator, type Caller } from "../policy/auth.js";
import { formatGraphQLError, withoutSuggestions, type ErrorPolicy } from "../graphql/format-error.js";
import { errorFields } from "../../app/logger.js";
import { GRAPHQL_PATH } from "../http/responses.js";
import { Deadline, withDeadline } from "../graphql/deadline.js";
import type { InFlight } from "../http/in-flight.js";
import { inputPaths, inputValueError } from "../graphql/input-errors.js";
import { tokenLimitExceeded, tokenLimitRefusal } from "../policy/limits.js";
import type { Metrics } from "../../app/metrics.js";
import type { OperationGate } from "../policy/operation-gate.js";
import { clientKey, createRequestContext, type RequestContext } from "../graphql/request-context.js";
import { shuttingDown, timedOut } from "../http/request-errors.js";
import { SharedSubscriptions, type LiveTarget } from "./shared-subscriptions.js";
import { InboundScheduler } from "./inbound.js";
import { LiveLimits, TOO_MANY_SOCKETS_CLOSE_CODE } from "./limits.js";
import { attachTransport, type SocketExtra } from "./transport.js";

/** Per connection: who connected, and what is running on it. */
type Connection = {
  caller?: Caller;
  connectionId?: string;
  /** The client its socket counts against (LiveLimits), once counted. */
  client?: string;
  /** Ends the in-flight tracking of single-result operations, by operation id. */
  pending?: Map<string, () => void>;
  /** Ids of subscriptions counted against the limits (from subscribe until complete). */
  streams?: Set<string>;
};
type Ctx = WsContext<Record<string, unknown> | undefined, SocketExtra & Connection>;

/** How many distinct valid documents the WebSocket server remembers. */
const VALID_DOCUMENTS_KEPT = 1000;

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
  readonly gate: OperationGate;
  readonly authenticator: Authenticator;
  readonly metrics: Metrics;
  readonly inFlight: InFlight;
}

/**
 * GraphQL over WebSocket (graphql-ws) on /graphql, held to the same rules as HTTP: the API key
 * comes from connection_init (`authorization: "Bearer …"` or `x-api-key`) or the upgrade
 * request's headers, and every operation passes validation, the introspection setting and the
 * operation gate; queries and mutations also get the request deadline and CPU budget. Incoming
 * messages are rate-limited per socket and handled fairly across sockets (websocket-inbound.ts).
 */
export function serveGraphQLOverWebSocket(options: WebSocketOptions): WebSocketGraphQL {
  const { app, gate, authenticator, metrics, inFlight } = options;
  const { development, hardening, maxBodyBytes } = app.config;
  const policy: ErrorPolicy = { logger: app.logger, development };
  const rules = hardening.introspection
    ? specifiedRules
    : [...specifiedRules, NoSchemaIntrospectionCustomRule];
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
  /** Documents that parsed and validated, by their text (a document never changes once parsed). */
  const validDocuments = new Lru<string, DocumentNode>(VALID_DOCUMENTS_KEPT);

  const format = (errors: readonly GraphQLError[]) =>
    errors.map((error) => {
      const formatted = formatGraphQLError(error, policy);
      metrics.graphqlErrors.inc({ code: String(formatted.extensions?.["code"]), transport: "websocket" });
      return formatted;
    });

  const shared = new SharedSubscriptions({
    context: () => createRequestContext(app.services, ANONYMOUS, undefined, "live", Deadline.none()),
    format,
    pushed: (members) => metrics.livePushes.inc(members),
  });
  metrics.liveSizes = () => ({ ...app.services.subscriptions.watches, executions: shared.size });

  const server = makeServer<Record<string, unknown> | undefined, SocketExtra & Connection>({
    schema: app.schema,
    onConnect: (ctx: Ctx) => {
      if (refusing) return false;
      const params = ctx.connectionParams ?? {};
      const credential = credentialFrom((name) => paramOf(params, name) ?? ctx.extra.request.headers[name]);
      const caller = authenticator.identify(credential);
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
    onDisconnect: (ctx: Ctx) => {
      metrics.websocketsOpen.dec();
      for (const end of ctx.extra.pending?.values() ?? []) end();
    },
    onClose: (ctx: Ctx) => {
      if (ctx.extra.client !== undefined) limits.closeSocket(ctx.extra.client);
      for (const _ of ctx.extra.streams ?? []) release();
      ctx.extra.streams?.clear();
    },
    onSubscribe: (ctx: Ctx, id, payload) => {
      if (refusing) return [shuttingDown()];
      // Thousands of clients send the same few documents: each is checked once, then reused.
      let document = validDocuments.get(payload.query);
      if (document === undefined) {
        const tooLong = tokenLimitExceeded(payload.query, hardening.maxTokens);
        if (tooLong) return [tooLong];
        try {
          document = parse(payload.query, { maxTokens: hardening.maxTokens });
        } catch (error) {
          const parseError = error as GraphQLError;
          return [tokenLimitRefusal(parseError.message) ?? coded(parseError, "GRAPHQL_PARSE_FAILED")];
        }
        const invalid = validate(app.schema, document, rules);
        if (invalid.length > 0) {
          const paths = inputPaths(document);
          return invalid.map(
            (error) => inputValueError(error, paths) ?? coded(error, "GRAPHQL_VALIDATION_FAILED"),
          );
        }
        validDocuments.set(payload.query, document);
      }
      const operation = getOperationAST(document, payload.operationName);
      if (!operation) {
        return [
          new GraphQLError("name the operation to run (operationName)", {
            extensions: { code: "BAD_REQUEST" },
          }),
        ];
      }
      const caller = ctx.extra.caller ?? { kind: "anonymous" };
      const contextValue = createRequestContext(
        app.services,
        caller,
        ctx.extra.request.socket.remoteAddress,
        `${ctx.extra.connectionId ?? "ws"}/${id}`,
        operation.operation === "subscription"
          ? Deadline.none()
          : new Deadline(hardening.requestTimeoutMs, hardening.maxCpuMs),
      );
      const variables = payload.variables ?? {};
      const refused = gate.check({ document, operation, variables, caller, rateKey: contextValue.rateKey });
      if (refused) return [refused];
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
    execute: async (args): Promise<ExecutionResult> => {
      const timeout = (): ExecutionResult => ({ errors: [timedOut(hardening.requestTimeoutMs)] });
      const result = await withDeadline(Promise.resolve(execute(args)), hardening.requestTimeoutMs, timeout);
      const { deadline } = args.contextValue as RequestContext;
      return deadline.error ? { errors: [deadline.error] } : result;
    },
    subscribe: (args) => {
      const target = liveTargets.get(args.contextValue as object);
      if (!target) throw new Error("a subscription without its socket");
      return shared.subscribe(args, target);
    },
    onNext: (_ctx, _id, _payload, _args, result) =>
      result.errors ? { ...result, errors: format(result.errors) } : undefined,
    onError: (_ctx, _id, _payload, errors) => format(errors),
    onComplete: (ctx: Ctx, id) => {
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

  function coded(error: GraphQLError, code: string): GraphQLError {
    const message = development ? error.message : withoutSuggestions(error.message);
    return new GraphQLError(message, { nodes: error.nodes, extensions: { ...error.extensions, code } });
  }
}

/** connection_init payloads spell header names freely: `authorization`, `Authorization`, `X-API-Key`. */
function paramOf(params: Record<string, unknown>, name: string): unknown {
  const key = Object.keys(params).find((candidate) => candidate.toLowerCase() === name);
  return key === undefined ? undefined : params[key];
}

/** Latest-wins for the subscriptions whose pushes are states, every push for the others. */
function deliveryOf(operation: OperationDefinitionNode): LiveTarget["delivery"] {
  const [field] = operation.selectionSet.selections;
  const name = field?.kind === Kind.FIELD ? field.name.value : "";
  return LIVE_DELIVERY[name] ?? "every";
}
