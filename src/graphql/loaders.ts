import DataLoader from "dataloader";
import type { Period } from "../domain/time.js";
import type { HistoryRequest, Page, QueryService } from "../services/queries.js";
import { metricOf, type BoardScope } from "../store/aggregates.js";
import type { Standing, StoredEvent, UserTally } from "../store/port.js";

export interface TallyKey {
  readonly userId: string;
  readonly period: Period;
}

/** A board: a period, ranked by points (type null) or by the count of one type. */
export interface BoardKey {
  readonly period: Period;
  readonly type: string | null;
  /** A group's or category's board; null for all events. */
  readonly scope: BoardScope | null;
}

export interface StandingKey extends BoardKey {
  readonly userId: string;
}

/**
 * Per-request batching: every key asked for in one tick becomes one store call per window (and
 * board, and history shape), however many rows of a leaderboard ask. A batch that fails fails
 * only its own keys: each key gets its own error, so one board's outage does not blank the rest.
 */
export interface Loaders {
  /** A user's tally in a period. */
  readonly tally: DataLoader<TallyKey, UserTally, string>;
  /** A user's place on a board (null: not on it). */
  readonly standing: DataLoader<StandingKey, Standing | null, string>;
  /** The number of users on a board. */
  readonly boardSize: DataLoader<BoardKey, number, string>;
  /** A user's history page. */
  readonly history: DataLoader<HistoryRequest, Page<StoredEvent>, string>;
}

const MAX_BATCH = 1000;

/** Each loader is built on first use: most requests use none or one of them. */
export function createLoaders(queries: QueryService): Loaders {
  let tally: Loaders["tally"] | null = null;
  let standing: Loaders["standing"] | null = null;
  let boardSize: Loaders["boardSize"] | null = null;
  let history: Loaders["history"] | null = null;
  const loaders: Loaders = {
    get tally() {
      return (tally ??= new DataLoader((keys) => loadTallies(queries, keys), {
        cacheKeyFn: (key) => `${periodId(key.period)}\u0000${key.userId}`,
        maxBatchSize: MAX_BATCH,
      }));
    },
    get standing() {
      return (standing ??= new DataLoader((keys) => loadStandings(queries, keys, loaders), {
        cacheKeyFn: (key) => `${boardId(key)}\u0000${key.userId}`,
        maxBatchSize: MAX_BATCH,
      }));
    },
    get boardSize() {
      return (boardSize ??= new DataLoader(
        (keys) =>
          Promise.all(
            keys.map((key) =>
              queries.standings([], key.period, key.type, key.scope).then(
                (board) => board.total,
                (error: unknown) => asError(error),
              ),
            ),
          ),
        { cacheKeyFn: boardId },
      ));
    },
    get history() {
      return (history ??= new DataLoader((keys) => loadHistories(queries, keys), {
        cacheKeyFn: (key) => `${historyShape(key)}\u0000${key.userId}`,
        maxBatchSize: MAX_BATCH,
      }));
    },
  };
  return loaders;
}

async function loadTallies(queries: QueryService, keys: readonly TallyKey[]): Promise<(UserTally | Error)[]> {
  const groups = groupBy(keys, (key) => periodId(key.period));
  const results = new Map<string, UserTally | Error>();
  await Promise.all(
    [...groups].map(async ([id, group]) => {
      const userIds = [...new Set(group.map((key) => key.userId))];
      try {
        const tallies = await queries.tallies(userIds, group[0]!.period);
        for (const tally of tallies) results.set(`${id}\u0000${tally.userId}`, tally);
      } catch (error) {
        for (const userId of userIds) results.set(`${id}\u0000${userId}`, asError(error));
      }
    }),
  );
  return keys.map(
    (key) =>
      results.get(`${periodId(key.period)}\u0000${key.userId}`) ??
      new Error(`store returned no tally for ${key.userId}`),
  );
}

async function loadStandings(
  queries: QueryService,
  keys: readonly StandingKey[],
  loaders: Loaders,
): Promise<(Standing | null | Error)[]> {
  const groups = groupBy(keys, boardId);
  const results = new Map<string, Standing | null | Error>();
  await Promise.all(
    [...groups].map(async ([id, group]) => {
      const userIds = [...new Set(group.map((key) => key.userId))];
      const { period, type, scope } = group[0]!;
      try {
        const board = await queries.standings(userIds, period, type, scope);
        // The size came with the ranks: a percentile asked next to them costs no other call.
        loaders.boardSize.prime({ period, type, scope }, board.total);
        userIds.forEach((userId, i) => results.set(`${id}\u0000${userId}`, board.standings[i] ?? null));
      } catch (error) {
        for (const userId of userIds) results.set(`${id}\u0000${userId}`, asError(error));
      }
    }),
  );
  return keys.map((key) => results.get(`${boardId(key)}\u0000${key.userId}`) ?? null);
}

async function loadHistories(
  queries: QueryService,
  keys: readonly HistoryRequest[],
): Promise<(Page<StoredEvent> | Error)[]> {
  const groups = groupBy(keys, historyShape);
  const results = new Map<string, Page<StoredEvent> | Error>();
  await Promise.all(
    [...groups].map(async ([shape, group]) => {
      const userIds = [...new Set(group.map((key) => key.userId))];
      try {
        const pages = await queries.histories(userIds, group[0]!);
        userIds.forEach((userId, i) => results.set(`${shape}\u0000${userId}`, pages[i]!));
      } catch (error) {
        for (const userId of userIds) results.set(`${shape}\u0000${userId}`, asError(error));
      }
    }),
  );
  return keys.map(
    (key) =>
      results.get(`${historyShape(key)}\u0000${key.userId}`) ?? new Error("store returned no history page"),
  );
}

function periodId(period: Period): string {
  return `${period.window}\u0000${period.bucket}`;
}

function boardId(key: BoardKey): string {
  // A board's metric names it within a period (points, a type, or a scope).
  return `${periodId(key.period)}\u0000${metricOf(key.type, key.scope)}`;
}

/** Everything of a history request but the user: requests of one shape share a store call. */
function historyShape(request: HistoryRequest): string {
  return JSON.stringify([
    request.from.getTime(),
    request.to.getTime(),
    request.types,
    request.first,
    request.after?.occurredAtMs ?? null,
    request.after?.eventId ?? null,
  ]);
}

function groupBy<K>(keys: readonly K[], id: (key: K) => string): Map<string, K[]> {
  const groups = new Map<string, K[]>();
  for (const key of keys) {
    const group = groups.get(id(key));
    if (group) group.push(key);
    else groups.set(id(key), [key]);
  }
  return groups;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
