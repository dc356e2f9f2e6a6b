import { Kind, visit, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode } from "graphql";
import { measureOperation, type OperationShape } from "./limits.js";

const ABSENT = { absent: true };

/** Variable combinations remembered per operation; past it, the operation's entries start over. */
const SHAPES_PER_OPERATION = 64;

interface Entry {
  /** The variables the measure reads: those given to a `first` (page size) or `name` (`__type`) argument. */
  readonly inputs: readonly string[];
  readonly shapes: Map<string, OperationShape>;
}

/**
 * `measureOperation`, once per operation and distinct values of the variables it depends on.
 *
 * Apollo hands the same document object to every request with the same query text (its document
 * store), so the cache is keyed by the operation node itself, in a WeakMap: it is bounded by
 * Apollo's store and goes with the documents it drops. A query without page-size variables is
 * measured once; one with `first: $n` once per distinct `$n`.
 */
export class OperationMeasures {
  private readonly entries = new WeakMap<OperationDefinitionNode, Entry>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly maxCost: number,
  ) {}

  measure(
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: Readonly<Record<string, unknown>>,
  ): OperationShape {
    let entry = this.entries.get(operation);
    if (entry === undefined) {
      entry = { inputs: measuredVariables(document), shapes: new Map() };
      this.entries.set(operation, entry);
    }
    // An absent variable takes its default, a null one does not: the key tells them apart.
    const key = JSON.stringify(entry.inputs.map((name) => (name in variables ? variables[name] : ABSENT)));
    let shape = entry.shapes.get(key);
    if (shape === undefined) {
      shape = measureOperation(this.schema, document, operation, variables, this.maxCost);
      if (entry.shapes.size >= SHAPES_PER_OPERATION) entry.shapes.clear();
      entry.shapes.set(key, shape);
    }
    return shape;
  }
}

/** Names of the variables passed to `first` or `name` arguments anywhere in the document. */
function measuredVariables(document: DocumentNode): string[] {
  const names = new Set<string>();
  visit(document, {
    Argument(node) {
      if ((node.name.value === "first" || node.name.value === "name") && node.value.kind === Kind.VARIABLE) {
        names.add(node.value.name.value);
      }
    },
  });
  return [...names].sort();
}
