import { createHash } from "node:crypto";

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
  | "PAYLOAD_TOO_LARGE"
  | "CONFLICT";

export interface Rejection {
  readonly code: RejectionCode;
  readonly reason: string;
}

export interface EventLimits {
  readonly maxPayloadBytes: number;
}

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
const EARLIEST = Date.UTC(1970, 0, 1);
const LATEST = Date.UTC(10000, 0, 1);

/** Checks a draft and turns it into a normalized event, or says why it cannot be stored. */
export function normalizeEvent(draft: EventDraft, limits: EventLimits): ActivityEvent | Rejection {
  const id = checkKey(draft.id, "id", "INVALID_ID");
  if (isRejection(id)) return id;
  const userId = checkKey(draft.userId, "userId", "INVALID_USER_ID");
  if (isRejection(userId)) return userId;
  if (typeof draft.type !== "string" || !TYPE_PATTERN.test(draft.type)) {
    return reject("INVALID_TYPE", "type must start with a letter and use letters, digits, _ . : - (max 100)");
  }
  const time = draft.occurredAt instanceof Date ? draft.occurredAt.getTime() : Number.NaN;
  if (!Number.isFinite(time) || time < EARLIEST || time >= LATEST) {
    return reject("INVALID_OCCURRED_AT", "occurredAt must be a valid UTC time between 1970 and 9999");
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
