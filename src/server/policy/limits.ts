import {
  getNamedType,
  Lexer,
  Source,
  TokenKind,
  isInterfaceType,
  isObjectType,
  Kind,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from "graphql";
import { introspectionCost } from "./introspection-cost.js";
import { tooComplex, type RequestError } from "../http/request-errors.js";

export interface OperationShape {
  /** Deepest field nesting; a root field is depth 1. Introspection fields do not count here. */
  readonly depth: number;
  /**
   * Estimated work: every field costs 1, and a field taking `first` multiplies the cost of
   * what it selects by the page size asked for (or its default), so nested pages multiply.
   * Introspection costs the number of fields its answer holds (see introspection-cost.ts).
   */
  readonly cost: number;
  /** Aliased fields, counting a fragment once per spread. */
  readonly aliases: number;
}

export interface ComplexityLimits {
  readonly maxDepth: number;
  readonly maxCost: number;
  readonly maxAliases: number;
}

const NOTHING: OperationShape = { depth: 0, cost: 0, aliases: 0 };

/**
 * Measures an operation against the schema with the request's variables (a page size often
 * comes from a variable, so this runs per request, not per document). Each fragment is measured
 * once and reused at every spread, so a document of fragments that spread each other many times
 * is measured in time proportional to its size, not to its expansion. Introspection is priced
 * exactly, and its walk stops past `maxCost`, where the answer no longer matters.
 */
export function measureOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  requestVariables: Readonly<Record<string, unknown>>,
  maxCost = Number.MAX_SAFE_INTEGER,
): OperationShape {
  // A variable left out takes its declared default, which may be the page size.
  const variables: Record<string, unknown> = {};
  for (const definition of operation.variableDefinitions ?? []) {
    const name = definition.variable.name.value;
    if (definition.defaultValue) variables[name] = literal(definition.defaultValue, {});
  }
  Object.assign(variables, requestVariables);
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const measured = new Map<string, OperationShape>();
  // Introspection priced so far: later introspection fields are walked only up to what is left
  // of the limit, so pricing any number of them costs at most about `maxCost` steps in all.
  let introspectionSpent = 0;
  const root = schema.getRootType(operation.operation) ?? undefined;

  /** The shape of a selection set: depth counts the field levels below it. */
  function walk(
    selectionSet: SelectionSetNode,
    parent: GraphQLNamedType | undefined,
    visiting: ReadonlySet<string>,
  ): OperationShape {
    let depth = 0;
    let cost = 0;
    let aliases = 0;
    const add = (shape: OperationShape): void => {
      depth = Math.max(depth, shape.depth);
      cost += shape.cost;
      aliases += shape.aliases;
    };
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const aliased = selection.alias ? 1 : 0;
        if (selection.name.value.startsWith("__")) {
          add({ depth: 0, cost: metaCost(selection), aliases: aliased + aliasesIn(selection.selectionSet) });
          continue;
        }
        const field = fieldOf(parent, selection.name.value);
        const inner = selection.selectionSet
          ? walk(selection.selectionSet, field ? getNamedType(field.type) : undefined, visiting)
          : NOTHING;
        add({
          depth: 1 + inner.depth,
          cost: 1 + pageSize(selection, field, variables) * inner.cost,
          aliases: aliased + inner.aliases,
        });
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        add(walk(selection.selectionSet, type ?? undefined, visiting));
      } else {
        add(spread(selection.name.value, visiting));
      }
    }
    return { depth, cost, aliases };
  }

  function spread(name: string, visiting: ReadonlySet<string>): OperationShape {
    const fragment = fragments.get(name);
    // A cycle is refused by validation; here it must only not loop.
    if (fragment === undefined || visiting.has(name)) return NOTHING;
    let shape = measured.get(name);
    if (shape === undefined) {
      const type = schema.getType(fragment.typeCondition.name.value) ?? undefined;
      shape = walk(fragment.selectionSet, type, new Set([...visiting, name]));
      measured.set(name, shape);
    }
    return shape;
  }

  function metaCost(field: FieldNode): number {
    if (field.name.value === "__typename") return 1;
    const cost = introspectionCost(
      schema,
      field,
      fragments,
      variables,
      Math.max(0, maxCost - introspectionSpent),
    );
    introspectionSpent += cost;
    return cost;
  }

  /** Aliases in an introspection selection, which `walk` does not enter; fragments counted once each. */
  const aliasCounts = new Map<string, number>();
  function aliasesIn(
    selectionSet: SelectionSetNode | undefined,
    visiting: ReadonlySet<string> = new Set(),
  ): number {
    let count = 0;
    for (const selection of selectionSet?.selections ?? []) {
      if (selection.kind === Kind.FIELD) {
        count += (selection.alias ? 1 : 0) + aliasesIn(selection.selectionSet, visiting);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        count += aliasesIn(selection.selectionSet, visiting);
      } else {
        const name = selection.name.value;
        if (visiting.has(name)) continue;
        let inner = aliasCounts.get(name);
        if (inner === undefined) {
          inner = aliasesIn(fragments.get(name)?.selectionSet, new Set([...visiting, name]));
          aliasCounts.set(name, inner);
        }
        count += inner;
      }
    }
    return count;
  }

  return walk(operation.selectionSet, root, new Set());
}

export function checkComplexity(shape: OperationShape, limits: ComplexityLimits): RequestError | null {
  if (shape.aliases > limits.maxAliases) {
    return tooComplex(
      "QUERY_TOO_MANY_ALIASES",
      `the operation has ${shape.aliases} aliased fields; the limit is ${limits.maxAliases}`,
      limits.maxAliases,
    );
  }
  if (shape.depth > limits.maxDepth) {
    return tooComplex(
      "QUERY_TOO_DEEP",
      `the operation nests ${shape.depth} fields deep; the limit is ${limits.maxDepth}`,
      limits.maxDepth,
    );
  }
  if (shape.cost > limits.maxCost) {
    return tooComplex(
      "QUERY_TOO_COSTLY",
      `the operation costs at least ${shape.cost} (page sizes multiply what they select; introspection counts every field of its answer); the limit is ${limits.maxCost}`,
      limits.maxCost,
    );
  }
  return null;
}

function fieldOf(
  parent: GraphQLNamedType | undefined,
  name: string,
): GraphQLField<unknown, unknown> | undefined {
  if (parent === undefined || !(isObjectType(parent) || isInterfaceType(parent))) return undefined;
  return parent.getFields()[name];
}

/** The `first` a field is asked for, or its schema default; 1 for fields without paging. */
function pageSize(
  node: FieldNode,
  field: GraphQLField<unknown, unknown> | undefined,
  variables: Readonly<Record<string, unknown>>,
): number {
  const argument = node.arguments?.find((arg) => arg.name.value === "first");
  const fallback = field?.args.find((arg) => arg.name === "first")?.defaultValue;
  const value = argument ? literal(argument.value, variables) : fallback;
  return typeof value === "number" && Number.isFinite(value) ? Math.max(1, Math.trunc(value)) : 1;
}

function literal(value: ValueNode, variables: Readonly<Record<string, unknown>>): unknown {
  if (value.kind === Kind.INT) return Number(value.value);
  if (value.kind === Kind.VARIABLE) return variables[value.name.value];
  return undefined;
}

// graphql-js (16) stops parsing past `maxTokens` with "Syntax Error: Document contains more that
// N tokens. Parsing aborted." A unit test pins that message, so an upgrade that changes it fails.
const TOKEN_LIMIT = /Document contains more th(?:at|an) (\d+) tokens/;

/** The refusal for a document graphql-js stopped parsing at its token limit; null for other parse errors. */
export function tokenLimitRefusal(parseErrorMessage: string): RequestError | null {
  const match = TOKEN_LIMIT.exec(parseErrorMessage);
  if (!match) return null;
  const limit = Number(match[1]);
  return tooComplex(
    "QUERY_TOO_MANY_TOKENS",
    `the document has more than ${limit} tokens; the limit is ${limit}`,
    limit,
  );
}

/**
 * QUERY_TOO_MANY_TOKENS for a document with more than `maxTokens` tokens, found by lexing no
 * further than one token past the limit; null otherwise (also for a document the lexer refuses:
 * the parser reports that). A document shorter than the limit in characters cannot exceed it, so
 * ordinary requests skip this. It runs before graphql-js parses: when graphql-js stops at the
 * limit itself, the error it builds scans the whole document for line breaks, which for a 2 MB
 * document of one line costs more than parsing the tokens that were allowed.
 */
export function tokenLimitExceeded(query: string, maxTokens: number): RequestError | null {
  if (query.length <= maxTokens) return null;
  const lexer = new Lexer(new Source(query));
  try {
    for (let count = 0; count <= maxTokens; count++) {
      if (lexer.advance().kind === TokenKind.EOF) return null;
    }
  } catch {
    return null;
  }
  return tooComplex(
    "QUERY_TOO_MANY_TOKENS",
    `the document has more than ${maxTokens} tokens; the limit is ${maxTokens}`,
    maxTokens,
  );
}
