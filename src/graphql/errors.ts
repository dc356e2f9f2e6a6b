import { GraphQLError } from "graphql";

/** Error codes this API sets in `extensions.code`, besides Apollo's own. */
export type ErrorCode = "BAD_USER_INPUT" | "BATCH_TOO_LARGE" | "INTERNAL_SERVER_ERROR";

export function badUserInput(message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code: "BAD_USER_INPUT", ...extensions } });
}

export function batchTooLarge(size: number, limit: number): GraphQLError {
  return new GraphQLError(`a batch may hold at most ${limit} events; this one has ${size}`, {
    extensions: { code: "BATCH_TOO_LARGE", limit, size },
  });
}
