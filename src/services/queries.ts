import type { EventPosition, RankPosition } from "../domain/cursor.js";
import { periodOf, type Period, type Window } from "../domain/time.js";
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
  ): Promise<Page<Standing>> {
    const rows = await this.store.leaderboard({ period, type, limit: first + 1, after });
    return { items: rows.slice(0, first), hasNextPage: rows.length > first };
  }

  standings(userIds: readonly string[], period: Period, type: string | null): Promise<BoardStandings> {
    return this.store.standings(userIds, period, type);
  }
}

/** The period a window means at `at`, or now when no reference time is given. */
export function resolvePeriod(window: Window, at: Date | null | undefined): Period {
  return periodOf(window, at ?? new Date());
}
