import type { StoredEvent } from "../../store/port.js";
import type { Recorded, Recorder, WaitMode } from "../ingest.js";
import type { AppliedWaiter } from "./applied-waiter.js";
import type { EventLog } from "./ports.js";

/**
 * The production path: events go to the log, and a call returns once they are durable there
 * (DURABLE) or once the aggregators have applied them (APPLIED). An APPLIED wait that outlasts
 * `appliedTimeoutMs` (aggregators down or far behind) returns as DURABLE instead of failing:
 * the events are safe in the log and will be counted, and the caller is told so.
 */
export class LoggedRecorder implements Recorder {
  constructor(
    private readonly log: EventLog,
    private readonly waiter: AppliedWaiter,
    private readonly appliedTimeoutMs: number,
  ) {}

  async record(events: readonly StoredEvent[], wait: WaitMode): Promise<Recorded> {
    const positions = await this.log.append(events);
    if (wait === "DURABLE") return { applied: false };
    const outcomes = await this.waiter.wait(
      positions.map((position, i) => ({ ...position, event: events[i]! })),
      AbortSignal.timeout(this.appliedTimeoutMs),
    );
    return outcomes === null ? { applied: false } : { applied: true, outcomes };
  }
}
