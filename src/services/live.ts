import type { StoredEvent } from "../store/port.js";
import type { JsonValue, PubSub } from "./pubsub.js";

/** The channel every instance publishes its committed events on. */
export const INGESTED_CHANNEL = "eventscore.ingested.v1";

/** An event as it travels between instances: plain JSON. */
export interface LiveEvent {
  readonly id: string;
  readonly userId: string;
  readonly type: string;
  readonly occurredAt: string;
  readonly repo: string | null;
  readonly category: string | null;
  readonly groups: readonly string[];
  readonly payload: string | null;
  readonly points: number;
  readonly ranked: boolean;
}

type Committed = Omit<StoredEvent, "fingerprint"> & { readonly fingerprint?: string };

/**
 * Announces committed events to every instance and hands them to local subscribers.
 * Announcing is best effort by design: the events are already durable, so a pub/sub outage
 * delays live updates but never fails or repeats an ingest.
 */
export class ChangeFeed {
  constructor(
    private readonly pubsub: PubSub,
    private readonly onError: (error: unknown) => void,
  ) {}

  async announce(events: readonly Committed[]): Promise<void> {
    const message = events.map(toLiveEvent);
    try {
      await this.pubsub.publish(INGESTED_CHANNEL, message as unknown as JsonValue);
    } catch (error) {
      this.onError(error);
    }
  }

  /** Each commit's events, from any instance, until `signal` aborts. */
  async *commits(signal: AbortSignal): AsyncGenerator<LiveEvent[]> {
    for await (const message of this.pubsub.subscribe(INGESTED_CHANNEL, signal)) {
      if (Array.isArray(message)) yield message as unknown as LiveEvent[];
    }
  }
}

function toLiveEvent(event: Committed): LiveEvent {
  return {
    id: event.id,
    userId: event.userId,
    type: event.type,
    occurredAt: event.occurredAt.toISOString(),
    repo: event.repo,
    category: event.category,
    groups: [...event.groups],
    payload: event.payload,
    points: event.points,
    ranked: event.ranked,
  };
}
