import type { EventPosition, RankPosition } from "../domain/cursor.js";
import { periodOf, type Period, type Window } from "../domain/time.js";
import type { BoardScope } from "../store/aggregates.js";
import type { BoardStandings, EventReader, Standing, StoredEvent, UserTally } from "../store/port.js";
import { ReadCoalescer } from "../store/read-coalescer.js";

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

/**
 * The share of a board's users that a user is level with or ahead of, in percent:
 * 100 × (size − rank + 1) / size (competition ranks: rank − 1 users are strictly ahead). 100 for
 * the top and everyone tied with it. A standing exists only for a user on the board, so the board
 * holds at least `rank` users even when its size was read a moment earlier.
 */
export function percentileOf(rank: number, boardSize: number): number {
  const size = Math.max(boardSize, rank);
  return (100 * (size - rank + 1)) / size;
}

/** Read side: history, tallies and leaderboards, with paging done once for every store. */
export class QueryService {
  /**
   * Tallies of several users at once come from nested fields (a board page's users' counts), and
   * every viewer of one page asks for the same users: concurrent askers share one read.
   */
  private readonly sharedTallies = new ReadCoalescer<UserTally[]>();

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

  /** One tally per user, in order. The answer may be shared with other callers: do not change it. */
  tallies(userIds: readonly string[], period: Period): Promise<readonly UserTally[]> {
    if (userIds.length < 2) return this.store.tallies(userIds, period);
    const key = `${period.window}\u0000${period.bucket}\u0000${userIds.join("\u0000")}`;
    return this.sharedTallies.read(key, () => this.store.tallies(userIds, period));
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
   * The page of `first` rows centred on a user: about half of them above the user, the user, and
   * the rest below. Near either end of the board the page shifts so that it still holds `first`
   * rows when the board has them. Empty when the user is not on the board.
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
    // Up to `first` rows on each side: enough to fill the page from either side alone, and one
    // beyond what is kept tells whether a page lies there.
    const [above, below] = await Promise.all([
      this.store.leaderboardBefore({ period, type, scope, limit: first, before: position }),
      this.store.leaderboard({ period, type, scope, limit: first, after: position }),
    ]);
    const others = first - 1;
    const belowKept = Math.min(below.length, others - Math.min(above.length, Math.floor(others / 2)));
    const aboveKept = Math.min(above.length, others - belowKept);
    return {
      items: [...above.slice(above.length - aboveKept), self, ...below.slice(0, belowKept)],
      hasNextPage: below.length > belowKept,
      hasPreviousPage: above.length > aboveKept,
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
