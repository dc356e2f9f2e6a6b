/**
 * Opaque cursors. Clients must treat them as strings; inside they are base64url JSON so that
 * both stores can resume a scan exactly where a page ended, even across day partitions.
 */

/** Position in a user's history: newest first, ties broken by event id descending. */
export interface EventPosition {
  readonly occurredAtMs: number;
  readonly eventId: string;
}

/** Position in a leaderboard: value descending, ties broken by user id ascending. */
export interface RankPosition {
  readonly value: number;
  readonly userId: string;
}

export function encodeEventCursor(position: EventPosition): string {
  return encode(["e", position.occurredAtMs, position.eventId]);
}

export function decodeEventCursor(cursor: string): EventPosition | null {
  const parts = decode(cursor);
  if (parts?.length !== 3 || parts[0] !== "e") return null;
  const [, occurredAtMs, eventId] = parts;
  if (typeof occurredAtMs !== "number" || !Number.isFinite(occurredAtMs) || typeof eventId !== "string") {
    return null;
  }
  return { occurredAtMs, eventId };
}

export function encodeRankCursor(position: RankPosition): string {
  return encode(["r", position.value, position.userId]);
}

export function decodeRankCursor(cursor: string): RankPosition | null {
  const parts = decode(cursor);
  if (parts?.length !== 3 || parts[0] !== "r") return null;
  const [, value, userId] = parts;
  if (typeof value !== "number" || !Number.isFinite(value) || typeof userId !== "string") return null;
  return { value, userId };
}

function encode(parts: unknown[]): string {
  return Buffer.from(JSON.stringify(parts), "utf8").toString("base64url");
}

function decode(cursor: string): unknown[] | null {
  if (cursor.length > 1024) return null;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    return Array.isArray(parsed) ? parsed : null;
  } catch {
    return null;
  }
}
