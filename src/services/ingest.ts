import {
  fingerprintOf,
  isRejection,
  normalizeEvent,
  type EventDraft,
  type RejectionCode,
  type ScoredEvent,
} from "../domain/event.js";
import { weightOf, type ScoringRules } from "../domain/scoring.js";
import type { AppendOutcome, EventStore } from "../store/port.js";
import { GroupCommitter } from "./group-commit.js";
import type { ChangeFeed } from "./live.js";

export interface ItemRejection {
  /** Position of the item in the request. */
  readonly index: number;
  readonly eventId: string | null;
  readonly code: RejectionCode;
  readonly reason: string;
}

export interface IngestResult {
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
  /** Upper bound on events written by one grouped store call. */
  readonly maxEventsPerWrite?: number;
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

type Ready = ScoredEvent & { readonly ranked: boolean };

/**
 * Records events: validates each item, scores it, writes through group commit, and announces
 * what changed only after the write is durable. A batch is written in one store call; its
 * valid items are stored even when other items are rejected.
 */
export class IngestService {
  private readonly committer: GroupCommitter<Ready, AppendOutcome>;

  constructor(
    private readonly store: EventStore,
    private readonly feed: ChangeFeed,
    private readonly options: IngestOptions,
  ) {
    this.committer = new GroupCommitter((events) => store.append(events), options.maxEventsPerWrite ?? 5000);
  }

  get rules(): ScoringRules {
    return this.options.rules;
  }

  get maxBatchSize(): number {
    return this.options.maxBatchSize;
  }

  async record(drafts: readonly EventDraft[]): Promise<IngestResult> {
    if (drafts.length > this.options.maxBatchSize) {
      throw new BatchTooLargeError(drafts.length, this.options.maxBatchSize);
    }
    const rejected: ItemRejection[] = [];
    const ready: { index: number; event: Ready }[] = [];
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
      const event: Ready = {
        ...normalized,
        points: weightOf(this.options.rules, normalized.type),
        fingerprint: fingerprintOf(normalized),
        ranked: this.options.isRanked(normalized.userId),
      };
      ready.push({ index, event });
    });
    if (ready.length === 0) return { accepted: 0, duplicates: 0, rejected };

    const outcomes = await this.committer.submit(ready.map((item) => item.event));
    const inserted: Ready[] = [];
    let duplicates = 0;
    outcomes.forEach((outcome, i) => {
      const item = ready[i]!;
      if (outcome === "inserted") inserted.push(item.event);
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
    if (inserted.length > 0) await this.feed.announce(inserted);
    return { accepted: inserted.length, duplicates, rejected };
  }
}
