import { Field, ID, Int, ObjectType } from "type-graphql";

@ObjectType({ description: "Why one item of a request was not stored." })
export class Rejection {
  @Field(() => Int, { description: "Position of the item in the request (0 for recordEvent)." })
  index!: number;

  @Field(() => ID, { nullable: true })
  eventId!: string | null;

  @Field(() => String, {
    description:
      "INVALID_ID, INVALID_USER_ID, INVALID_TYPE, INVALID_OCCURRED_AT (outside 1970 to now + EVENTSCORE_MAX_FUTURE_SKEW), INVALID_FIELD, INVALID_STRING (not well-formed Unicode), PAYLOAD_TOO_LARGE or CONFLICT (the id is stored with other content).",
  })
  code!: string;

  @Field(() => String)
  reason!: string;
}

@ObjectType({
  description: "Outcome of recording events. Accepted events are durable when this is returned.",
})
export class RecordResult {
  @Field(() => Int, { description: "Events newly stored and counted." })
  accepted!: number;

  @Field(() => Int, { description: "Events already stored with the same content: nothing changed." })
  duplicates!: number;

  @Field(() => [Rejection])
  rejected!: Rejection[];
}
