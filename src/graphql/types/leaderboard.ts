import { Field, Int, ObjectType } from "type-graphql";
import type { Window } from "../../domain/time.js";
import type { BoardScope } from "../../store/aggregates.js";
import { DateTimeScalar, SafeIntScalar } from "../scalars.js";
import { PageInfo } from "./event.js";
import { WindowEnum } from "./window.js";

@ObjectType({
  simpleResolvers: true,
  description:
    "A user's place. Ranks are competition ranks: tied users share a rank and the next rank skips (1, 2, 2, 4). " +
    "Ties are listed by userId ascending (byte order).",
})
export class Standing {
  @Field(() => Int)
  rank!: number;

  @Field(() => String)
  userId!: string;

  @Field(() => SafeIntScalar, { description: "The score, or the count of the leaderboard's event type." })
  value!: number;

  @Field(() => WindowEnum)
  window!: Window;

  @Field(() => String, { nullable: true, description: "The event type ranked by, or null for score." })
  type!: string | null;

  /** Reference time the window was resolved at: boardSize and percentile resolve the same period from it. */
  at!: Date;

  /** The board's group or category, for its size and percentiles; null for the whole board. */
  scope!: BoardScope | null;
}

@ObjectType({ simpleResolvers: true })
export class StandingEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => Standing)
  node!: Standing;
}

@ObjectType({
  simpleResolvers: true,
  description: "Top users of a window by score, or by the count of one event type.",
})
export class Leaderboard {
  @Field(() => WindowEnum)
  window!: Window;

  @Field(() => String, { nullable: true })
  type!: string | null;

  @Field(() => DateTimeScalar, { nullable: true, description: "Start of the window; null for ALL_TIME." })
  from!: Date | null;

  @Field(() => DateTimeScalar, {
    nullable: true,
    description: "End of the window (exclusive); null for ALL_TIME.",
  })
  to!: Date | null;

  @Field(() => [StandingEdge])
  edges!: StandingEdge[];

  @Field(() => [Standing])
  nodes!: Standing[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}
