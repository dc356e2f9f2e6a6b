import { encodeEventCursor, encodeRankCursor } from "../domain/cursor.js";
import { periodRange, type Period } from "../domain/time.js";
import type { LiveEvent } from "../services/live/commit-changes.js";
import type { Page } from "../services/queries.js";
import type { BoardScope } from "../store/aggregates.js";
import type { Standing as StoreStanding, StoredEvent, UserTally } from "../store/port.js";
import { toConnection } from "./connection.js";
import { Event, type EventConnection } from "./types/event.js";
import { Standing } from "./types/leaderboard.js";
import { Score } from "./types/score.js";

/** Mapping from service results to GraphQL objects, in one place. */

export function toEvent(event: StoredEvent | LiveEvent): Event {
  return Object.assign(new Event(), {
    id: event.id,
    userId: event.userId,
    type: event.type,
    occurredAt: new Date(event.occurredAt),
    repo: event.repo,
    category: event.category,
    groups: [...event.groups],
    payload: event.payload === null ? null : (JSON.parse(event.payload) as unknown),
    points: event.points,
  });
}

export function toEventConnection(page: Page<StoredEvent>): EventConnection {
  return toConnection(
    page,
    (event) => encodeEventCursor({ occurredAtMs: event.occurredAt.getTime(), eventId: event.id }),
    toEvent,
  );
}

export function toScore(tally: UserTally, period: Period): Score {
  const range = periodRange(period);
  return Object.assign(new Score(), {
    userId: tally.userId,
    window: period.window,
    from: range?.from ?? null,
    to: range?.to ?? null,
    score: tally.points,
    events: tally.count,
    breakdown: tally.byType.map((t) => ({ ...t })),
  });
}

export function toStanding(
  standing: StoreStanding,
  period: Period,
  type: string | null,
  at: Date,
  scope: BoardScope | null = null,
): Standing {
  return Object.assign(new Standing(), {
    rank: standing.rank,
    userId: standing.userId,
    value: standing.value,
    window: period.window,
    type,
    at,
    scope,
  });
}

export function standingCursor(standing: StoreStanding): string {
  return encodeRankCursor({ value: standing.value, userId: standing.userId });
}
