import { Field, Int, ObjectType } from "type-graphql";
import type { Window } from "../../domain/time.js";
import { DateTimeScalar, SafeIntScalar } from "../scalars.js";
import { WindowEnum } from "./window.js";

@ObjectType({
  simpleResolvers: true,
  description: "How many events of one type, and the points they earned.",
})
export class TypeCount {
  @Field(() => String)
  type!: string;

  @Field(() => SafeIntScalar)
  count!: number;

  @Field(() => SafeIntScalar)
  points!: number;
}

@ObjectType({
  simpleResolvers: true,
  description: "A user's score in one window: the sum of weight(type) x count over event types.",
})
export class Score {
  @Field(() => String)
  userId!: string;

  @Field(() => WindowEnum)
  window!: Window;

  @Field(() => DateTimeScalar, {
    nullable: true,
    description: "Start of the window (inclusive); null for ALL_TIME.",
  })
  from!: Date | null;

  @Field(() => DateTimeScalar, {
    nullable: true,
    description: "End of the window (exclusive); null for ALL_TIME.",
  })
  to!: Date | null;

  @Field(() => SafeIntScalar)
  score!: number;

  @Field(() => SafeIntScalar, { description: "Number of events in the window." })
  events!: number;

  @Field(() => [TypeCount], { description: "Per-type counts and points, sorted by type." })
  breakdown!: TypeCount[];
}

@ObjectType({ simpleResolvers: true, description: "The weight of one event type." })
export class Weight {
  @Field(() => String)
  type!: string;

  @Field(() => Int)
  weight!: number;
}

@ObjectType({
  simpleResolvers: true,
  description: "The scoring weights in force. Weights apply when an event is recorded.",
})
export class ScoringRules {
  @Field(() => Int, { description: "Weight of any type not listed." })
  defaultWeight!: number;

  @Field(() => [Weight], { description: "Sorted by type." })
  weights!: Weight[];
}
