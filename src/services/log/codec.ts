/**
 * The wire format of an event in the log: JSON, version 1. The key of a record is the user id,
 * so all of a user's events share a partition. Decoding checks every field, because a log is
 * shared infrastructure: a record written by another tool must be refused, never half-applied.
 */
import type { StoredEvent } from "../../store/port.js";

export const LOG_FORMAT_VERSION = 1;

interface WireEvent {
  readonly v: number;
  readonly id: string;
  readonly userId: string;
  readonly type: string;
  readonly occurredAt: string;
  readonly repo: string | null;
  readonly category: string | null;
  readonly groups: readonly string[];
  readonly payload: string | null;
  readonly points: number;
  readonly ranked: boolean;
  readonly fingerprint: string;
}

export function encodeEvent(event: StoredEvent): Buffer {
  const wire: WireEvent = {
    v: LOG_FORMAT_VERSION,
    id: event.id,
    userId: event.userId,
    type: event.type,
    occurredAt: event.occurredAt.toISOString(),
    repo: event.repo,
    category: event.category,
    groups: event.groups,
    payload: event.payload,
    points: event.points,
    ranked: event.ranked,
    fingerprint: event.fingerprint,
  };
  return Buffer.from(JSON.stringify(wire), "utf8");
}

/** Thrown for a record that is not an eventscore event of a known version. */
export class UndecodableRecordError extends Error {}

export function decodeEvent(value: Buffer | string): StoredEvent {
  let wire: unknown;
  try {
    wire = JSON.parse(typeof value === "string" ? value : value.toString("utf8"));
  } catch {
    throw new UndecodableRecordError("not JSON");
  }
  if (typeof wire !== "object" || wire === null) throw new UndecodableRecordError("not an object");
  const w = wire as Record<string, unknown>;
  if (w["v"] !== LOG_FORMAT_VERSION) throw new UndecodableRecordError(`unknown version ${String(w["v"])}`);
  const text = (name: string): string => {
    const v = w[name];
    if (typeof v !== "string" || v.length === 0) throw new UndecodableRecordError(`${name} must be a string`);
    return v;
  };
  const optional = (name: string): string | null => (w[name] === null ? null : text(name));
  const occurredAt = new Date(text("occurredAt"));
  if (Number.isNaN(occurredAt.getTime())) throw new UndecodableRecordError("occurredAt is not a time");
  const groups = w["groups"];
  if (!Array.isArray(groups) || !groups.every((g) => typeof g === "string"))
    throw new UndecodableRecordError("groups must be strings");
  const points = w["points"];
  if (typeof points !== "number" || !Number.isSafeInteger(points) || points < 0)
    throw new UndecodableRecordError("points must be a non-negative integer");
  if (typeof w["ranked"] !== "boolean") throw new UndecodableRecordError("ranked must be a boolean");
  return {
    id: text("id"),
    userId: text("userId"),
    type: text("type"),
    occurredAt,
    repo: optional("repo"),
    category: optional("category"),
    groups: groups as string[],
    payload: optional("payload"),
    points,
    ranked: w["ranked"],
    fingerprint: text("fingerprint"),
  };
}
