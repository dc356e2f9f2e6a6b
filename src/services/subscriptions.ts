import { periodsContaining, type Window } from "../domain/time.js";
import type { Standing, UserTally } from "../store/port.js";
import { abortable, coalesce } from "./abortable.js";
import type { ChangeFeed, LiveEvent } from "./live.js";
import { resolvePeriod, type QueryService } from "./queries.js";

export interface EventFilter {
  readonly userId: string | null;
  readonly types: readonly string[] | null;
}

export interface LeaderboardWatch {
  readonly window: Window;
  readonly type: string | null;
  readonly first: number;
  readonly at: Date | null;
}

/**
 * Live views built on the change feed. Every instance receives every commit (through the
 * pub/sub), and recomputes what its own subscribers watch from the shared store, so an
 * update made through any instance reaches subscribers on all of them.
 */
export class SubscriptionService {
  constructor(
    private readonly feed: ChangeFeed,
    private readonly queries: QueryService,
    private readonly leaderboardIntervalMs: number,
  ) {}

  events(filter: EventFilter): AsyncIterableIterator<LiveEvent> {
    const { feed } = this;
    const types = filter.types ? new Set(filter.types) : null;
    return abortable(async function* (signal) {
      for await (const commit of feed.commits(signal)) {
        for (const event of commit) {
          if (filter.userId !== null && event.userId !== filter.userId) continue;
          if (types !== null && !types.has(event.type)) continue;
          yield event;
        }
      }
    });
  }

  /** The user's tally after each commit that changes it. */
  scores(userId: string, window: Window, at: Date | null): AsyncIterableIterator<UserTally> {
    const { feed, queries } = this;
    return abortable(async function* (signal) {
      let last: string | null = null;
      for await (const commit of feed.commits(signal)) {
        if (!commit.some((event) => event.userId === userId)) continue;
        const [tally] = await queries.tallies([userId], resolvePeriod(window, at));
        const fingerprint = JSON.stringify(tally);
        if (tally === undefined || fingerprint === last) continue;
        last = fingerprint;
        yield tally;
      }
    });
  }

  /** The top N after commits that change it, at most one push per interval. */
  leaderboard(watch: LeaderboardWatch): AsyncIterableIterator<Standing[]> {
    const { feed, queries, leaderboardIntervalMs } = this;
    return abortable(async function* (signal) {
      const relevant = async function* (): AsyncGenerator<void> {
        for await (const commit of feed.commits(signal)) {
          const period = resolvePeriod(watch.window, watch.at);
          if (commit.some((event) => touches(event, period.bucket, watch))) yield;
        }
      };
      let last: string | null = null;
      for await (const _ of coalesce(relevant(), leaderboardIntervalMs, signal)) {
        const period = resolvePeriod(watch.window, watch.at);
        const page = await queries.leaderboard(period, watch.type, watch.first, null);
        const fingerprint = JSON.stringify(page.items);
        if (fingerprint === last) continue;
        last = fingerprint;
        yield page.items;
      }
    });
  }
}

function touches(event: LiveEvent, bucket: string, watch: LeaderboardWatch): boolean {
  if (!event.ranked) return false;
  if (watch.type !== null && event.type !== watch.type) return false;
  return periodsContaining(new Date(event.occurredAt)).some(
    (p) => p.window === watch.window && p.bucket === bucket,
  );
}
