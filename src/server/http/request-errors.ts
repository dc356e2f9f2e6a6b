import { HeaderMap } from "@apollo/server";
import { GraphQLError } from "graphql";

/**
 * An error that refuses a whole request before execution, with the HTTP status (and headers)
 * it answers with over HTTP. Over WebSocket only the GraphQL error (message + code) is sent.
 */
export class RequestError extends GraphQLError {
  constructor(
    message: string,
    readonly code: string,
    readonly status: number,
    extensions: Record<string, unknown> = {},
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message, { extensions: { code, ...extensions } });
  }

  /** The same error carrying `extensions.http`, which Apollo turns into the response status and headers. */
  forApollo(): GraphQLError {
    return new GraphQLError(this.message, {
      extensions: {
        ...this.extensions,
        http: { status: this.status, headers: new HeaderMap(Object.entries(this.headers)) },
      },
    });
  }

  /** A body for answers given outside Apollo (body limits, timeouts, shutdown). */
  toBody(): { errors: { message: string; extensions: Record<string, unknown> }[] } {
    return { errors: [{ message: this.message, extensions: { ...this.extensions } }] };
  }
}

export function unauthenticated(message: string): RequestError {
  return new RequestError(
    message,
    "UNAUTHENTICATED",
    401,
    {},
    { "www-authenticate": 'Bearer realm="eventscore"' },
  );
}

export function forbidden(message: string): RequestError {
  return new RequestError(message, "FORBIDDEN", 403);
}

export function rateLimited(retryAfterSeconds: number, limit: number): RequestError {
  return new RequestError(
    `ingest rate limit exceeded (${limit} events/s for this key); retry in ${retryAfterSeconds} s`,
    "RATE_LIMITED",
    429,
    { retryAfterSeconds },
    { "retry-after": String(retryAfterSeconds) },
  );
}

/** An operation over one of the limits of README "Limits"; `limit` tells the client what would pass. */
export function tooComplex(
  code: "QUERY_TOO_COSTLY" | "QUERY_TOO_DEEP" | "QUERY_TOO_MANY_ALIASES" | "QUERY_TOO_MANY_TOKENS",
  message: string,
  limit: number,
): RequestError {
  return new RequestError(message, code, 400, { limit });
}

export function timedOut(timeoutMs: number): RequestError {
  return new RequestError(`the request did not finish within ${timeoutMs} ms`, "TIMEOUT", 504, { timeoutMs });
}

/** Why a request's store work stops when its client closed the connection (nobody gets the answer). */
export function clientGone(): RequestError {
  return new RequestError("the client closed the connection before the answer", "CLIENT_CLOSED_REQUEST", 499);
}

export function invalidString(variable: string): RequestError {
  return new RequestError(
    `variable $${variable} holds a string that is not well-formed Unicode (a lone UTF-16 surrogate)`,
    "INVALID_STRING",
    400,
    { variable },
  );
}

export function cpuBudgetExceeded(budgetMs: number): RequestError {
  return new RequestError(
    `the request's resolvers used more than ${budgetMs} ms of CPU time; ask for less at once`,
    "CPU_BUDGET_EXCEEDED",
    400,
    { limit: budgetMs },
  );
}

export function shuttingDown(): RequestError {
  return new RequestError(
    "the server is shutting down; retry on another instance",
    "SHUTTING_DOWN",
    503,
    { retryAfterSeconds: 1 },
    { "retry-after": "1", connection: "close" },
  );
}
