/**
 * Real GH Archive events as the store receives them, and brute-force boards computed from them
 * with nothing but loops: ranks, board sizes, scoped boards and report rows that the stores must
 * equal exactly.
 */
import { fingerprintOf, isRejection, normalizeEvent } from "../../src/domain/event.js";
import { githubDefaultRules, weightOf } from "../../src/domain/scoring.js";
import { periodsContaining, type Period } from "../../src/domain/time.js";
import { fromGitHubEvent } from "../../src/sources/github/mapping.js";
import type { StoredEvent, Standing } from "../../src/store/port.js";
import { HOUR_0, readRawEvents } from "./github-truth.js";

/** The first `limit` events of the first 2015 hour, normalized and scored with the GitHub weights. */
export function githubReadyEvents(limit: number): StoredEvent[] {
  const rules = githubDefaultRules();
  const seen = new Set<string>();
  const ready: StoredEvent[] = [];
  for (const raw of readRawEvents(HOUR_0)) {
    if (ready.length >= limit) break;
    const event = normalizeEvent(fromGitHubEvent(raw), {
      maxPayloadBytes: 65_536,
      latestOccurredAtMs: Date.now(),
    });
    if (isRejection(event) || seen.has(event.id)) continue;
    seen.add(event.id);
    ready.push({
      ...event,
      points: weightOf(rules, event.type),
      fingerprint: fingerprintOf(event),
      ranked: !event.userId.endsWith("[bot]"),
    });
  }
  return ready;
}

export interface BoardScope {
  /** Only events of this category (GitHub: the repo owner); null for all. */
  readonly category?: string | null;
  /** Only events in this group (GitHub: the org); null for all. */
  readonly group?: string | null;
}

/** The board of one period and metric (type null: points), in board order, with competition ranks. */
export function bruteBoard(
  events: readonly StoredEvent[],
  period: Period,
  type: string | null,
  scope: BoardScope = {},
): Standing[] {
  const values = new Map<string, number>();
  for (const event of events) {
    if (!event.ranked) continue;
    if ((scope.category ?? null) !== null && event.category !== scope.category) continue;
    if ((scope.group ?? null) !== null && !event.groups.includes(scope.group!)) continue;
    if (type !== null && event.type !== type) continue;
    const inPeriod = periodsContaining(event.occurredAt).some(
      (p) => p.window === period.window && p.bucket === period.bucket,
    );
    if (!inPeriod) continue;
    values.set(event.userId, (values.get(event.userId) ?? 0) + (type === null ? event.points : 1));
  }
  const ordered = [...values].sort(
    ([a, x], [b, y]) => y - x || Buffer.compare(Buffer.from(a), Buffer.from(b)),
  );
  return ordered.map(([userId, value]) => ({
    userId,
    value,
    rank: 1 + ordered.filter(([, other]) => other > value).length,
  }));
}
