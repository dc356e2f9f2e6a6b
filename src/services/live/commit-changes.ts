import { WINDOWS, type Window } from "../../domain/time.js";
import type { StoredEvent, TallyChange, TypeTally } from "../../store/port.js";
import type { JsonValue } from "../pubsub.js";

/** An event as it travels between instances: plain JSON (the time as RFC 3339 text). */
export type LiveEvent = Omit<StoredEvent, "occurredAt" | "fingerprint"> & { readonly occurredAt: string };

/**
 * What one commit changed, as the write path knows it: the events it inserted (in order) and the
 * new totals of every (user, period) those events changed. Live updates are computed from this
 * alone: score pushes are these totals, so no subscriber reads the store per commit.
 */
export interface CommitChanges {
  readonly events: readonly LiveEvent[];
  readonly tallies: readonly TallyChange[];
}

export type Committed = Omit<StoredEvent, "fingerprint"> & { readonly fingerprint?: string };

/** The wire form: one JSON value per commit, written once by the committing process. */
export function encodeCommit(events: readonly Committed[], tallies: readonly TallyChange[]): JsonValue {
  return {
    v: 1,
    events: events.map(({ fingerprint: _fingerprint, occurredAt, groups, ...fields }) => ({
      ...fields,
      occurredAt: occurredAt.toISOString(),
      groups: [...groups],
    })),
    tallies: tallies.map(({ period, tally }) => ({
      userId: tally.userId,
      window: period.window,
      bucket: period.bucket,
      count: tally.count,
      points: tally.points,
      byType: tally.byType.map((t) => [t.type, t.count, t.points]),
    })),
  };
}

const WINDOW_SET = new Set<string>(WINDOWS);

/**
 * Reads a message another process published, checking every field before trusting it; null for
 * anything that is not a commit of this version (a newer or broken publisher is skipped, not
 * crashed on).
 */
export function decodeCommit(message: JsonValue): CommitChanges | null {
  if (!isRecord(message) || message["v"] !== 1) return null;
  const { events, tallies } = message;
  if (!Array.isArray(events) || !Array.isArray(tallies)) return null;
  const liveEvents: LiveEvent[] = [];
  for (const event of events) {
    const decoded = decodeEvent(event);
    if (decoded === null) return null;
    liveEvents.push(decoded);
  }
  const changes: TallyChange[] = [];
  for (const tally of tallies) {
    const decoded = decodeTally(tally);
    if (decoded === null) return null;
    changes.push(decoded);
  }
  return { events: liveEvents, tallies: changes };
}

function decodeEvent(value: JsonValue): LiveEvent | null {
  if (!isRecord(value)) return null;
  const { id, userId, type, occurredAt, repo, category, groups, payload, points, ranked } = value;
  if (typeof id !== "string" || typeof userId !== "string" || typeof type !== "string") return null;
  if (typeof occurredAt !== "string" || typeof points !== "number" || typeof ranked !== "boolean")
    return null;
  if (!nullableString(repo) || !nullableString(category) || !nullableString(payload)) return null;
  if (!Array.isArray(groups) || !groups.every((g) => typeof g === "string")) return null;
  return {
    id,
    userId,
    type,
    occurredAt,
    repo,
    category,
    groups: groups as string[],
    payload,
    points,
    ranked,
  };
}

function decodeTally(value: JsonValue): TallyChange | null {
  if (!isRecord(value)) return null;
  const { userId, window, bucket, count, points, byType } = value;
  if (typeof userId !== "string" || typeof bucket !== "string") return null;
  if (typeof window !== "string" || !WINDOW_SET.has(window)) return null;
  if (typeof count !== "number" || typeof points !== "number" || !Array.isArray(byType)) return null;
  const types: TypeTally[] = [];
  for (const entry of byType) {
    if (!Array.isArray(entry) || entry.length !== 3) return null;
    const [type, typeCount, typePoints] = entry;
    if (typeof type !== "string" || typeof typeCount !== "number" || typeof typePoints !== "number")
      return null;
    types.push({ type, count: typeCount, points: typePoints });
  }
  return { period: { window: window as Window, bucket }, tally: { userId, count, points, byType: types } };
}

function isRecord(value: JsonValue): value is { [key: string]: JsonValue } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function nullableString(value: JsonValue | undefined): value is string | null {
  return value === null || typeof value === "string";
}
