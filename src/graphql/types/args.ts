import { ArgsType, Field, Int, type ClassType } from "type-graphql";
import type { Window } from "../../domain/time.js";
import { DateTimeScalar } from "../scalars.js";
import { WindowEnum } from "./window.js";

// Arguments as classes: the schema lists them in declaration order (base class first) under
// every compiler, where parameter decorators run in an order that differs between tsc and esbuild.

@ArgsType()
export class UserArgs {
  @Field(() => String)
  userId!: string;
}

function withWindow<TBase extends ClassType>(Base: TBase) {
  @ArgsType()
  class Windowed extends Base {
    @Field(() => WindowEnum, { defaultValue: "ALL_TIME" })
    window!: Window;

    @Field(() => DateTimeScalar, {
      nullable: true,
      description: "Reference time inside the window; default now.",
    })
    at?: Date | null;
  }
  return Windowed;
}

function withRankType<TBase extends ClassType>(Base: TBase) {
  @ArgsType()
  class Ranked extends Base {
    @Field(() => String, {
      nullable: true,
      description: "Rank by the count of this event type instead of score.",
    })
    type?: string | null;

    @Field(() => String, {
      nullable: true,
      description: "Only this group's events (for GitHub, the org), ranked by score; not with `type`.",
    })
    group?: string | null;

    @Field(() => String, {
      nullable: true,
      description:
        "Only this category's events (for GitHub, the repo owner), ranked by score; not with `type`.",
    })
    category?: string | null;
  }
  return Ranked;
}

function withHistory<TBase extends ClassType>(Base: TBase) {
  @ArgsType()
  class History extends Base {
    @Field(() => DateTimeScalar, { nullable: true, description: "Inclusive; default: the beginning." })
    from?: Date | null;

    @Field(() => DateTimeScalar, { nullable: true, description: "Exclusive; default: the end of time." })
    to?: Date | null;

    @Field(() => [String], { nullable: true, description: "Only these event types." })
    types?: string[] | null;

    @Field(() => Int, { defaultValue: 20, description: "Page size, 1 to EVENTSCORE_MAX_PAGE_SIZE." })
    first!: number;

    @Field(() => String, { nullable: true, description: "The endCursor of the previous page." })
    after?: string | null;
  }
  return History;
}

class NoArgs {}

@ArgsType()
export class WindowArgs extends withWindow(NoArgs) {}

@ArgsType()
export class UserWindowArgs extends withWindow(UserArgs) {}

@ArgsType()
export class RankArgs extends withRankType(withWindow(NoArgs)) {}

@ArgsType()
export class UserRankArgs extends withRankType(withWindow(UserArgs)) {}

@ArgsType()
export class LeaderboardArgs extends RankArgs {
  @Field(() => Int, { defaultValue: 10, description: "Page size, 1 to EVENTSCORE_MAX_PAGE_SIZE." })
  first!: number;

  @Field(() => String, { nullable: true, description: "The endCursor of the previous page." })
  after?: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      "The page of `first` rows centred on this user (about half above, the user, the rest below); " +
      "empty when the user is not on the board. Not with `after`.",
  })
  around?: string | null;
}

@ArgsType()
export class HistoryArgs extends withHistory(NoArgs) {}

@ArgsType()
export class UserHistoryArgs extends withHistory(UserArgs) {}

@ArgsType()
export class EventFilterArgs {
  @Field(() => String, { nullable: true, description: "Only this user's events." })
  userId?: string | null;

  @Field(() => [String], { nullable: true, description: "Only these event types." })
  types?: string[] | null;
}
