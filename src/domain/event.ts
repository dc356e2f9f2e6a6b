import { createHash } from "node:crypto";
import { firstIllFormed, isWellFormed } from "./unicode.js";

/** An activity event as eventscore stores it. `payload` is JSON text, kept verbatim. */
export interface ActivityEvent {
  readonly id: string;
  readonly userId: string;
  readonly type: string;
  readonly occurredAt: Date;
  readonly repo: string | null;
  readonly category: string | null;
  readonly groups: readonly string[];
  readonly payload: string | null;
}

/** An event with the points it earned under the scoring rules in force when it was recorded. */
export interface ScoredEvent extends ActivityEvent {
  readonly points: number;
  /** Content hash: tells a harmless retry (same hash) from a conflicting reuse of an id. */
  readonly fingerprint: string;
}

/** Why one event was refused. Codes are stable API: clients branch on them. */
export type RejectionCode =
  | "INVALID_ID"
  | "INVALID_USER_ID"
  | "INVALID_TYPE"
  | "INVALID_OCCURRED_AT"
  | "INVALID_FIELD"
  | "INVALID_STRING"
  | "PAYLOAD_TOO_LARGE"
  | "CONFLICT";

export interface Rejection {
  readonly code: RejectionCode;
  readonly reason: string;
}

export interface EventLimits {
  readonly maxPayloadBytes: number;
  /** Latest accepted occurredAt (ms since the epoch): now plus the allowed clock skew. */
  readonly latestOccurredAtMs: number;
}

/** The earliest accepted occurredAt: events before the Unix epoch are refused. */
export const EARLIEST_OCCURRED_AT_MS = Date.UTC(1970, 0, 1);

export interface EventDraft {
  id: string;
  userId: string;
  type: string;
  occurredAt: Date;
  repo?: string | null | undefined;
  category?: string | null | undefined;
  groups?: readonly string[] | null | undefined;
  payload?: unknown;
}

const MAX_KEY_LENGTH = 256;
const MAX_GROUPS = 32;
const TYPE_PATTERN = /^[A-Za-z][A-Za-z0-9_.:-]{0,99}$/;
// Control characters (including NUL) corrupt logs, CSV exports and CQL text; refuse them in keys.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;
const STRING_FIELDS = ["id", "userId", "type", "repo", "category"] as const;

/**
 * Checks a draft and turns it into a normalized event, or says why it cannot be stored. Every
 * string, payload included, must be well-formed Unicode first (INVALID_STRING): a lone UTF-16
 * surrogate has no UTF-8 form, and each store would keep something else (SQLite bytes that
 * read back as U+FFFD, Cassandra U+FFFD itself), so two different ids could become one.
 */
export function normalizeEvent(draft: EventDraft, limits: EventLimits): ActivityEvent | Rejection {
  const illFormed = illFormedField(draft);
  if (illFormed !== null) {
    return reject(
      "INVALID_STRING",
      `${illFormed} is not well-formed Unicode (it holds a lone UTF-16 surrogate)`,
    );
  }
  const id = checkKey(draft.id, "id", "INVALID_ID");
  if (isRejection(id)) return id;
  const userId = checkKey(draft.userId, "userId", "INVALID_USER_ID");
  if (isRejection(userId)) return userId;
  if (typeof draft.type !== "string" || !TYPE_PATTERN.test(draft.type)) {
    return reject("INVALID_TYPE", "type must start with a letter and use letters, digits, _ . : - (max 100)");
  }
  const time = draft.occurredAt instanceof Date ? draft.occurredAt.getTime() : Number.NaN;
  if (!Number.isFinite(time) || time < EARLIEST_OCCURRED_AT_MS || time > limits.latestOccurredAtMs) {
    const latest = new Date(Math.min(limits.latestOccurredAtMs, MAX_DATE_MS)).toISOString();
    return reject(
      "INVALID_OCCURRED_AT",
      `occurredAt must be a valid UTC time from 1970-01-01T00:00:00.000Z to ${latest} (now plus EVENTSCORE_MAX_FUTURE_SKEW)`,
    );
  }
  const repo = checkOptional(draft.repo, "repo");
  if (isRejection(repo)) return repo;
  const category = checkOptional(draft.category, "category");
  if (isRejection(category)) return category;
  const groups = checkGroups(draft.groups);
  if (isRejection(groups)) return groups;
  const payload = checkPayload(draft.payload, limits);
  if (isRejection(payload)) return payload;
  return { id, userId, type: draft.type, occurredAt: new Date(time), repo, category, groups, payload };
}

/** The name of the first string field (or "payload") that is not well-formed Unicode, or null. */
function illFormedField(draft: EventDraft): string | null {
  for (const field of STRING_FIELDS) {
    const value = draft[field];
    if (typeof value === "string" && !isWellFormed(value)) return field;
  }
  if (
    Array.isArray(draft.groups) &&
    draft.groups.some((group) => typeof group === "string" && !isWellFormed(group))
  ) {
    return "groups[]";
  }
  return firstIllFormed(draft.payload) === undefined ? null : "a string in payload";
}

// The largest time a Date holds (year 275760): a bound for printing a limit, not a limit.
const MAX_DATE_MS = 8.64e15;

export function isRejection(value: unknown): value is Rejection {
  return typeof value === "object" && value !== null && "code" in value && "reason" in value;
}

/** A stable hash of everything but the id: equal content, equal fingerprint. */
export function fingerprintOf(event: ActivityEvent): string {
  const canonical = JSON.stringify([
    event.userId,
    event.type,
    event.occurredAt.getTime(),
    event.repo,
    event.category,
    event.groups,
    event.payload,
  ]);
  return createHash("sha256").update(canonical).digest("base64url").slice(0, 22);
}

function reject(code: RejectionCode, reason: string): Rejection {
  return { code, reason };
}

function checkKey(value: unknown, field: string, code: RejectionCode): string | Rejection {
  if (typeof value !== "string" || value.length === 0 || value.length > MAX_KEY_LENGTH) {
    return reject(code, `${field} must be a non-empty string of at most ${MAX_KEY_LENGTH} characters`);
  }
  if (CONTROL_CHARACTERS.test(value) || value.trim() !== value) {
    return reject(code, `${field} must not contain control characters or surrounding spaces`);
  }
  return value;
}

function checkOptional(value: unknown, field: string): string | null | Rejection {
  if (value === undefined || value === null || value === "") return null;
  return checkKey(value, field, "INVALID_FIELD");
}

function checkGroups(value: readonly string[] | null | undefined): string[] | Rejection {
  if (value === undefined || value === null) return [];
  if (value.length > MAX_GROUPS) return reject("INVALID_FIELD", `at most ${MAX_GROUPS} groups per event`);
  const groups = new Set<string>();
  for (const group of value) {
    const checked = checkKey(group, "groups[]", "INVALID_FIELD");
    if (isRejection(checked)) return checked;
    groups.add(checked);
  }
  return [...groups].sort();
}

function checkPayload(value: unknown, limits: EventLimits): string | null | Rejection {
  if (value === undefined || value === null) return null;
  let text: string;
  try {
    text = JSON.stringify(value);
  } catch {
    return reject("INVALID_FIELD", "payload must be JSON-serializable");
  }
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > limits.maxPayloadBytes) {
    return reject("PAYLOAD_TOO_LARGE", `payload is ${bytes} bytes; the limit is ${limits.maxPayloadBytes}`);
  }
  return text;
}
