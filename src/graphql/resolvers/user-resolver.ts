import { Arg, Args, Ctx, FieldResolver, Query, Resolver, Root } from "type-graphql";
import type { Window } from "../../domain/time.js";
import { resolvePeriod } from "../../services/queries.js";
import {
  boardScope,
  eventCursor,
  nonEmpty,
  pageSize,
  referenceTime,
  timeRange,
  typeFilter,
} from "../arguments.js";
import type { Context } from "../context.js";
import { toEventConnection, toScore, toStanding } from "../convert.js";
import { HistoryArgs, RankArgs, WindowArgs } from "../types/args.js";
import { EventConnection } from "../types/event.js";
import { Standing } from "../types/leaderboard.js";
import { Score, TypeCount } from "../types/score.js";
import { User } from "../types/user.js";

/** Shared by Query.score and User.score so both go through the per-request DataLoader. */
export async function scoreOf(
  ctx: Context,
  userId: string,
  window: Window,
  at: Date | null | undefined,
): Promise<Score> {
  const period = resolvePeriod(window, referenceTime(at));
  return toScore(await ctx.loaders.tally.load({ userId, period }), period);
}

export async function standingOf(ctx: Context, userId: string, args: RankArgs): Promise<Standing | null> {
  const reference = referenceTime(args.at) ?? new Date();
  const period = resolvePeriod(args.window, reference);
  const type = args.type ?? null;
  const scope = boardScope(args);
  const standing = await ctx.loaders.standing.load({ userId, period, type, scope });
  return standing && toStanding(standing, period, type, reference, scope);
}

export async function eventsOf(ctx: Context, userId: string, args: HistoryArgs): Promise<EventConnection> {
  const page = await ctx.loaders.history.load({
    userId: nonEmpty(userId, "userId"),
    ...timeRange(args.from, args.to),
    types: typeFilter(args.types),
    first: pageSize(args.first, ctx.services.maxPageSize),
    after: eventCursor(args.after),
  });
  return toEventConnection(page);
}

@Resolver(() => User)
export class UserResolver {
  @Query(() => User, { description: "A user by id. Every id is a user; one without events has zero scores." })
  user(@Arg("id", () => String) id: string): User {
    return { id: nonEmpty(id, "id") };
  }

  @FieldResolver(() => Score, { description: "Score in the window (batched per request)." })
  score(@Root() user: User, @Ctx() ctx: Context, @Args(() => WindowArgs) args: WindowArgs): Promise<Score> {
    return scoreOf(ctx, user.id, args.window, args.at);
  }

  @FieldResolver(() => [TypeCount], { description: "Per-type counts in the window, sorted by type." })
  async counts(
    @Root() user: User,
    @Ctx() ctx: Context,
    @Args(() => WindowArgs) args: WindowArgs,
  ): Promise<TypeCount[]> {
    return (await scoreOf(ctx, user.id, args.window, args.at)).breakdown;
  }

  @FieldResolver(() => EventConnection, { description: "The user's events in [from, to), newest first." })
  events(
    @Root() user: User,
    @Ctx() ctx: Context,
    @Args(() => HistoryArgs) args: HistoryArgs,
  ): Promise<EventConnection> {
    return eventsOf(ctx, user.id, args);
  }

  @FieldResolver(() => Standing, {
    nullable: true,
    description: "Null when the user has no ranked event in the window.",
  })
  rank(
    @Root() user: User,
    @Ctx() ctx: Context,
    @Args(() => RankArgs) args: RankArgs,
  ): Promise<Standing | null> {
    return standingOf(ctx, user.id, args);
  }
}
