import { GraphQLError, Kind, visit, type ASTNode, type DocumentNode, type ValueNode } from "graphql";

/** Where a node sits inside an argument's literal: `events[0].occurredAt` of argument `events`. */
export interface InputLocation {
  readonly argument: string;
  readonly path: string;
}

export type InputPaths = ReadonlyMap<ASTNode, InputLocation>;

/** The location of every value and input field inside every argument literal of the document. */
export function inputPaths(document: DocumentNode): InputPaths {
  const paths = new Map<ASTNode, InputLocation>();
  const walk = (value: ValueNode, argument: string, path: string): void => {
    paths.set(value, { argument, path });
    if (value.kind === Kind.LIST) value.values.forEach((item, i) => walk(item, argument, `${path}[${i}]`));
    if (value.kind === Kind.OBJECT) {
      for (const field of value.fields) {
        // An unknown or repeated field is the object's fault, as variable coercion reports it.
        paths.set(field, { argument, path });
        walk(field.value, argument, `${path}.${field.name.value}`);
      }
    }
  };
  visit(document, {
    Argument(node) {
      walk(node.value, node.name.value, node.name.value);
    },
  });
  return paths;
}

/**
 * A validation error about an argument's literal (a value the type refuses, like
 * `occurredAt: "yesterday"`, or an input field missing or unknown), re-coded BAD_USER_INPUT and
 * naming the path inside the argument the way variable coercion names it for the same value sent
 * in variables: `… at "events[0].occurredAt"; …`. So an input is refused alike, inline or not.
 * Null for every other validation error (and for variables, which have their own errors).
 */
export function inputValueError(error: GraphQLError, paths: InputPaths): GraphQLError | null {
  const node = error.nodes?.[0];
  if (node === undefined || node.kind === Kind.VARIABLE) return null;
  const location = paths.get(node);
  if (location === undefined) return null;
  return new GraphQLError(
    `Argument "${location.argument}" got invalid value at "${location.path}"; ${error.message}`,
    { nodes: error.nodes, extensions: { code: "BAD_USER_INPUT", argument: location.argument } },
  );
}
