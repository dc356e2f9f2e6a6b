import "reflect-metadata";
import type { GraphQLSchema } from "graphql";
import { buildSchema, type PubSub } from "type-graphql";
import { IngestResolver } from "./resolvers/ingest-resolver.js";
import { QueryResolver } from "./resolvers/query-resolver.js";
import { ReportResolver } from "./resolvers/report-resolver.js";
import { StandingResolver } from "./resolvers/standing-resolver.js";
import { SubscriptionResolver } from "./resolvers/subscription-resolver.js";
import { UserResolver } from "./resolvers/user-resolver.js";

/**
 * The executable schema, built from the decorated classes (code first). Every object type says
 * `simpleResolvers: true`: its plain fields then have no resolver of type-graphql's (which would
 * run its middleware chain, of which there is none, for every field of every row) and read the
 * property directly; fields with a @FieldResolver keep theirs. A 30-day report answers ~2,000
 * such fields, a nested 100-row board ~3,000.
 */
export function createSchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: [
      QueryResolver,
      UserResolver,
      StandingResolver,
      ReportResolver,
      IngestResolver,
      SubscriptionResolver,
    ],
    validate: false,
    pubSub: topicsNotUsed,
    emitSchemaFile: false,
  });
}

/**
 * type-graphql insists on a pubSub for topic-based subscriptions. Every subscription here
 * supplies its own `subscribe` function over the services' change feed instead, so topic
 * routing is never reached; if a future resolver uses `topics`, this fails loudly.
 */
const topicsNotUsed: PubSub = {
  publish: () => {
    throw new Error("topic-based subscriptions are not used: publish through the services' ChangeFeed");
  },
  subscribe: () => {
    throw new Error("topic-based subscriptions are not used: give @Subscription a `subscribe` function");
  },
};
