import { Field, ID, Int, ObjectType, registerEnumType } from "type-graphql";
import type { WaitMode } from "../../services/ingest.js";

/** Mirrors services/ingest.ts WaitMode. */
export const WaitModeEnum = {
  APPLIED: "APPLIED",
  DURABLE: "DURABLE",
} as const satisfies Record<WaitMode, WaitMode>;

registerEnumType(WaitModeEnum, {
  name: "WaitMode",
  description: "How long a recording mutation waits before it answers.",
  valuesConfig: {
    APPLIED: {
      description:
        "Until the events are counted: exact accepted / duplicates / CONFLICT per item, and every later read on any instance sees them (the default).",
    },
    DURABLE: {
      description:
        "Until the events are durable in the event log (acknowledged by every in-sync Kafka replica): faster; they are counted shortly after, and duplicates and conflicts are decided then. On the embedded store every write is applied at once, so both modes answer the same.",
    },
  },
});

@ObjectType({ simpleResolvers: true, description: "Why one item of a request was not stored." })
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
  simpleResolvers: true,
  description: "Outcome of recording events. Accepted events are durable when this is returned.",
})
export class RecordResult {
  @Field(() => Boolean, {
    description:
      "True when the outcomes are final: the events are counted. False when the mutation answered once the events were durable (wait: DURABLE, or an APPLIED wait that took longer than EVENTSCORE_APPLIED_TIMEOUT_MS): they will be counted, exactly once.",
  })
  applied!: boolean;

  @Field(() => Int, {
    description:
      "Events newly stored and counted (applied: true), or events durably logged and still to be counted (applied: false).",
  })
  accepted!: number;

  @Field(() => Int, {
    description:
      "Events already stored with the same content: nothing changed. Always 0 when applied is false (decided later).",
  })
  duplicates!: number;

  @Field(() => [Rejection])
  rejected!: Rejection[];
}
