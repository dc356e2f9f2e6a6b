/**
 * The read benchmark's dataset (issue 11): `events` events from `users` users over `days` UTC days,
 * generated from a fixed seed, so every run and every machine gets the same events.
 *
 * - Activity is Zipf-like: every user has one event, and each other event goes to user k (1-based)
 *   with probability ∝ 1 / k^ZIPF_S, so a few users have tens of thousands of events and most have
 *   one or two (as on GitHub).
 * - Types follow the mix of the 2015 GH Archive hours (pushes about half, then stars, creates, …).
 * - Each user has a home org (a group, for 40 % of users) and pushes to a few repos of a few owners;
 *   the category is the repo owner, the group the org, as in src/sources/github/mapping.ts.
 * - Times are uniform over the days.
 */
import { fingerprintOf, type ActivityEvent } from "../../src/domain/event.js";
import { githubDefaultRules, weightOf } from "../../src/domain/scoring.js";
import type { StoredEvent } from "../../src/store/port.js";
import { random } from "../../test/support/fuzz.js";

export { random };

export interface DatasetShape {
  readonly events: number;
  readonly users: number;
  readonly days: number;
  /** The first day, midnight UTC. */
  readonly start: Date;
  readonly seed: number;
}

export const FULL_DATASET: DatasetShape = {
  events: 1_000_000,
  users: 100_000,
  days: 90,
  start: new Date("2024-01-01T00:00:00Z"),
  seed: 11,
};

const ZIPF_S = 1.0;
const ORGS = 2_000;
const OWNERS = 20_000;

/** Share of each type in the 2015-01-01 GH Archive hours, rounded. */
const TYPE_MIX: readonly (readonly [string, number])[] = [
  ["PushEvent", 50],
  ["WatchEvent", 12],
  ["CreateEvent", 11],
  ["IssueCommentEvent", 8],
  ["PullRequestEvent", 5],
  ["IssuesEvent", 4],
  ["ForkEvent", 4],
  ["DeleteEvent", 2],
  ["PullRequestReviewCommentEvent", 1.5],
  ["GollumEvent", 1],
  ["ReleaseEvent", 0.5],
  ["MemberEvent", 0.4],
  ["CommitCommentEvent", 0.4],
  ["PublicEvent", 0.2],
];

/** Picks an index by cumulative weight with binary search. */
function picker(weights: readonly number[], rand: () => number): () => number {
  const cumulative: number[] = [];
  let total = 0;
  for (const w of weights) cumulative.push((total += w));
  return () => {
    const x = rand() * total;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
}

export function userName(k: number): string {
  return `user${k}`;
}

/** The events, in batches of `batchSize`, in time order within the whole set (as a replay would send them). */
export function* generate(shape: DatasetShape, batchSize = 1000): Generator<StoredEvent[]> {
  const rand = random(shape.seed);
  const pickUser = picker(
    Array.from({ length: shape.users }, (_, k) => 1 / (k + 1) ** ZIPF_S),
    rand,
  );
  const pickType = picker(
    TYPE_MIX.map(([, w]) => w),
    rand,
  );
  const rules = githubDefaultRules();
  const span = shape.days * 86_400_000;
  const times = Array.from({ length: shape.events }, () => Math.floor(rand() * span)).sort((a, b) => a - b);
  let batch: StoredEvent[] = [];
  for (let i = 0; i < shape.events; i++) {
    // The first `users` events give every user one; the rest follow the Zipf weights.
    const k = i < shape.users ? i + 1 : pickUser() + 1;
    const type = TYPE_MIX[pickType()]![0];
    // A user's org and repo owners are fixed by the user number; the repo varies per event.
    const org = k % 5 < 2 ? `org${k % ORGS}` : null;
    const ownerChoice = Math.floor(rand() * 3);
    const owner = ownerChoice === 0 && org !== null ? org : `owner${(k * 7 + ownerChoice * 31) % OWNERS}`;
    const repo = `${owner}/repo${Math.floor(rand() * 4)}`;
    const base: ActivityEvent = {
      id: `ev${i}`,
      userId: userName(k),
      type,
      occurredAt: new Date(shape.start.getTime() + times[i]!),
      repo,
      category: owner,
      groups: org === null ? [] : [org],
      payload: null,
    };
    batch.push({ ...base, points: weightOf(rules, type), fingerprint: fingerprintOf(base), ranked: true });
    if (batch.length === batchSize) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}
