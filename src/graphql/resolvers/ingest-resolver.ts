import { Arg, Ctx, Mutation, Resolver } from "type-graphql";
import { BatchTooLargeError, type WaitMode } from "../../services/ingest.js";
import type { Context } from "../context.js";
import { batchTooLarge } from "../errors.js";
import { EventInput } from "../types/event.js";
import { RecordResult, WaitModeEnum } from "../types/ingest.js";

/** The `wait` argument of both mutations, declared once so its default and text cannot drift apart. */
function WaitArg(): ReturnType<typeof Arg> {
  return Arg("wait", () => WaitModeEnum, {
    defaultValue: "APPLIED",
    description: "How long to wait (see WaitMode).",
  });
}

@Resolver()
export class IngestResolver {
  @Mutation(() => RecordResult, {
    description: "Records one event. Re-sending an event with a stored id changes nothing (idempotent).",
  })
  async recordEvent(
    @Arg("event", () => EventInput) event: EventInput,
    @WaitArg() wait: WaitMode,
    @Ctx() ctx: Context,
  ): Promise<RecordResult> {
    return record(ctx, [event], wait);
  }

  @Mutation(() => RecordResult, {
    description:
      "Records a batch in one write. Valid items are stored even when others are rejected; " +
      "`rejected` says which items failed and why.",
  })
  async recordEvents(
    @Arg("events", () => [EventInput]) events: EventInput[],
    @WaitArg() wait: WaitMode,
    @Ctx() ctx: Context,
  ): Promise<RecordResult> {
    return record(ctx, events, wait);
  }
}

async function record(ctx: Context, events: EventInput[], wait: WaitMode): Promise<RecordResult> {
  try {
    const result = await ctx.services.ingest.record(events, wait);
    return {
      applied: result.applied,
      accepted: result.accepted,
      duplicates: result.duplicates,
      rejected: [...result.rejected],
    };
  } catch (error) {
    if (error instanceof BatchTooLargeError) throw batchTooLarge(error.size, error.limit);
    throw error;
  }
}
