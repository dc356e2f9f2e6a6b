import { unwrapResolverError } from "@apollo/server/errors";
import type { GraphQLError, GraphQLFormattedError } from "graphql";
import { errorFields, type Logger } from "../../app/logger.js";
import { LogUnavailableError } from "../../services/log/ports.js";
import { StoreUnavailableError } from "../../store/errors.js";
import { STORE_UNAVAILABLE_MESSAGE } from "./store-errors.js";

export interface ErrorPolicy {
  readonly logger: Logger;
  /** Development keeps internal messages, stack traces and "Did you mean" suggestions. */
  readonly development: boolean;
}

/**
 * Errors clients caused keep their message and code. A store that cannot answer becomes a
 * retryable STORE_UNAVAILABLE. Anything else is a server fault: it is logged with its stack,
 * and outside development the client sees only a generic message, so no internals (SQL,
 * hostnames, stack traces) leak. Outside development, schema suggestions are removed too, so
 * error messages do not enumerate fields a client did not ask about.
 */
export function formatError(
  formatted: GraphQLFormattedError,
  error: unknown,
  policy: ErrorPolicy,
): GraphQLFormattedError {
  const code = formatted.extensions?.["code"];
  const path = formatted.path ? { path: formatted.path } : {};
  if (code !== undefined && code !== "INTERNAL_SERVER_ERROR") {
    if (policy.development) return formatted;
    const { stacktrace: _stack, ...extensions } = formatted.extensions ?? {};
    return { ...formatted, message: withoutSuggestions(formatted.message), extensions };
  }
  const cause = unwrapResolverError(error);
  if (cause instanceof LogUnavailableError) {
    policy.logger.warn("event log unavailable", {
      path: formatted.path,
      ...errorFields(cause.cause ?? cause),
    });
    return { message: cause.message, ...path, extensions: { code: "LOG_UNAVAILABLE", retryAfterSeconds: 1 } };
  }
  if (cause instanceof StoreUnavailableError) {
    // The driver's own error says what failed (host, timeout); the client never sees it.
    policy.logger.warn("store unavailable", { path: formatted.path, ...errorFields(cause.cause ?? cause) });
    return {
      message: STORE_UNAVAILABLE_MESSAGE,
      ...path,
      extensions: { code: "STORE_UNAVAILABLE", retryAfterSeconds: 1 },
    };
  }
  policy.logger.error("internal error", { path: formatted.path, ...errorFields(cause) });
  if (policy.development) return formatted;
  return { message: "Internal server error", ...path, extensions: { code: "INTERNAL_SERVER_ERROR" } };
}

/** The same, for errors that did not pass through Apollo (graphql-ws results). */
export function formatGraphQLError(error: GraphQLError, policy: ErrorPolicy): GraphQLFormattedError {
  const json = error.toJSON();
  const formatted: GraphQLFormattedError = {
    ...json,
    extensions: { ...json.extensions, code: error.extensions["code"] ?? "INTERNAL_SERVER_ERROR" },
  };
  return formatError(formatted, error, policy);
}

/** graphql-js appends `Did you mean "x"?` hints that list schema names; production drops them. */
export function withoutSuggestions(message: string): string {
  return message.replace(/\s*Did you mean [^?]*\?\s*$/, "");
}
