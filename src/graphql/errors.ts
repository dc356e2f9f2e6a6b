import { GraphQLError } from "graphql";

export function badUserInput(message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code: "BAD_USER_INPUT", ...extensions } });
}

export function batchTooLarge(size: number, limit: number): GraphQLError {
  return new GraphQLError(`a batch may hold at most ${limit} events; this one has ${size}`, {
    extensions: { code: "BATCH_TOO_LARGE", limit, size },
  });
}
