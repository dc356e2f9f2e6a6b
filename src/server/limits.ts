import {
  getNamedType,
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
import { tooComplex, type RequestError } from "./request-errors.js";

export interface OperationShape {
  /** Deepest field nesting; a root field is depth 1. */
  readonly depth: number;
  /**
   * Estimated work: every field costs 1, and a field taking `first` multiplies the cost of
   * what it selects by the page size asked for (or its default), so nested pages multiply.
   */
  readonly cost: number;
}

export interface ComplexityLimits {
  readonly maxDepth: number;
  readonly maxCost: number;
}

/**
 * Measures an operation against the schema with the request's variables (a page size often
 * comes from a variable, so this runs per request, not per document). Introspection fields are
 * not counted: they are allowed or refused as a whole by the introspection setting.
 */
export function measureOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  requestVariables: Readonly<Record<string, unknown>>,
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
  const root = schema.getRootType(operation.operation) ?? undefined;

  function walk(
    selectionSet: SelectionSetNode,
    parent: GraphQLNamedType | undefined,
    depth: number,
    visiting: ReadonlySet<string>,
  ): OperationShape {
    let deepest = depth;
    let cost = 0;
    const add = (shape: OperationShape): void => {
      deepest = Math.max(deepest, shape.depth);
      cost += shape.cost;
    };
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value.startsWith("__")) continue;
        const field = fieldOf(parent, selection.name.value);
        const inner = selection.selectionSet
          ? walk(selection.selectionSet, field ? getNamedType(field.type) : undefined, depth + 1, visiting)
          : { depth: depth + 1, cost: 0 };
        add({ depth: inner.depth, cost: 1 + pageSize(selection, field, variables) * inner.cost });
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        add(walk(selection.selectionSet, type ?? undefined, depth, visiting));
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        // A cycle is refused by validation; here it must only not loop.
        if (fragment === undefined || visiting.has(name)) continue;
        const type = schema.getType(fragment.typeCondition.name.value) ?? undefined;
        add(walk(fragment.selectionSet, type, depth, new Set([...visiting, name])));
      }
    }
    return { depth: deepest, cost };
  }

  return walk(operation.selectionSet, root, 0, new Set());
}

export function checkComplexity(shape: OperationShape, limits: ComplexityLimits): RequestError | null {
  if (shape.depth > limits.maxDepth) {
    return tooComplex(
      "QUERY_TOO_DEEP",
      `the operation nests ${shape.depth} fields deep; the limit is ${limits.maxDepth}`,
    );
  }
  if (shape.cost > limits.maxCost) {
    return tooComplex(
      "QUERY_TOO_COSTLY",
      `the operation costs ${shape.cost} (page sizes multiply what they select); the limit is ${limits.maxCost}`,
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
