import { FieldResolver, Resolver, Root } from "type-graphql";
import { Standing } from "../types/leaderboard.js";
import { User } from "../types/user.js";

@Resolver(() => Standing)
export class StandingResolver {
  @FieldResolver(() => User, {
    description: "The user, for score and history next to the rank (batched per request).",
  })
  user(@Root() standing: Standing): User {
    return { id: standing.userId };
  }
}
