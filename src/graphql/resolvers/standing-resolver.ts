import { Ctx, FieldResolver, Float, Int, Resolver, Root } from "type-graphql";
import { percentileOf, resolvePeriod } from "../../services/queries.js";
import type { Context } from "../context.js";
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

  @FieldResolver(() => Int, { description: "Users on this leaderboard (with a ranked event in the window)." })
  boardSize(@Root() standing: Standing, @Ctx() ctx: Context): Promise<number> {
    return sizeOf(standing, ctx);
  }

  @FieldResolver(() => Float, {
    description:
      "The share of the leaderboard's users that this user is level with or ahead of, in percent: " +
      "100 × (boardSize − rank + 1) / boardSize. 100 for the top, and for everyone tied with the top.",
  })
  async percentile(@Root() standing: Standing, @Ctx() ctx: Context): Promise<number> {
    return percentileOf(standing.rank, await sizeOf(standing, ctx));
  }
}

function sizeOf(standing: Standing, ctx: Context): Promise<number> {
  return ctx.loaders.boardSize.load({
    period: resolvePeriod(standing.window, standing.at),
    type: standing.type,
    scope: standing.scope ?? null,
  });
}
