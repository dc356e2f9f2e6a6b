import { Field, ID, InputType, Int, ObjectType } from "type-graphql";
import { DateTimeScalar, JsonScalar } from "../scalars.js";

@InputType({ description: "An activity event to record. `id` makes recording idempotent." })
export class EventInput {
  @Field(() => ID, { description: "Client-chosen unique id (for GitHub events, the GitHub event id)." })
  id!: string;

  @Field(() => String, { description: "Who did it (for GitHub, the actor login)." })
  userId!: string;

  @Field(() => String, { description: "Event type, e.g. PushEvent. Letters, digits, _ . : - (max 100)." })
  type!: string;

  @Field(() => DateTimeScalar, { description: "When it happened (stored in UTC, millisecond precision)." })
  occurredAt!: Date;

  @Field(() => String, { nullable: true, description: "Repository, e.g. owner/name." })
  repo?: string | null;

  @Field(() => String, {
    nullable: true,
    description: "Product category for reports (for GitHub, the repo owner).",
  })
  category?: string | null;

  @Field(() => [String], { nullable: true, description: "User groups, e.g. the GitHub org (max 32)." })
  groups?: string[] | null;

  @Field(() => JsonScalar, { nullable: true, description: "Any JSON, kept verbatim (size-bounded)." })
  payload?: unknown;
}

@ObjectType({ simpleResolvers: true, description: "A recorded event." })
export class Event {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  userId!: string;

  @Field(() => String)
  type!: string;

  @Field(() => DateTimeScalar)
  occurredAt!: Date;

  @Field(() => String, { nullable: true })
  repo!: string | null;

  @Field(() => String, { nullable: true })
  category!: string | null;

  @Field(() => [String])
  groups!: string[];

  @Field(() => JsonScalar, { nullable: true })
  payload!: unknown;

  @Field(() => Int, {
    description: "Points this event earned under the weights in force when it was recorded.",
  })
  points!: number;
}

@ObjectType({ simpleResolvers: true })
export class PageInfo {
  @Field(() => Boolean)
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true, description: "Pass as `after` to get the next page." })
  endCursor!: string | null;

  @Field(() => Boolean, {
    nullable: true,
    description: "Whether rows lie above this page: known for pages `around` a user, else null.",
  })
  hasPreviousPage?: boolean | null;
}

@ObjectType({ simpleResolvers: true })
export class EventEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => Event)
  node!: Event;
}

@ObjectType({ simpleResolvers: true, description: "A page of events, newest first." })
export class EventConnection {
  @Field(() => [EventEdge])
  edges!: EventEdge[];

  @Field(() => [Event], { description: "The events of `edges`, for clients that need no cursors." })
  nodes!: Event[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}
