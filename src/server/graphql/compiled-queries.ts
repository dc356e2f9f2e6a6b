import { execute, type DocumentNode, type ExecutionResult, type GraphQLSchema } from "graphql";
import { compileQuery, isCompiledQuery, type CompiledQuery } from "graphql-jit";

/**
 * Runs the fast path's queries, compiled to JavaScript (graphql-jit) once a document is used again.
 *
 * graphql-js interprets a document field by field on every request: for each of a 100-row
 * leaderboard's ~3,000 fields it looks up the field's definition, coerces its arguments (also
 * for fields that take none), builds a resolve-info object and checks for promises. A compiled
 * query does that work once, when it is compiled; on this machine it took a 100-row nested board
 * from about 13 to 8.5 ms per request.
 *
 * A document is compiled on its second use, not its first: compiling costs a few milliseconds and
 * some memory, which a document sent once (a developer's one-off query, or a client sending a new
 * text every time) would never earn back. Compiled queries are kept beside their document: the
 * operation pipeline's bounded cache owns the documents, and a compiled query goes when its
 * document does (WeakMap).
 *
 * The same resolvers run (the schema's, with the deadline checks wrapped around them), with the
 * same context. The fast path sends only results without errors and passes any other to Apollo,
 * which runs the request again through graphql-js and formats its errors: so errors are never
 * shaped by the compiler.
 */
export class CompiledQueries {
  private readonly byDocument = new WeakMap<DocumentNode, Compiled>();
  /** Operations compiled so far (for tests and metrics). */
  compilations = 0;

  constructor(private readonly schema: GraphQLSchema) {}

  run(
    document: DocumentNode,
    operationName: string | null,
    variables: Readonly<Record<string, unknown>> | null,
    context: unknown,
  ): Promise<ExecutionResult> | ExecutionResult {
    const compiled = this.compiledFor(document, operationName);
    if (compiled === null) {
      return execute({
        schema: this.schema,
        document,
        operationName,
        variableValues: variables,
        contextValue: context,
      });
    }
    return compiled.query(undefined, context, variables ?? {});
  }

  /** The compiled query once the document is used again; null until then, or if it cannot compile. */
  private compiledFor(document: DocumentNode, operationName: string | null): CompiledQuery | null {
    const entry = this.byDocument.get(document);
    if (entry === undefined) {
      this.byDocument.set(document, new Map());
      return null;
    }
    const name = operationName ?? "";
    let compiled = entry.get(name);
    if (compiled === undefined) {
      const result = compileQuery(this.schema, document, operationName ?? undefined);
      this.compilations += 1;
      // A document the compiler refuses (it reports errors instead) stays with graphql-js.
      compiled = isCompiledQuery(result) ? result : null;
      entry.set(name, compiled);
    }
    return compiled;
  }
}

/** Per operation name ("" for the document's only operation): compiled, or null when it could not be. */
type Compiled = Map<string, CompiledQuery | null>;
