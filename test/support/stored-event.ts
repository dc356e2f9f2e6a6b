import { fingerprintOf, type ActivityEvent } from "../../src/domain/event.js";
import type { StoredEvent } from "../../src/store/port.js";

/** A scored event as ingest hands it to a store: unset fields are empty, points are given. */
export function storedEvent(
  fields: Pick<ActivityEvent, "id" | "userId" | "type"> & {
    readonly at: string;
    readonly points: number;
    readonly category?: string | null;
    readonly groups?: string[];
  },
): StoredEvent {
  const base: ActivityEvent = {
    id: fields.id,
    userId: fields.userId,
    type: fields.type,
    occurredAt: new Date(fields.at),
    repo: null,
    category: fields.category ?? null,
    groups: fields.groups ?? [],
    payload: null,
  };
  return { ...base, points: fields.points, fingerprint: fingerprintOf(base), ranked: true };
}
