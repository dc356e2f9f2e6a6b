/**
 * The hot-partition benchmarks' input: a seeded random source, Zipf-like activity per user
 * (s = 1.1) and a GitHub-like type mix. Shared by bench/hot-partitions.ts and
 * bench/rollup-month-growth.ts so that the latter's first day is exactly the former's sample.
 */

export const MIX: readonly (readonly [type: string, share: number, points: number])[] = [
  ["PushEvent", 0.5, 2],
  ["CreateEvent", 0.12, 1],
  ["WatchEvent", 0.1, 1],
  ["PullRequestEvent", 0.08, 10],
  ["IssueCommentEvent", 0.07, 2],
  ["IssuesEvent", 0.04, 4],
  ["DeleteEvent", 0.03, 0],
  ["ForkEvent", 0.03, 1],
  ["PullRequestReviewEvent", 0.03, 6],
];

export interface MixSource {
  /** Uniform in [0, 1), seeded (mulberry32). */
  random(): number;
  /** A user's rank, Zipf-like: weights 1/rank^1.1, searched by bisection. */
  pickUser(): number;
  /** An event type of the mix and its points. */
  pickType(): [string, number];
}

export function mixSource(users: number, seed = 42): MixSource {
  let state = seed;
  const random = (): number => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const cumulative = new Float64Array(users);
  let total = 0;
  for (let rank = 0; rank < users; rank++) cumulative[rank] = total += 1 / (rank + 1) ** 1.1;
  return {
    random,
    pickUser() {
      const target = random() * total;
      let lo = 0;
      let hi = users - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cumulative[mid]! < target) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    },
    pickType() {
      let r = random();
      for (const [type, share, points] of MIX) {
        if ((r -= share) <= 0) return [type, points];
      }
      return [MIX[0]![0], MIX[0]![2]];
    },
  };
}
