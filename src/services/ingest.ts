import {
  fingerprintOf,
  isRejection,
  normalizeEvent,
  type EventDraft,
  type RejectionCode,
} from "../domain/event.js";
import { weightOf, type ScoringRules } from "../domain/scoring.js";
import type { AppendOutcome, EventStore, StoredEvent } from "../store/port.js";
import { GroupCommitter } from "./group-commit.js";
import type { ChangeFeed } from "./live/change-feed.js";

/**
 * How long a recording call waits: APPLIED until the events are counted (exact outcomes per
 * item), DURABLE until they are safely in the log (they will be counted; duplicates and conflicts
 * are decided when they are applied).
 */
export type WaitMode = "APPLIED" | "DURABLE";

/** What a recorder could say when it returned. */
export type Recorded =
  { readonly applied: true; readonly outcomes: readonly AppendOutcome[] } | { readonly applied: false };

/**
 * Where validated events go: the store directly (the embedded path, one transaction per group
 * commit) or the event log, whose aggregators apply them (log/logged-recorder.ts).
 */
export interface Recorder {
  record(events: readonly StoredEvent[], wait: WaitMode): Promise<Recorded>;
}

export interface ItemRejection {
  /** Position of the item in the request. */
  readonly index: number;
  readonly eventId: string | null;
  readonly code: RejectionCode;
  readonly reason: string;
}

export interface IngestResult {
  /**
   * True when the outcomes are final (the events are counted); false when the call returned
   * once the events were durable in the log: `accepted` then counts the events logged.
   */
  readonly applied: boolean;
  readonly accepted: number;
  readonly duplicates: number;
  readonly rejected: readonly ItemRejection[];
}

export interface IngestOptions {
  readonly rules: ScoringRules;
  readonly maxBatchSize: number;
  readonly maxPayloadBytes: number;
  /** How far past now an occurredAt may lie (clocks differ); later events are rejected. */
  readonly maxFutureSkewMs: number;
  /** The clock the future-skew bound is read from (tests move it). */
  readonly now?: () => number;
  /** False keeps a user's events out of leaderboards (bots); they still count in the user's own score. */
  readonly isRanked: (userId: string) => boolean;
}

/** Thrown for a request that is refused as a whole (as opposed to per-item rejections). */
export class BatchTooLargeError extends Error {
  constructor(
    readonly size: number,
    readonly limit: number,
  ) {
    super(`a batch may hold at most ${limit} events; this one has ${size}`);
  }
}

/**
 * The embedded path: writes through group commit, so concurrent requests share transactions.
 * After each transaction it hands what the transaction inserted and changed to the change feed,
 * without waiting: answering never depends on live subscribers. Always applied when it returns.
 */
export class DirectRecorder implements Recorder {
  private readonly committer: GroupCommitter<StoredEvent, AppendOutcome>;

  constructor(
    store: EventStore,
    feed: ChangeFeed,
    /** Upper bound on events written by one grouped store call. */
    maxEventsPerWrite = 5000,
  ) {
    this.committer = new GroupCommitter(async (events) => {
      const { outcomes, changes } = await store.appendWithChanges(events);
      feed.publish(
        events.filter((_, i) => outcomes[i] === "inserted"),
        changes,
      );
      return outcomes;
    }, maxEventsPerWrite);
  }

  async record(events: readonly StoredEvent[]): Promise<Recorded> {
    return { applied: true, outcomes: await this.committer.submit(events) };
  }
}

/** What every recording path (GraphQL, webhooks, poller, import) calls: IngestService, or a decorator of it. */
export interface Ingest {
  readonly maxBatchSize: number;
  record(drafts: readonly EventDraft[], wait?: WaitMode): Promise<IngestResult>;
}

/**
 * Records events: validates each item, scores it and hands the valid ones to the recorder in
 * one call; valid items are recorded even when other items are rejected.
 */
export class IngestService implements Ingest {
  constructor(
    private readonly recorder: Recorder,
    private readonly options: IngestOptions,
  ) {}

  get maxBatchSize(): number {
    return this.options.maxBatchSize;
  }

  async record(drafts: readonly EventDraft[], wait: WaitMode = "APPLIED"): Promise<IngestResult> {
    if (drafts.length > this.options.maxBatchSize) {
      throw new BatchTooLargeError(drafts.length, this.options.maxBatchSize);
    }
    const rejected: ItemRejection[] = [];
    const ready: { index: number; event: StoredEvent }[] = [];
    const limits = {
      maxPayloadBytes: this.options.maxPayloadBytes,
      latestOccurredAtMs: (this.options.now ?? Date.now)() + this.options.maxFutureSkewMs,
    };
    drafts.forEach((draft, index) => {
      const normalized = normalizeEvent(draft, limits);
      if (isRejection(normalized)) {
        rejected.push({ index, eventId: typeof draft.id === "string" ? draft.id : null, ...normalized });
        return;
      }
      const event: StoredEvent = {
        ...normalized,
        points: weightOf(this.options.rules, normalized.type),
        fingerprint: fingerprintOf(normalized),
        ranked: this.options.isRanked(normalized.userId),
      };
      ready.push({ index, event });
    });
    if (ready.length === 0) return { applied: true, accepted: 0, duplicates: 0, rejected };

    const recorded = await this.recorder.record(
      ready.map((item) => item.event),
      wait,
    );
    if (!recorded.applied) return { applied: false, accepted: ready.length, duplicates: 0, rejected };
    if (recorded.outcomes.length !== ready.length) {
      throw new Error(`recorder gave ${recorded.outcomes.length} outcomes for ${ready.length} events`);
    }
    let accepted = 0;
    let duplicates = 0;
    recorded.outcomes.forEach((outcome, i) => {
      const item = ready[i]!;
      if (outcome === "inserted") accepted += 1;
      else if (outcome === "duplicate") duplicates += 1;
      else
        rejected.push({
          index: item.index,
          eventId: item.event.id,
          code: "CONFLICT",
          reason: "an event with this id is already stored with different content; the first write wins",
        });
    });
    rejected.sort((a, b) => a.index - b.index);
    return { applied: true, accepted, duplicates, rejected };
  }
}
