import { Args, Resolver, Root, Subscription, type SubscribeResolverData } from "type-graphql";
import type { LiveEvent } from "../../services/live/commit-changes.js";
import { periodRange } from "../../domain/time.js";
import type { BoardPush } from "../../services/live/leaderboard-refresh.js";
import type { BoardScope } from "../../store/aggregates.js";
import type { TallyChange } from "../../store/port.js";
import { boardScope, nonEmpty, pageSize, referenceTime, typeFilter } from "../arguments.js";
import { badUserInput } from "../errors.js";
import type { Context } from "../context.js";
import { toEvent, toScore, toStanding } from "../convert.js";
import { EventFilterArgs, LeaderboardArgs, UserWindowArgs } from "../types/args.js";
import { Event } from "../types/event.js";
import { Standing } from "../types/leaderboard.js";
import { Score } from "../types/score.js";

type Data<Args> = SubscribeResolverData<unknown, Args, Context>;

/** A live board is always its top `first`: a page around a user is a query, not a watch. */
function liveScope(args: LeaderboardArgs): BoardScope | null {
  if ((args.around ?? null) !== null) {
    throw badUserInput("leaderboardChanged pushes the top `first`: query leaderboard(around:) instead", {
      argument: "around",
    });
  }
  return boardScope(args);
}

/**
 * How each subscription's pushes may wait for a slow client: a score or a top N is a state, so
 * only the latest one need be sent (intermediate states may be skipped); recorded events are
 * each sent, in order, until the connection's buffer limit.
 */
export const LIVE_DELIVERY: Readonly<Record<string, "latest" | "every">> = {
  scoreChanged: "latest",
  leaderboardChanged: "latest",
  eventRecorded: "every",
};

@Resolver()
export class SubscriptionResolver {
  @Subscription(() => Score, {
    description: "The user's new score after each recorded batch that changes it (from any API instance).",
    subscribe: ({ args, context }: Data<UserWindowArgs>) =>
      context.services.subscriptions.scores(
        nonEmpty(args.userId, "userId"),
        args.window,
        referenceTime(args.at),
      ),
  })
  scoreChanged(@Root() change: TallyChange, @Args(() => UserWindowArgs) _args: UserWindowArgs): Score {
    // The change's own period, not one resolved again now: a window may have turned since.
    return toScore(change.tally, change.period);
  }

  @Subscription(() => [Standing], {
    description:
      "The new top `first` of a leaderboard whenever it changes (`after` is ignored). Bursts are coalesced: " +
      "at most one push per EVENTSCORE_LEADERBOARD_INTERVAL_MS.",
    subscribe: ({ args, context }: Data<LeaderboardArgs>) =>
      context.services.subscriptions.leaderboard({
        window: args.window,
        type: args.type ?? null,
        scope: liveScope(args),
        first: pageSize(args.first, context.services.maxPageSize),
        at: referenceTime(args.at),
      }),
  })
  leaderboardChanged(
    @Root() push: BoardPush,
    @Args(() => LeaderboardArgs) args: LeaderboardArgs,
  ): Standing[] {
    const scope = boardScope(args);
    // Nested fields resolve their window around a time inside the period the rows were read for.
    const inside = args.at ?? periodRange(push.period)?.from ?? new Date();
    return push.standings.map((standing) =>
      toStanding(standing, push.period, args.type ?? null, inside, scope),
    );
  }

  @Subscription(() => Event, {
    description:
      "Each newly recorded event (duplicates are not repeated), optionally for one user and some types.",
    subscribe: ({ args, context }: Data<EventFilterArgs>) =>
      context.services.subscriptions.events({ userId: args.userId ?? null, types: typeFilter(args.types) }),
  })
  eventRecorded(@Root() event: LiveEvent, @Args(() => EventFilterArgs) _filter: EventFilterArgs): Event {
    return toEvent(event);
  }
}
