import type { ApolloServerPlugin } from "@apollo/server";
import { GraphQLError, type GraphQLFormattedError } from "graphql";
import { inputPaths, inputValueError } from "./input-errors.js";
import { tokenLimitRefusal } from "../policy/limits.js";

/**
 * Apollo gives some refusals a code that does not say what happened; these hooks give them the
 * code the same refusal has over WebSocket and in the README:
 * - a document past EVENTSCORE_MAX_TOKENS: QUERY_TOO_MANY_TOKENS, not GRAPHQL_PARSE_FAILED;
 * - a wrong input literal (`occurredAt: "yesterday"` inline): BAD_USER_INPUT naming the item's
 *   path, as for the same value in variables, not GRAPHQL_VALIDATION_FAILED;
 * - a mutation over GET: METHOD_NOT_ALLOWED (405), not BAD_REQUEST.
 */

// Validation errors about input literals, re-coded, by the error Apollo keeps as `originalError`.
const recoded = new WeakMap<object, GraphQLError>();

/** Finds, once validation fails, which errors are about input literals (it needs the document). */
export function inputErrorsPlugin<T extends object>(): ApolloServerPlugin<T> {
  return {
    async requestDidStart() {
      return {
        async validationDidStart({ document }) {
          return async (errors) => {
            if (!errors) return;
            const paths = inputPaths(document);
            for (const error of errors) {
              if (!(error instanceof GraphQLError)) continue;
              const better = inputValueError(error, paths);
              if (better) recoded.set(error.originalError ?? error, better);
            }
          };
        },
      };
    },
  };
}

/** Apollo's formatted error with the codes above; everything else as it came. */
export function recodeApolloError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const code = formatted.extensions?.["code"];
  const original = error as Partial<GraphQLError> | null;
  if (code === "GRAPHQL_VALIDATION_FAILED") {
    const better = original?.originalError ? recoded.get(original.originalError) : undefined;
    if (better) return { ...formatted, message: better.message, extensions: { ...better.extensions } };
  }
  if (code === "GRAPHQL_PARSE_FAILED") {
    const refusal = tokenLimitRefusal(formatted.message);
    if (refusal) return { message: refusal.message, extensions: { ...refusal.extensions } };
  }
  const http = original?.extensions?.["http"] as { status?: number } | undefined;
  if (http?.status === 405)
    return { ...formatted, extensions: { ...formatted.extensions, code: "METHOD_NOT_ALLOWED" } };
  return formatted;
}
