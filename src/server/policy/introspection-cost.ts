import {
  isAbstractType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLArgument,
  type GraphQLDirective,
  type GraphQLField,
  type GraphQLInputField,
  type GraphQLSchema,
  type GraphQLType,
  type SelectionSetNode,
} from "graphql";

/**
 * What an introspection field resolves to: the schema, a type (named or wrapped), a field, an
 * argument or input field, an enum value or a directive.
 */
type Node =
  | { readonly kind: "schema"; readonly value: GraphQLSchema }
  | { readonly kind: "type"; readonly value: GraphQLType }
  | { readonly kind: "field"; readonly value: GraphQLField<unknown, unknown> }
  | { readonly kind: "input"; readonly value: GraphQLArgument | GraphQLInputField }
  | { readonly kind: "leaf" }
  | { readonly kind: "directive"; readonly value: GraphQLDirective };

const LEAF: Node = { kind: "leaf" };

class OverBudget extends Error {}

/**
 * The exact cost of an introspection root field (`__schema` or `__type`): the number of fields
 * its answer would hold, found by walking the selection over this schema's real types, fields and
 * arguments rather than estimating list sizes. The schema is public and fixed, so the count is
 * exact; an alias bomb of introspection is thereby as costly as the answer it asks for. The walk
 * stops once the count passes `cap`, so pricing a bomb is cheap too; it then returns `cap + 1`.
 */
export function introspectionCost(
  schema: GraphQLSchema,
  field: FieldNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  variables: Readonly<Record<string, unknown>>,
  cap: number,
): number {
  let spent = 0;
  const charge = (): void => {
    spent += 1;
    if (spent > cap) throw new OverBudget();
  };

  const walk = (selectionSet: SelectionSetNode, node: Node, visiting: ReadonlySet<string>): void => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        charge();
        if (!selection.selectionSet) continue;
        const child = childOf(schema, node, selection.name.value);
        for (const item of Array.isArray(child) ? child : child ? [child] : []) {
          walk(selection.selectionSet, item, visiting);
        }
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        walk(selection.selectionSet, node, visiting);
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (fragment === undefined || visiting.has(name)) continue;
        walk(fragment.selectionSet, node, new Set([...visiting, name]));
      }
    }
  };

  const root = rootOf(schema, field, variables);
  try {
    charge();
    if (root && field.selectionSet) walk(field.selectionSet, root, new Set());
    return spent;
  } catch (error) {
    if (error instanceof OverBudget) return cap + 1;
    throw error;
  }
}

function rootOf(
  schema: GraphQLSchema,
  field: FieldNode,
  variables: Readonly<Record<string, unknown>>,
): Node | null {
  if (field.name.value === "__schema") return { kind: "schema", value: schema };
  if (field.name.value !== "__type") return null;
  const argument = field.arguments?.find((arg) => arg.name.value === "name")?.value;
  const name =
    argument?.kind === Kind.STRING
      ? argument.value
      : argument?.kind === Kind.VARIABLE
        ? variables[argument.name.value]
        : undefined;
  const type = typeof name === "string" ? schema.getType(name) : undefined;
  return type ? { kind: "type", value: type } : null;
}

/** What one introspection field of `node` resolves to: a list, one node, or nothing to walk into. */
function childOf(schema: GraphQLSchema, node: Node, name: string): Node | Node[] | null {
  switch (node.kind) {
    case "schema": {
      if (name === "types") return Object.values(schema.getTypeMap()).map(typeNode);
      if (name === "directives") return schema.getDirectives().map((value) => ({ kind: "directive", value }));
      if (name === "queryType") return nullableType(schema.getQueryType());
      if (name === "mutationType") return nullableType(schema.getMutationType());
      if (name === "subscriptionType") return nullableType(schema.getSubscriptionType());
      return null;
    }
    case "type":
      return typeChild(schema, node.value, name);
    case "field":
      if (name === "args") return node.value.args.map(inputNode);
      if (name === "type") return typeNode(node.value.type);
      return null;
    case "input":
      return name === "type" ? typeNode(node.value.type) : null;
    case "directive":
      return name === "args" ? node.value.args.map(inputNode) : null;
    case "leaf":
      return null;
  }
}

function typeChild(schema: GraphQLSchema, type: GraphQLType, name: string): Node | Node[] | null {
  if (name === "ofType") return isListType(type) || isNonNullType(type) ? typeNode(type.ofType) : null;
  if (name === "fields" && (isObjectType(type) || isInterfaceType(type))) {
    return Object.values(type.getFields()).map((value) => ({ kind: "field", value }));
  }
  if (name === "interfaces" && (isObjectType(type) || isInterfaceType(type))) {
    return type.getInterfaces().map(typeNode);
  }
  if (name === "possibleTypes" && isAbstractType(type)) return schema.getPossibleTypes(type).map(typeNode);
  // Enum values have only scalar fields.
  if (name === "enumValues" && isEnumType(type)) return type.getValues().map(() => LEAF);
  if (name === "inputFields" && isInputObjectType(type))
    return Object.values(type.getFields()).map(inputNode);
  return null;
}

function typeNode(value: GraphQLType): Node {
  return { kind: "type", value };
}

function nullableType(value: GraphQLType | null | undefined): Node | null {
  return value ? typeNode(value) : null;
}

function inputNode(value: GraphQLArgument | GraphQLInputField): Node {
  return { kind: "input", value };
}
