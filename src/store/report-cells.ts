import { periodsContaining } from "../domain/time.js";
import type { ReportCell, ReportScope, StoredEvent } from "./port.js";

/**
 * The key of one report cell as both stores keep it. A missing category or group is "", not null:
 * both are key columns, which cannot hold null (event fields are never empty strings).
 */
export interface ReportCellKey {
  readonly day: string;
  readonly scope: ReportScope;
  readonly userId: string;
  readonly type: string;
  readonly category: string;
  readonly group: string;
}

/** A stored cell of one scope, as read back: its key but the scope, and its counts. */
export interface StoredReportCell extends Omit<ReportCellKey, "scope"> {
  readonly events: number;
  readonly points: number;
}

/** The report cells an event counts in: once in scope "all", once per group in scope "group". */
export function reportCellKeys(
  event: Pick<StoredEvent, "occurredAt" | "userId" | "type" | "category" | "groups">,
): ReportCellKey[] {
  const day = periodsContaining(event.occurredAt)[0]!.bucket;
  const base = { day, userId: event.userId, type: event.type, category: event.category ?? "" };
  const groups = event.groups.length === 0 ? [""] : event.groups;
  return [
    { ...base, scope: "all", group: "" },
    ...groups.map((group) => ({ ...base, scope: "group" as const, group })),
  ];
}

/** A cell's identity, for maps keyed by cell. */
export function reportCellId(key: ReportCellKey): string {
  return `${key.day}\u0000${key.scope}\u0000${key.userId}\u0000${key.type}\u0000${key.category}\u0000${key.group}`;
}

/** A stored cell as reports read it: "" is no category or group. */
export function reportCellOf(stored: StoredReportCell): ReportCell {
  return {
    day: stored.day,
    type: stored.type,
    category: stored.category === "" ? null : stored.category,
    group: stored.group === "" ? null : stored.group,
    userId: stored.userId,
    events: stored.events,
    points: stored.points,
  };
}
