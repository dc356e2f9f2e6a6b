import {
  execute,
  getOperationAST,
  GraphQLError,
  NoSchemaIntrospectionCustomRule,
  OperationTypeNode,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type OperationDefinitionNode,
  type ValidationRule,
} from "graphql";
import type { App } from "../../app/app.js";
import { Lru } from "../../domain/lru.js";
import type { Caller } from "../policy/auth.js";
import { tokenLimitExceeded, tokenLimitRefusal } from "../policy/limits.js";
import type { OperationGate } from "../policy/operation-gate.js";
import { timedOut, type RequestError } from "../http/request-errors.js";
import { Deadline, withDeadline } from "./deadline.js";
import { withoutSuggestions } from "./format-error.js";
import { inputPaths, inputValueError } from "./input-errors.js";
import { createRequestContext, type RequestContext } from "./request-context.js";

/** Distinct valid documents remembered; past it the least recently used is dropped. */
const DOCUMENTS_KEPT = 1_000;
/** Longer texts are checked each time, so the cache holds at most about 20 MB of query text. */
const MAX_REMEMBERED_CHARS = 20_000;

/** One operation as a transport received it. */
export interface OperationInput {
  readonly query: string;
  readonly operationName?: string | null | undefined;
  readonly variables: Readonly<Record<string, unknown>>;
  /** The request context, once the operation's type (which decides its deadline) is known. */
  readonly context: (type: OperationTypeNode) => RequestContext;
}

/** An operation that passed every check, ready to execute. */
export interface PreparedOperation {
  readonly ok: true;
  readonly document: DocumentNode;
  readonly operation: OperationDefinitionNode;
  readonly variables: Readonly<Record<string, unknown>>;
  readonly context: RequestContext;
}

/** Why an operation does not run: errors that carry their code in `extensions.code`. */
export interface RefusedOperation {
  readonly ok: false;
  readonly errors: readonly GraphQLError[];
}

export type PipelineVerdict = PreparedOperation | RefusedOperation;

/**
 * The steps every GraphQL operation takes before it runs, whichever transport brought it: the
 * token limit, parsing and validation (once per distinct document text, in one bounded cache),
 * choosing the operation, the request context with its deadline and CPU budget, and the
 * operation gate (keys, Unicode, depth, cost, aliases, ingest rate). Transports only translate
 * their messages into an `OperationInput` and a verdict back into their answers.
 *
 * Over HTTP Apollo parses and validates a document the first time (its errors keep Apollo's
 * format), then hands it here with `remember`; the fast path finds it with `known`.
 */
export class OperationPipeline {
  private readonly documents = new Lru<string, DocumentNode>(DOCUMENTS_KEPT);
  private readonly rules: readonly ValidationRule[];

  constructor(
    private readonly app: App,
    private readonly gate: OperationGate,
  ) {
    this.rules = app.config.hardening.introspection
      ? specifiedRules
      : [...specifiedRules, NoSchemaIntrospectionCustomRule];
  }

  /** QUERY_TOO_MANY_TOKENS for a text past EVENTSCORE_MAX_TOKENS, found without parsing it. */
  tooManyTokens(query: string): RequestError | null {
    return tokenLimitExceeded(query, this.app.config.hardening.maxTokens);
  }

  /** A context for a caller; subscriptions live as long as their socket, others get the deadline. */
  context(
    caller: Caller,
    remoteAddress: string | undefined,
    requestId: string,
    type: OperationTypeNode = OperationTypeNode.QUERY,
  ): RequestContext {
    const { requestTimeoutMs, maxCpuMs } = this.app.config.hardening;
    const deadline =
      type === OperationTypeNode.SUBSCRIPTION ? Deadline.none() : new Deadline(requestTimeoutMs, maxCpuMs);
    return createRequestContext(this.app.services, caller, remoteAddress, requestId, deadline);
  }

  /** The valid document already seen for this text, if it is still remembered. */
  known(query: string): DocumentNode | undefined {
    return this.documents.get(query);
  }

  /** Remembers a document that parsed and validated (a document never changes once parsed). */
  remember(query: string, document: DocumentNode): void {
    if (query.length <= MAX_REMEMBERED_CHARS) this.documents.set(query, document);
  }

  /** Every step, from the text to an operation ready to execute or the errors that refuse it. */
  prepare(input: OperationInput): PipelineVerdict {
    const document = this.validDocument(input.query);
    return "errors" in document ? document : this.admit(document, input);
  }

  /** The steps after validation: choosing the operation, its context, and the gate. */
  admit(document: DocumentNode, input: OperationInput): PipelineVerdict {
    const operation = getOperationAST(document, input.operationName);
    if (!operation) {
      const error = new GraphQLError("name the operation to run (operationName)", {
        extensions: { code: "BAD_REQUEST" },
      });
      return refused([error]);
    }
    const context = input.context(operation.operation);
    const gateRefusal = this.check(document, operation, input.variables, context);
    if (gateRefusal) return refused([gateRefusal]);
    return { ok: true, document, operation, variables: input.variables, context };
  }

  /** The operation gate for an operation already chosen (Apollo chooses its own). */
  check(
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: Readonly<Record<string, unknown>>,
    context: RequestContext,
  ): RequestError | null {
    const { caller, rateKey } = context;
    return this.gate.check({ document, operation, variables, caller, rateKey });
  }

  /**
   * Runs a query or mutation held to its deadline: TIMEOUT when the timer passes while it waits
   * on I/O, or the error a resolver's check found (TIMEOUT or CPU_BUDGET_EXCEEDED).
   */
  async execute(args: ExecutionArgs): Promise<ExecutionResult> {
    const { requestTimeoutMs } = this.app.config.hardening;
    const timeout = (): ExecutionResult => ({ errors: [timedOut(requestTimeoutMs)] });
    const result = await withDeadline(Promise.resolve(execute(args)), requestTimeoutMs, timeout);
    // The context is the one `prepare` built, so it carries the deadline.
    const { deadline } = args.contextValue as RequestContext;
    return deadline.error ? { errors: [deadline.error] } : result;
  }

  /** The parsed and validated document, from the cache once seen; else the errors that refuse it. */
  private validDocument(query: string): DocumentNode | RefusedOperation {
    const known = this.documents.get(query);
    if (known !== undefined) return known;
    const { maxTokens } = this.app.config.hardening;
    const tooLong = tokenLimitExceeded(query, maxTokens);
    if (tooLong) return refused([tooLong]);
    let document: DocumentNode;
    try {
      document = parse(query, { maxTokens });
    } catch (error) {
      const parseError = error as GraphQLError;
      return refused([
        tokenLimitRefusal(parseError.message) ?? this.coded(parseError, "GRAPHQL_PARSE_FAILED"),
      ]);
    }
    const invalid = validate(this.app.schema, document, this.rules);
    if (invalid.length > 0) {
      const paths = inputPaths(document);
      return refused(
        invalid.map(
          (error) => inputValueError(error, paths) ?? this.coded(error, "GRAPHQL_VALIDATION_FAILED"),
        ),
      );
    }
    this.remember(query, document);
    return document;
  }

  /** The error with Apollo's code for the same refusal, and no schema suggestions outside development. */
  private coded(error: GraphQLError, code: string): GraphQLError {
    const message = this.app.config.development ? error.message : withoutSuggestions(error.message);
    return new GraphQLError(message, { nodes: error.nodes, extensions: { ...error.extensions, code } });
  }
}

function refused(errors: readonly GraphQLError[]): RefusedOperation {
  return { ok: false, errors };
}
