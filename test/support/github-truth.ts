/**
 * Brute-force truth for the real GH Archive hours: computed straight from the raw files with
 * no eventscore code but the weights, so tests can compare what the service answers.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { githubDefaultRules, weightOf } from "../../src/domain/scoring.js";

export const GITHUB_DATA_DIR = join(import.meta.dirname, "../../../shared/data/github-events");
export const HOUR_0 = join(GITHUB_DATA_DIR, "2015-01-01-0.json.gz");
export const HOUR_1 = join(GITHUB_DATA_DIR, "2015-01-01-1.json.gz");
export const FEW_HOURS_2021 = join(GITHUB_DATA_DIR, "2021-07-21-few-hours.json.gz");

export interface RawGitHubEvent {
  id: string;
  type: string;
  actor: { login: string };
  repo: { name: string };
  org?: { login: string };
  created_at: string;
  payload: Record<string, unknown>;
}

export function readRawEvents(path: string): RawGitHubEvent[] {
  return gunzipSync(readFileSync(path))
    .toString("utf8")
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as RawGitHubEvent);
}

export interface Truth {
  /** login -> type -> count */
  readonly counts: Map<string, Map<string, number>>;
  readonly scores: Map<string, number>;
  /** ALL_TIME leaderboard by score, bots excluded: value desc, login asc, competition ranks. */
  readonly leaderboard: { userId: string; value: number; rank: number }[];
}

export function bruteForce(events: readonly RawGitHubEvent[]): Truth {
  const rules = githubDefaultRules();
  const seen = new Set<string>();
  const counts = new Map<string, Map<string, number>>();
  const scores = new Map<string, number>();
  for (const event of events) {
    if (seen.has(event.id)) continue;
    seen.add(event.id);
    const login = event.actor.login;
    const byType = counts.get(login) ?? new Map<string, number>();
    byType.set(event.type, (byType.get(event.type) ?? 0) + 1);
    counts.set(login, byType);
    scores.set(login, (scores.get(login) ?? 0) + weightOf(rules, event.type));
  }
  const ordered = [...scores.entries()]
    .filter(([login]) => !login.endsWith("[bot]"))
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0));
  const leaderboard = ordered.map(([userId, value]) => ({
    userId,
    value,
    rank: 1 + ordered.filter(([, other]) => other > value).length,
  }));
  return { counts, scores, leaderboard };
}

/** Deterministic shuffle (mulberry32), so a failing replay can be re-run exactly. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  let state = seed >>> 0;
  const random = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}
