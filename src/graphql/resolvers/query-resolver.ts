import { Args, Ctx, Query, Resolver } from "type-graphql";
import { periodRange } from "../../domain/time.js";
import { resolvePeriod } from "../../services/queries.js";
import type { Standing as StoreStanding } from "../../store/port.js";
import { boardScope, nonEmpty, pageSize, rankCursor, referenceTime } from "../arguments.js";
import { badUserInput } from "../errors.js";
import { toConnection, type ConnectionPage } from "../connection.js";
import type { Context } from "../context.js";
import { standingCursor, toStanding } from "../convert.js";
import { LeaderboardArgs, UserHistoryArgs, UserRankArgs, UserWindowArgs } from "../types/args.js";
import { EventConnection } from "../types/event.js";
import { Leaderboard, Standing } from "../types/leaderboard.js";
import { Score, ScoringRules } from "../types/score.js";
import { eventsOf, scoreOf, standingOf } from "./user-resolver.js";

@Resolver()
export class QueryResolver {
  @Query(() => EventConnection, {
    description: "A user's events in [from, to), newest first, filtered by type.",
  })
  events(@Ctx() ctx: Context, @Args(() => UserHistoryArgs) args: UserHistoryArgs): Promise<EventConnection> {
    return eventsOf(ctx, args.userId, args);
  }

  @Query(() => Score, { description: "A user's score in a window, with the per-type breakdown." })
  score(@Ctx() ctx: Context, @Args(() => UserWindowArgs) args: UserWindowArgs): Promise<Score> {
    return scoreOf(ctx, nonEmpty(args.userId, "userId"), args.window, args.at);
  }

  @Query(() => Leaderboard, {
    description:
      "Top users of a window by score, or by the count of `type`. Order: value desc, then userId asc.",
  })
  async leaderboard(
    @Ctx() ctx: Context,
    @Args(() => LeaderboardArgs) args: LeaderboardArgs,
  ): Promise<Leaderboard> {
    const reference = referenceTime(args.at) ?? new Date();
    const period = resolvePeriod(args.window, reference);
    const type = args.type ?? null;
    const scope = boardScope(args);
    const first = pageSize(args.first, ctx.services.maxPageSize);
    const around = args.around ?? null;
    if (around !== null && (args.after ?? null) !== null) {
      throw badUserInput("give after or around, not both", { argument: "around" });
    }
    const page: ConnectionPage<StoreStanding> =
      around === null
        ? await ctx.services.queries.leaderboard(period, type, first, rankCursor(args.after), scope)
        : await ctx.services.queries.around(nonEmpty(around, "around"), period, type, first, scope);
    const range = periodRange(period);
    return {
      window: args.window,
      type,
      from: range?.from ?? null,
      to: range?.to ?? null,
      ...toConnection(page, standingCursor, (standing) =>
        toStanding(standing, period, type, reference, scope),
      ),
    };
  }

  @Query(() => Standing, {
    nullable: true,
    description: "A user's rank; null without ranked events in the window.",
  })
  rank(@Ctx() ctx: Context, @Args(() => UserRankArgs) args: UserRankArgs): Promise<Standing | null> {
    return standingOf(ctx, nonEmpty(args.userId, "userId"), args);
  }

  @Query(() => ScoringRules, { description: "The weights in force." })
  scoringRules(@Ctx() ctx: Context): ScoringRules {
    const { rules } = ctx.services;
    return {
      defaultWeight: rules.defaultWeight,
      weights: [...rules.weights.entries()]
        .map(([type, weight]) => ({ type, weight }))
        .sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0)),
    };
  }
}
