import { ApolloServer, type ApolloServerPlugin } from "@apollo/server";
import { ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import { inputErrorsPlugin, recodeApolloError } from "./apollo-errors.js";
import type { App } from "./app.js";
import { formatError } from "./format-error.js";
import type { Metrics } from "./metrics.js";
import type { OperationGate } from "./operation-gate.js";
import type { RequestContext } from "./request-context.js";
import { RequestError } from "./request-errors.js";

/**
 * Apollo for GraphQL over HTTP: one operation per request (batching stays off), CSRF
 * prevention on (a GET needs a preflight header such as `apollo-require-preflight`), parsing
 * stopped past EVENTSCORE_MAX_TOKENS, the operation gate before execution, and no stack traces
 * or schema suggestions outside development. Signals are handled by `eventscore serve`, not by Apollo.
 */
export async function startApollo(
  app: App,
  gate: OperationGate,
  metrics: Metrics,
): Promise<ApolloServer<RequestContext>> {
  const { development, hardening } = app.config;
  const apollo = new ApolloServer<RequestContext>({
    schema: app.schema,
    introspection: hardening.introspection,
    includeStacktraceInErrorResponses: development,
    hideSchemaDetailsFromClientErrors: !development,
    allowBatchedHttpRequests: false,
    csrfPrevention: true,
    stopOnTerminationSignals: false,
    parseOptions: { maxTokens: hardening.maxTokens },
    formatError: (formatted, error) =>
      formatError(recodeApolloError(formatted, error), error, { logger: app.logger, development }),
    plugins: [
      inputErrorsPlugin<RequestContext>(),
      // Apollo's landing page loads from a CDN; GraphiQL is served from our own bundle instead.
      ApolloServerPluginLandingPageDisabled(),
      gatePlugin(gate),
      errorCountPlugin(metrics),
    ],
  });
  await apollo.start();
  return apollo;
}

function gatePlugin(gate: OperationGate): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operation, request, contextValue }) {
          if (!operation) return;
          if (operation.operation === "subscription") {
            const message =
              "subscriptions are served over WebSocket (graphql-ws) at this path, not over HTTP";
            throw new RequestError(message, "BAD_REQUEST", 400).forApollo();
          }
          const refused = gate.check({
            document,
            operation,
            variables: request.variables ?? {},
            caller: contextValue.caller,
            rateKey: contextValue.rateKey,
          });
          if (refused) throw refused.forApollo();
        },
      };
    },
  };
}

function errorCountPlugin(metrics: Metrics): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== "single") return;
          for (const error of response.body.singleResult.errors ?? []) {
            metrics.graphqlErrors.inc({
              code: String(error.extensions?.["code"] ?? "UNKNOWN"),
              transport: "http",
            });
          }
        },
      };
    },
  };
}
