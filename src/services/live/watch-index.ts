import { periodOf, periodsContaining, WINDOWS, type Window } from "../../domain/time.js";
import { metricOf, scopeMetricsOf, type BoardScope } from "../../store/aggregates.js";
import type { TallyChange } from "../../store/port.js";

/**
 * Indexes of what live subscribers watch, keyed so that a commit touches only the watches it
 * concerns: events by user and by type, scores by user, leaderboards by (window, bucket, metric).
 * Each distinct watch is held once however many subscribers share it. Pure: no I/O, no clock
 * (the buckets of "now" are passed in, resolved once per commit).
 */

export interface EventFilter {
  readonly userId: string | null;
  /** Only these types; null for any. */
  readonly types: readonly string[] | null;
}

export interface ScoreWatchKey {
  readonly userId: string;
  readonly window: Window;
  /** A fixed reference time, or null: the period around now, whichever it is at each commit. */
  readonly at: Date | null;
}

export interface LeaderboardWatchKey {
  readonly window: Window;
  /** Ranked by the count of this type; null ranks by points. */
  readonly type: string | null;
  /** Only one group's or category's events (type then null); null for the whole board. */
  readonly scope: BoardScope | null;
  readonly first: number;
  readonly at: Date | null;
}

/** The bucket each window has now: resolved once per commit for every watch without `at`. */
export type CurrentBuckets = Readonly<Record<Window, string>>;

export function currentBuckets(now: Date): CurrentBuckets {
  const buckets = {} as Record<Window, string>;
  for (const window of WINDOWS) buckets[window] = periodOf(window, now).bucket;
  return buckets;
}

const SEP = "\u0000";

interface EventEntry<W> {
  readonly types: ReadonlySet<string> | null;
  readonly watch: W;
}

/** eventRecorded filters: a filter by user sits under its user, one by types only under each type. */
export class EventWatchIndex<W> {
  private readonly byKey = new Map<string, EventEntry<W>>();
  private readonly unfiltered = new Set<W>();
  private readonly byUser = new Map<string, Map<string, EventEntry<W>>>();
  private readonly byType = new Map<string, Set<W>>();

  get size(): number {
    return this.byKey.size;
  }

  get(filter: EventFilter): W | undefined {
    return this.byKey.get(eventFilterKey(filter))?.watch;
  }

  add(filter: EventFilter, watch: W): void {
    const key = eventFilterKey(filter);
    if (this.byKey.has(key)) throw new Error("this event filter is already watched");
    const entry: EventEntry<W> = { types: filter.types === null ? null : new Set(filter.types), watch };
    this.byKey.set(key, entry);
    if (filter.userId !== null) {
      let forUser = this.byUser.get(filter.userId);
      if (!forUser) this.byUser.set(filter.userId, (forUser = new Map()));
      forUser.set(key, entry);
    } else if (entry.types !== null) {
      for (const type of entry.types) {
        let forType = this.byType.get(type);
        if (!forType) this.byType.set(type, (forType = new Set()));
        forType.add(watch);
      }
    } else {
      this.unfiltered.add(watch);
    }
  }

  delete(filter: EventFilter): void {
    const key = eventFilterKey(filter);
    const entry = this.byKey.get(key);
    if (!entry) return;
    this.byKey.delete(key);
    if (filter.userId !== null) {
      const forUser = this.byUser.get(filter.userId);
      forUser?.delete(key);
      if (forUser?.size === 0) this.byUser.delete(filter.userId);
    } else if (entry.types !== null) {
      for (const type of entry.types) {
        const forType = this.byType.get(type);
        forType?.delete(entry.watch);
        if (forType?.size === 0) this.byType.delete(type);
      }
    } else {
      this.unfiltered.delete(entry.watch);
    }
  }

  /** The watches an event passes, each once: the unfiltered, its user's, its type's. */
  matching(event: { readonly userId: string; readonly type: string }): W[] {
    const found = [...this.unfiltered];
    for (const entry of this.byUser.get(event.userId)?.values() ?? []) {
      if (entry.types === null || entry.types.has(event.type)) found.push(entry.watch);
    }
    for (const watch of this.byType.get(event.type) ?? []) found.push(watch);
    return found;
  }
}

export function eventFilterKey(filter: EventFilter): string {
  const types = filter.types === null ? "*" : [...new Set(filter.types)].sort().join(SEP);
  return `${filter.userId === null ? "*" : `=${filter.userId}`}${SEP}${SEP}${types}`;
}

interface ScoreEntry<W> {
  readonly window: Window;
  /** The fixed bucket of a watch with `at`; null follows now. */
  readonly bucket: string | null;
  readonly watch: W;
}

/** scoreChanged watches, by user: a tally change reaches the watches of its user and period. */
export class ScoreWatchIndex<W> {
  private readonly byUser = new Map<string, Map<string, ScoreEntry<W>>>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(key: ScoreWatchKey): W | undefined {
    return this.byUser.get(key.userId)?.get(scoreKey(key))?.watch;
  }

  add(key: ScoreWatchKey, watch: W): void {
    let forUser = this.byUser.get(key.userId);
    if (!forUser) this.byUser.set(key.userId, (forUser = new Map()));
    const id = scoreKey(key);
    if (forUser.has(id)) throw new Error("this score is already watched");
    forUser.set(id, {
      window: key.window,
      bucket: key.at === null ? null : periodOf(key.window, key.at).bucket,
      watch,
    });
    this.count += 1;
  }

  delete(key: ScoreWatchKey): void {
    const forUser = this.byUser.get(key.userId);
    if (!forUser?.delete(scoreKey(key))) return;
    this.count -= 1;
    if (forUser.size === 0) this.byUser.delete(key.userId);
  }

  /** The watches whose user and period this change is about. */
  matching(change: TallyChange, now: CurrentBuckets): W[] {
    const forUser = this.byUser.get(change.tally.userId);
    if (!forUser) return [];
    const found: W[] = [];
    for (const entry of forUser.values()) {
      if (entry.window !== change.period.window) continue;
      if ((entry.bucket ?? now[entry.window]) === change.period.bucket) found.push(entry.watch);
    }
    return found;
  }
}

function scoreKey(key: ScoreWatchKey): string {
  return `${key.window}${SEP}${key.at === null ? "now" : key.at.getTime()}`;
}

interface BoardEntry<W> {
  readonly window: Window;
  readonly bucket: string | null;
  readonly metric: string;
  readonly watch: W;
}

/** leaderboardChanged watches: one per (window, type, first, at), however many subscribers. */
export class LeaderboardWatchIndex<W> {
  private readonly byKey = new Map<string, BoardEntry<W>>();

  get size(): number {
    return this.byKey.size;
  }

  get(key: LeaderboardWatchKey): W | undefined {
    return this.byKey.get(leaderboardKey(key))?.watch;
  }

  add(key: LeaderboardWatchKey, watch: W): void {
    const id = leaderboardKey(key);
    if (this.byKey.has(id)) throw new Error("this leaderboard is already watched");
    this.byKey.set(id, {
      window: key.window,
      bucket: key.at === null ? null : periodOf(key.window, key.at).bucket,
      metric: metricOf(key.type, key.scope),
      watch,
    });
  }

  delete(key: LeaderboardWatchKey): void {
    this.byKey.delete(leaderboardKey(key));
  }

  /** The watches whose board is among `touched` (see boardsTouched). */
  touched(touched: ReadonlySet<string>, now: CurrentBuckets): W[] {
    if (touched.size === 0) return [];
    const found: W[] = [];
    for (const entry of this.byKey.values()) {
      if (touched.has(boardKey(entry.window, entry.bucket ?? now[entry.window], entry.metric)))
        found.push(entry.watch);
    }
    return found;
  }
}

function leaderboardKey(key: LeaderboardWatchKey): string {
  const at = key.at === null ? "now" : String(key.at.getTime());
  return [key.window, metricOf(key.type, key.scope), key.first, at].join(SEP);
}

function boardKey(window: Window, bucket: string, metric: string): string {
  return `${window}${SEP}${bucket}${SEP}${metric}`;
}

/**
 * Every leaderboard (window, bucket, metric) that ranked events change: by points, by their type
 * and of each of their groups and their category, in each period containing them. Computed once
 * per commit for all watches.
 */
export function boardsTouched(
  events: readonly {
    readonly type: string;
    readonly occurredAt: string;
    readonly ranked: boolean;
    readonly groups: readonly string[];
    readonly category: string | null;
  }[],
): Set<string> {
  const touched = new Set<string>();
  for (const event of events) {
    if (!event.ranked) continue;
    const metrics = [metricOf(null, null), metricOf(event.type, null), ...scopeMetricsOf(event)];
    for (const { window, bucket } of periodsContaining(new Date(event.occurredAt))) {
      for (const metric of metrics) touched.add(boardKey(window, bucket, metric));
    }
  }
  return touched;
}
