import { buildSchema, execute, parse, type GraphQLFieldResolver, type GraphQLObjectType } from "graphql";
import { describe, expect, it } from "vitest";
import { CompiledQueries } from "../../src/server/graphql/compiled-queries.js";

/**
 * A small schema with what a compiler must get right: lists, nulls, arguments with defaults,
 * variables, directives, fragments, async resolvers and the context. Resolvers sit on the fields,
 * as type-graphql puts them, so no root value is needed.
 */
const schema = buildSchema(`
  type Count { type: String! count: Int! }
  type User { id: String! counts(min: Int = 0): [Count!]! best: Count }
  type Query { users(first: Int!): [User!]! hello: String }
`);
interface User {
  readonly id: string;
  readonly index: number;
}
const counts = [
  { type: "IssuesEvent", count: 2 },
  { type: "PushEvent", count: 5 },
];
const resolve = (
  type: string,
  field: string,
  resolver: GraphQLFieldResolver<unknown, { greeting: string }>,
) => {
  (schema.getType(type) as GraphQLObjectType).getFields()[field]!.resolve = resolver;
};
resolve("Query", "hello", (_root, _args, context) => context.greeting);
resolve("Query", "users", (_root, args: { first: number }) =>
  Array.from({ length: args.first }, (_, index): User => ({ id: `user${index}`, index })),
);
resolve("User", "counts", (_user, args: { min: number }) =>
  Promise.resolve(counts.filter((c) => c.count >= args.min)),
);
resolve("User", "best", (user) => ((user as User).index % 2 ? null : counts[1]));

const document = parse(`
  query Board($n: Int!, $min: Int, $withBest: Boolean!) {
    users(first: $n) { id counts(min: $min) { type count } best @include(if: $withBest) { type } }
    ...Greeting
  }
  query Other { hello }
  fragment Greeting on Query { hello }
`);
const context = { greeting: "hi" };

describe("CompiledQueries", () => {
  it("runs a document with graphql-js first, compiles it on its second use, and answers as graphql-js does", async () => {
    const queries = new CompiledQueries(schema);
    const cases = [
      { n: 3, min: 3, withBest: true },
      { n: 2, withBest: false },
      { n: 0, min: 0, withBest: true },
    ];
    for (const [i, variables] of cases.entries()) {
      const truth = await execute({
        schema,
        document,
        operationName: "Board",
        variableValues: variables,
        contextValue: context,
      });
      expect(truth.errors).toBeUndefined();
      expect(await queries.run(document, "Board", variables, context)).toEqual(truth);
      // The first run was graphql-js's own; every later one is the compiled query's.
      expect(queries.compilations).toBe(i === 0 ? 0 : 1);
    }
    expect(await queries.run(document, "Board", cases[0]!, context)).toEqual(
      await execute({
        schema,
        document,
        operationName: "Board",
        variableValues: cases[0]!,
        contextValue: context,
      }),
    );
  });

  it("compiles each operation of a document on its own, and reports errors as graphql-js does", async () => {
    const queries = new CompiledQueries(schema);
    expect(await queries.run(document, "Board", { n: 1, withBest: true }, context)).toMatchObject({
      data: { hello: "hi" },
    });
    expect(await queries.run(document, "Other", null, context)).toEqual({ data: { hello: "hi" } });
    expect(queries.compilations).toBe(1);
    expect(await queries.run(document, "Board", { n: 1, withBest: true }, context)).toMatchObject({
      data: { users: [{ id: "user0" }] },
    });
    expect(queries.compilations).toBe(2);
    // A missing required variable is an error either way; the fast path hands such results to Apollo.
    const compiled = await queries.run(document, "Board", { withBest: true }, context);
    expect(compiled.errors?.[0]?.message).toMatch(/\$n/);
  });
});
