import type { IncomingMessage, Server } from "node:http";
import {
  execute,
  getOperationAST,
  GraphQLError,
  NoSchemaIntrospectionCustomRule,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type ExecutionResult,
} from "graphql";
import type { Context as WsContext } from "graphql-ws";
import { useServer } from "graphql-ws/use/ws";
import { WebSocketServer, type WebSocket } from "ws";
import type { App } from "./app.js";
import { callerName, credentialFrom, type Authenticator, type Caller } from "./auth.js";
import { formatGraphQLError, withoutSuggestions, type ErrorPolicy } from "./format-error.js";
import { GRAPHQL_PATH } from "./http-responses.js";
import { Deadline, withDeadline } from "./deadline.js";
import type { InFlight } from "./in-flight.js";
import { inputPaths, inputValueError } from "./input-errors.js";
import { tokenLimitExceeded, tokenLimitRefusal } from "./limits.js";
import type { Metrics } from "./metrics.js";
import type { OperationGate } from "./operation-gate.js";
import { createRequestContext, type RequestContext } from "./request-context.js";
import { shuttingDown, timedOut } from "./request-errors.js";
import { InboundScheduler } from "./websocket-inbound.js";

/** Per connection: who connected, and what is running on it. */
type Connection = {
  caller?: Caller;
  connectionId?: string;
  /** Ends the in-flight tracking of single-result operations, by operation id. */
  pending?: Map<string, () => void>;
  /** Ids of open subscriptions, for the gauge. */
  streams?: Set<string>;
};
type Ctx = WsContext<
  Record<string, unknown> | undefined,
  { socket: WebSocket; request: IncomingMessage } & Connection
>;

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
  const wss = new WebSocketServer({
    server: options.httpServer,
    path: GRAPHQL_PATH,
    maxPayload: maxBodyBytes,
  });
  let refusing = false;
  let nextConnection = 0;

  const format = (errors: readonly GraphQLError[]) =>
    errors.map((error) => {
      const formatted = formatGraphQLError(error, policy);
      metrics.graphqlErrors.inc({ code: String(formatted.extensions?.["code"]), transport: "websocket" });
      return formatted;
    });

  const server = useServer<Record<string, unknown> | undefined, Connection>(
    {
      schema: app.schema,
      isProd: !development,
      onConnect: (ctx: Ctx) => {
        if (refusing) return false;
        const params = ctx.connectionParams ?? {};
        const credential = credentialFrom((name) => paramOf(params, name) ?? ctx.extra.request.headers[name]);
        const caller = authenticator.identify(credential);
        // A wrong key ends the connection at once (4403) rather than failing each operation later.
        if (caller.kind === "invalid") return false;
        Object.assign(ctx.extra, {
          caller,
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
      onSubscribe: (ctx: Ctx, id, payload) => {
        if (refusing) return [shuttingDown()];
        const tooLong = tokenLimitExceeded(payload.query, hardening.maxTokens);
        if (tooLong) return [tooLong];
        let document: DocumentNode;
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
        if (operation.operation !== "subscription") ctx.extra.pending?.set(id, inFlight.begin());
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
        const result = await withDeadline(
          Promise.resolve(execute(args)),
          hardening.requestTimeoutMs,
          timeout,
        );
        const { deadline } = args.contextValue as RequestContext;
        return deadline.error ? { errors: [deadline.error] } : result;
      },
      onOperation: (ctx: Ctx, id, _payload, _args, result) => {
        if (Symbol.asyncIterator in Object(result)) {
          ctx.extra.streams?.add(id);
          metrics.subscriptionsOpen.inc();
        }
      },
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors ? { ...result, errors: format(result.errors) } : undefined,
      onError: (_ctx, _id, _payload, errors) => format(errors),
      onComplete: (ctx: Ctx, id) => {
        if (ctx.extra.streams?.delete(id)) metrics.subscriptionsOpen.dec();
        ctx.extra.pending?.get(id)?.();
        ctx.extra.pending?.delete(id);
      },
    },
    wss,
  );
  // After useServer, so the scheduler wraps the message listener graphql-ws has just attached.
  const inbound = new InboundScheduler({
    maxMessagesPerSecond: hardening.wsMaxMessagesPerSecond,
    onLimit: () =>
      app.logger.warn("websocket closed: message rate limit", { limit: hardening.wsMaxMessagesPerSecond }),
  });
  wss.on("connection", (socket) => inbound.attach(socket));

  return {
    refuseNew: () => {
      refusing = true;
    },
    dispose: async () => {
      await server.dispose();
    },
  };

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
