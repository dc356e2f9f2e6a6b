import type { EventPosition, RankPosition } from "../domain/cursor.js";
import { periodOf, type Period, type Window } from "../domain/time.js";
import type { BoardScope } from "../store/aggregates.js";
import type { BoardStandings, EventReader, Standing, StoredEvent, UserTally } from "../store/port.js";

export interface HistoryRequest {
  readonly userId: string;
  readonly from: Date;
  readonly to: Date;
  readonly types: readonly string[] | null;
  readonly first: number;
  readonly after: EventPosition | null;
}

export interface Page<T> {
  readonly items: T[];
  readonly hasNextPage: boolean;
}

/** Read side: history, tallies and leaderboards, with paging done once for every store. */
export class QueryService {
  constructor(private readonly store: EventReader) {}

  /** Reads one row beyond the page to learn whether another page exists. */
  async history(request: HistoryRequest): Promise<Page<StoredEvent>> {
    const rows = await this.store.history({
      userId: request.userId,
      from: request.from,
      to: request.to,
      types: request.types,
      limit: request.first + 1,
      after: request.after,
    });
    return { items: rows.slice(0, request.first), hasNextPage: rows.length > request.first };
  }

  /** The same history page for each of many users, in one store call. */
  async histories(
    userIds: readonly string[],
    request: Omit<HistoryRequest, "userId">,
  ): Promise<Page<StoredEvent>[]> {
    const pages = await this.store.histories(userIds, {
      from: request.from,
      to: request.to,
      types: request.types,
      limit: request.first + 1,
      after: request.after,
    });
    return pages.map((rows) => ({
      items: rows.slice(0, request.first),
      hasNextPage: rows.length > request.first,
    }));
  }

  tallies(userIds: readonly string[], period: Period): Promise<UserTally[]> {
    return this.store.tallies(userIds, period);
  }

  async leaderboard(
    period: Period,
    type: string | null,
    first: number,
    after: RankPosition | null,
    scope: BoardScope | null = null,
  ): Promise<Page<Standing>> {
    const rows = await this.store.leaderboard({ period, type, scope, limit: first + 1, after });
    return { items: rows.slice(0, first), hasNextPage: rows.length > first };
  }

  /**
   * The page of `first` rows centred on a user: up to half of them above the user (fewer near
   * the top, the rest then below), the user, and the rows below. Empty when the user is not on
   * the board.
   */
  async around(
    userId: string,
    period: Period,
    type: string | null,
    first: number,
    scope: BoardScope | null = null,
  ): Promise<Page<Standing> & { readonly hasPreviousPage: boolean }> {
    const [self] = (await this.store.standings([userId], period, type, scope)).standings;
    if (self === null || self === undefined) return { items: [], hasNextPage: false, hasPreviousPage: false };
    const position = { value: self.value, userId };
    const wanted = Math.floor((first - 1) / 2);
    // One more than wanted on each side tells whether a page lies beyond.
    const above = await this.store.leaderboardBefore({
      period,
      type,
      scope,
      limit: wanted + 1,
      before: position,
    });
    const kept = above.slice(Math.max(0, above.length - wanted));
    const below = await this.store.leaderboard({
      period,
      type,
      scope,
      limit: first - kept.length,
      after: position,
    });
    const items = [...kept, self, ...below].slice(0, first);
    return {
      items,
      hasNextPage: kept.length + 1 + below.length > first,
      hasPreviousPage: above.length > wanted,
    };
  }

  standings(
    userIds: readonly string[],
    period: Period,
    type: string | null,
    scope: BoardScope | null = null,
  ): Promise<BoardStandings> {
    return this.store.standings(userIds, period, type, scope);
  }
}

/** The period a window means at `at`, or now when no reference time is given. */
export function resolvePeriod(window: Window, at: Date | null | undefined): Period {
  return periodOf(window, at ?? new Date());
}
