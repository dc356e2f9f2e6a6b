import {
  OperationTypeNode,
  type DocumentNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from "graphql";
import { firstIllFormed } from "../../domain/unicode.js";
import { authorize, type AccessPolicy, type Caller } from "./auth.js";
import { checkComplexity, type ComplexityLimits } from "./limits.js";
import { OperationMeasures } from "./operation-measures.js";
import { eventsRequested, type TokenBuckets } from "./rate-limit.js";
import { invalidString, rateLimited, type RequestError } from "../http/request-errors.js";

export interface OperationRequest {
  readonly document: DocumentNode;
  readonly operation: OperationDefinitionNode;
  readonly variables: Readonly<Record<string, unknown>>;
  readonly caller: Caller;
  /** Who the ingest rate limit counts against: the key name, or the address of an anonymous client. */
  readonly rateKey: string;
}

/**
 * The checks every operation passes before it runs, over HTTP and WebSocket alike, cheapest
 * first: who may run it, whether its arguments are well-formed Unicode, how big it is, and (last,
 * so a refused request takes no tokens) the ingest rate.
 *
 * A lone UTF-16 surrogate can only arrive in variables (graphql-js refuses one in a literal). In
 * a query or subscription every string argument is a key (a user, a type, a cursor), and a key
 * that is not well-formed Unicode would be looked up as something else: INVALID_STRING. A
 * mutation's events are checked item by item instead, so a batch says which item was refused.
 */
export class OperationGate {
  private readonly measures: OperationMeasures;

  constructor(
    schema: GraphQLSchema,
    private readonly access: AccessPolicy,
    private readonly limits: ComplexityLimits,
    private readonly ingest: TokenBuckets | null,
  ) {
    this.measures = new OperationMeasures(schema, limits.maxCost);
  }

  check(request: OperationRequest): RequestError | null {
    const refused = authorize(request.operation.operation, request.caller, this.access);
    if (refused) return refused;
    const { document, operation, variables } = request;
    if (operation.operation !== OperationTypeNode.MUTATION) {
      for (const [name, value] of Object.entries(variables)) {
        if (firstIllFormed(value) !== undefined) return invalidString(name);
      }
    }
    const shape = this.measures.measure(document, operation, variables);
    const tooComplex = checkComplexity(shape, this.limits);
    if (tooComplex) return tooComplex;
    if (this.ingest === null) return null;
    const events = eventsRequested(request.document, request.operation, request.variables);
    if (events === 0) return null;
    const taken = this.ingest.take(request.rateKey, events);
    return taken.ok ? null : rateLimited(taken.retryAfterSeconds, this.ingest.ratePerSecond);
  }
}
