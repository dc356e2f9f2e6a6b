import { HeaderMap, type HTTPGraphQLResponse } from "@apollo/server";
import {
  getOperationAST,
  OperationTypeNode,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLSchema,
} from "graphql";
import { ReadCoalescer } from "../../store/read-coalescer.js";
import type { RequestError } from "../http/request-errors.js";
import { CompiledQueries } from "./compiled-queries.js";
import type { OperationPipeline } from "./operation-pipeline.js";
import type { RequestContext } from "./request-context.js";

/** What Apollo answers a request without an Accept header, or one that accepts JSON. */
const JSON_TYPE = "application/json; charset=utf-8";

/**
 * The successful query, answered without Apollo's request pipeline.
 *
 * Apollo's pipeline costs more per request than the rest of a trivial query together (it hashes
 * the query text with SHA-256 to find the parsed document, negotiates the media type, runs the
 * plugin hooks, clones the context): about 60 % of a bare node:http server's throughput is lost in
 * it alone on this machine. The fast path keeps what matters and skips the rest:
 * - only documents already parsed and validated are run here, found by their text in the
 *   operation pipeline's bounded cache (Apollo's gate hook remembers each one it passed);
 * - only queries, POSTed as JSON without `extensions`, to clients that accept plain JSON;
 * - the same operation gate (keys, Unicode, depth, cost) and the same resolvers, context and
 *   deadline run, through a compiled query once the document is used again (compiled-queries.ts);
 * - a result with any error is not sent: the request goes to Apollo, which runs it again and
 *   formats its errors, status and codes as always. Queries only read, so running one twice is
 *   safe, and the per-request DataLoaders make the second run cheap.
 * Anything else (mutations, GET, introspection through GraphiQL the first time, unusual Accept
 * headers, a document seen for the first time) goes to Apollo unchanged.
 *
 * Identical queries (the same text, operation and variables) that reach the fast path in one turn
 * of the event loop share one execution and one serialized answer (store/read-coalescer.ts): the
 * viewers of one dashboard or board ask for exactly the same thing, and each would otherwise run
 * the same resolvers over the same rows and serialize the same JSON. Each caller still passes the
 * gate on its own (keys, rate and cost limits), and the shared execution began after every one of
 * them asked, so none misses a write acknowledged before it asked. Answers depend on nothing of
 * the caller: resolvers see no caller. The execution has its own deadline, with the request
 * timeout and CPU budget; it stops when every caller sharing it has left (its client gone or its
 * own deadline passed). Its log lines carry the first caller's request id.
 */
export class FastQueries {
  private readonly queries: CompiledQueries;
  private readonly shared = new ReadCoalescer<HTTPGraphQLResponse | null>();

  constructor(
    schema: GraphQLSchema,
    private readonly pipeline: OperationPipeline,
  ) {
    this.queries = new CompiledQueries(schema);
  }

  /** The response, or null when Apollo must answer the request. */
  async run(
    body: unknown,
    headers: { readonly accept?: string | undefined; readonly contentType?: string | undefined },
    context: RequestContext,
  ): Promise<HTTPGraphQLResponse | null> {
    if (headers.contentType === undefined || !acceptsPlainJson(headers.accept)) return null;
    const request = plainRequest(body);
    if (request === null) return null;
    const document = this.pipeline.known(request.query);
    if (document === undefined) return null;
    const operation = getOperationAST(document, request.operationName ?? undefined);
    // The type before the gate: a mutation must not take ingest tokens here and again in Apollo.
    if (!operation || operation.operation !== OperationTypeNode.QUERY) return null;
    if (this.pipeline.check(document, operation, request.variables ?? {}, context) !== null) return null;
    const key = JSON.stringify([request.query, request.operationName, request.variables]);
    const signal = context.deadline.signal;
    try {
      return await this.shared.read(
        key,
        (shared) => this.answer(document, request, this.sharedContext(context, shared)),
        signal,
      );
    } catch (error) {
      // This caller left (its client went, or its deadline passed): Apollo answers it as it
      // answers any request whose deadline has stopped it, at once, since its resolvers check first.
      if (signal.aborted) return null;
      throw error;
    }
  }

  /** The response to a query without errors; null when it has any (Apollo then answers). */
  private async answer(
    document: DocumentNode,
    request: PlainRequest,
    context: RequestContext,
  ): Promise<HTTPGraphQLResponse | null> {
    const result: ExecutionResult = await this.queries.run(
      document,
      request.operationName,
      request.variables,
      context,
    );
    if (result.errors !== undefined && result.errors.length > 0) return null;
    return {
      status: 200,
      headers: new HeaderMap([["content-type", JSON_TYPE]]),
      // Apollo's own serialization of a result without errors or extensions.
      body: { kind: "complete", string: `${JSON.stringify({ data: result.data })}\n` },
    };
  }

  /** A context of the first caller's, with a deadline of its own that stops when every caller left. */
  private sharedContext(first: RequestContext, signal: AbortSignal): RequestContext {
    const context = this.pipeline.context(first.caller, undefined, first.requestId);
    signal.addEventListener("abort", () => context.deadline.abort(signal.reason as RequestError), {
      once: true,
    });
    return context;
  }
}

interface PlainRequest {
  readonly query: string;
  readonly operationName: string | null;
  readonly variables: Record<string, unknown> | null;
}

/** The body's parts when it is the ordinary `{ query, operationName?, variables? }`; else null. */
function plainRequest(body: unknown): PlainRequest | null {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return null;
  const { query, operationName, variables, extensions } = body as Record<string, unknown>;
  if (typeof query !== "string" || (extensions !== undefined && extensions !== null)) return null;
  if (operationName !== undefined && operationName !== null && typeof operationName !== "string") return null;
  if (
    variables !== undefined &&
    variables !== null &&
    (typeof variables !== "object" || Array.isArray(variables))
  )
    return null;
  return {
    query,
    operationName: operationName ?? null,
    variables: (variables as Record<string, unknown> | null | undefined) ?? null,
  };
}

function acceptsPlainJson(accept: string | undefined): boolean {
  return accept === undefined || accept === "*/*" || accept === "application/json";
}
