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
  const position = decodePosition(cursor, "e");
  return position && { occurredAtMs: position[0], eventId: position[1] };
}

export function encodeRankCursor(position: RankPosition): string {
  return encode(["r", position.value, position.userId]);
}

export function decodeRankCursor(cursor: string): RankPosition | null {
  const position = decodePosition(cursor, "r");
  return position && { value: position[0], userId: position[1] };
}

/**
 * Both kinds of cursor hold [tag, finite number, string]; the tag keeps one kind from being
 * accepted as the other. Null for anything else, so a forged cursor is refused, not trusted.
 */
function decodePosition(cursor: string, tag: "e" | "r"): [number, string] | null {
  const parts = decode(cursor);
  if (parts?.length !== 3 || parts[0] !== tag) return null;
  const [, number, text] = parts;
  if (typeof number !== "number" || !Number.isFinite(number) || typeof text !== "string") return null;
  return [number, text];
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
