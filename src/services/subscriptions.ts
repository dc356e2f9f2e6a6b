import type { Window } from "../domain/time.js";
import type { TallyChange } from "../store/port.js";
import type { ChangeFeed } from "./live/change-feed.js";
import type { CommitChanges, LiveEvent } from "./live/commit-changes.js";
import { LeaderboardRefresh, type BoardPush } from "./live/leaderboard-refresh.js";
import {
  boardsTouched,
  currentBuckets,
  EventWatchIndex,
  LeaderboardWatchIndex,
  ScoreWatchIndex,
  type EventFilter,
  type LeaderboardWatchKey,
  type ScoreWatchKey,
} from "./live/watch-index.js";
import { Watchers, WatchStream, type Coalescing } from "./live/watch-stream.js";
import type { Unlisten } from "./pubsub.js";
import { resolvePeriod, type QueryService } from "./queries.js";

export type { EventFilter } from "./live/watch-index.js";
export type LeaderboardWatch = LeaderboardWatchKey;

export interface SubscriptionOptions {
  /** Least time between two reads (and pushes) of one leaderboard watch. */
  readonly leaderboardIntervalMs: number;
  /** Most recorded events one stream may hold for a consumer that has not taken them. */
  readonly maxQueuedEvents?: number;
  readonly onError: (error: unknown) => void;
  /** The clock "now" windows are resolved with (tests move it). */
  readonly now?: () => Date;
}

class ScoreWatch extends Watchers<TallyChange> {
  /**
   * What was last pushed. Within one bucket counts only grow, so a change counting no more events
   * is older; a watch of "now" moves to the next bucket when the period turns, and starts over.
   */
  lastBucket: string | null = null;
  lastCount = -1;

  /** Pushes the change unless it is older than (or the same as) what was pushed last. */
  offer(change: TallyChange): void {
    if (change.period.bucket === this.lastBucket && change.tally.count <= this.lastCount) return;
    this.lastBucket = change.period.bucket;
    this.lastCount = change.tally.count;
    this.push(change);
  }
}

/**
 * The live fan-out of one process. Each commit (from any instance, through the change feed) is
 * decoded once and dispatched through indexes of what subscribers watch, so its cost follows the
 * commit and the distinct watches it concerns, not the number of subscribers:
 * - eventRecorded: each inserted event goes to the filters it passes;
 * - scoreChanged: the commit carries the new totals of every (user, period) it changed; each goes
 *   to the watches of that user and period, newer than the last one pushed (never backwards);
 * - leaderboardChanged: a watch whose board the commit touched is read once per interval and its
 *   top N pushed, when it changed, to every subscriber of that watch.
 * Subscribers sharing a watch share its values; each has its own stream (watch-stream.ts).
 */
export class SubscriptionService {
  private readonly events_ = new EventWatchIndex<Watchers<LiveEvent>>();
  private readonly scores_ = new ScoreWatchIndex<ScoreWatch>();
  private readonly boards = new LeaderboardWatchIndex<LeaderboardRefresh>();
  private readonly maxQueuedEvents: number;
  private readonly now: () => Date;
  private unlisten: Unlisten | null = null;

  constructor(
    private readonly feed: ChangeFeed,
    private readonly queries: QueryService,
    private readonly options: SubscriptionOptions,
  ) {
    this.maxQueuedEvents = options.maxQueuedEvents ?? 10_000;
    this.now = options.now ?? (() => new Date());
  }

  /** Starts hearing commits; until then (and after `stop`) nothing is pushed. */
  async start(): Promise<void> {
    if (this.unlisten === null) this.unlisten = await this.feed.listen((commit) => this.dispatch(commit));
  }

  stop(): void {
    this.unlisten?.();
    this.unlisten = null;
  }

  /** Distinct watches held now, by kind (for metrics). */
  get watches(): { events: number; scores: number; leaderboards: number } {
    return { events: this.events_.size, scores: this.scores_.size, leaderboards: this.boards.size };
  }

  /** Each recorded event the filter passes, in commit order, none skipped. */
  events(filter: EventFilter): AsyncIterableIterator<LiveEvent> {
    let watch = this.events_.get(filter);
    if (!watch) this.events_.add(filter, (watch = new Watchers()));
    return this.join(watch, "every", () => this.events_.delete(filter));
  }

  /**
   * The user's tally after each commit that changes it, with the period it counts (latest wins for
   * a slow consumer).
   */
  scores(userId: string, window: Window, at: Date | null): AsyncIterableIterator<TallyChange> {
    const key: ScoreWatchKey = { userId, window, at };
    let watch = this.scores_.get(key);
    if (!watch) this.scores_.add(key, (watch = new ScoreWatch()));
    return this.join(watch, "latest", () => this.scores_.delete(key));
  }

  /** The top N after commits that change it, at most one push per interval (latest wins). */
  leaderboard(key: LeaderboardWatch): AsyncIterableIterator<BoardPush> {
    let watch = this.boards.get(key);
    if (!watch) {
      watch = new LeaderboardRefresh(
        async () => {
          const period = resolvePeriod(key.window, key.at ?? this.now());
          return {
            period,
            page: await this.queries.leaderboard(period, key.type, key.first, null, key.scope),
          };
        },
        this.options.leaderboardIntervalMs,
        this.options.onError,
      );
      this.boards.add(key, watch);
    }
    const refresh = watch;
    return this.join(refresh.watchers, "latest", () => {
      this.boards.delete(key);
      refresh.stop();
    });
  }

  /** One commit: to every watch it concerns. Public for tests that drive the fan-out directly. */
  dispatch(commit: CommitChanges): void {
    const now = currentBuckets(this.now());
    for (const event of commit.events) for (const watch of this.events_.matching(event)) watch.push(event);
    for (const change of commit.tallies) {
      for (const watch of this.scores_.matching(change, now)) watch.offer(change);
    }
    if (this.boards.size > 0) {
      for (const refresh of this.boards.touched(boardsTouched(commit.events), now)) refresh.touch();
    }
  }

  private join<T>(watch: Watchers<T>, coalescing: Coalescing, release: () => void): WatchStream<T> {
    const stream: WatchStream<T> = new WatchStream<T>(coalescing, this.maxQueuedEvents, () => {
      watch.streams.delete(stream);
      if (watch.streams.size === 0) release();
    });
    watch.streams.add(stream);
    return stream;
  }
}
