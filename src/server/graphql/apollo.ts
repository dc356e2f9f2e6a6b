import {
  ApolloServer,
  type ApolloServerPlugin,
  type GraphQLRequestContextDidResolveOperation,
  type GraphQLRequestContextWillSendResponse,
} from "@apollo/server";
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
} from "@apollo/server/plugin/disabled";
import { inputErrorsPlugin, recodeApolloError } from "./apollo-errors.js";
import type { App } from "../../app/app.js";
import { formatError } from "./format-error.js";
import type { Metrics } from "../../app/metrics.js";
import type { OperationPipeline } from "./operation-pipeline.js";
import type { RequestContext } from "./request-context.js";
import { RequestError } from "../http/request-errors.js";

/**
 * Apollo for GraphQL over HTTP: one operation per request (batching stays off), CSRF
 * prevention on (a GET needs a preflight header such as `apollo-require-preflight`), parsing
 * stopped past EVENTSCORE_MAX_TOKENS, the operation gate before execution, and no stack traces
 * or schema suggestions outside development. Signals are handled by `eventscore serve`, not by Apollo.
 *
 * Per-request cost: Apollo keeps parsed and validated documents in its document store (an LRU
 * bounded at about 30 MiB, keyed by the query's hash), so a query seen before is neither parsed
 * nor validated again; the gate caches its measure per operation (operation-measures.ts). Apollo's
 * cache-control plugin, installed unless disabled, hooks every field's resolution to compute
 * cache hints that this API never sends (nothing here is cacheable by HTTP caches): disabled,
 * like inline tracing (for federation, which this schema is not).
 */
export async function startApollo(
  app: App,
  pipeline: OperationPipeline,
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
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginInlineTraceDisabled(),
      gateAndErrorsPlugin(pipeline, metrics),
    ],
  });
  await apollo.start();
  return apollo;
}

/**
 * The operation pipeline's gate before execution, and the count of errors sent: one plugin, one
 * set of hooks per request. A document that passes is remembered by the pipeline, whence the fast
 * path answers it from then on.
 */
function gateAndErrorsPlugin(
  pipeline: OperationPipeline,
  metrics: Metrics,
): ApolloServerPlugin<RequestContext> {
  const hooks = {
    async didResolveOperation({
      document,
      operation,
      request,
      contextValue,
    }: GraphQLRequestContextDidResolveOperation<RequestContext>) {
      if (!operation) return;
      if (operation.operation === "subscription") {
        const message = "subscriptions are served over WebSocket (graphql-ws) at this path, not over HTTP";
        throw new RequestError(message, "BAD_REQUEST", 400).forApollo();
      }
      const refused = pipeline.check(document, operation, request.variables ?? {}, contextValue);
      if (refused) throw refused.forApollo();
      if (request.query !== undefined && request.http?.method === "POST")
        pipeline.remember(request.query, document);
    },
    async willSendResponse({ response }: GraphQLRequestContextWillSendResponse<RequestContext>) {
      if (response.body.kind !== "single") return;
      for (const error of response.body.singleResult.errors ?? []) {
        metrics.graphqlErrors.inc({
          code: String(error.extensions?.["code"] ?? "UNKNOWN"),
          transport: "http",
        });
      }
    },
  };
  // The hooks hold no per-request state, so every request shares one object.
  return { requestDidStart: async () => hooks };
}
