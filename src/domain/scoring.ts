/**
 * Scoring rules: score = sum over event types of weight(type) x count.
 *
 * Points are computed when an event is recorded and stored with it, so both stores can keep
 * sorted leaderboards without knowing the rules. Changing weights affects new events; the
 * `eventscore rescore` command recomputes stored points from the event log.
 */

export interface ScoringRules {
  readonly weights: ReadonlyMap<string, number>;
  /** Weight of any type not listed in `weights`. */
  readonly defaultWeight: number;
}

/**
 * GitHub defaults: contributions that take review and collaboration weigh more than
 * one-click activity. Documented in the README; override with EVENTSCORE_WEIGHTS_FILE.
 */
export const GITHUB_DEFAULT_WEIGHTS: Readonly<Record<string, number>> = {
  PullRequestEvent: 10,
  PullRequestReviewEvent: 6,
  PullRequestReviewCommentEvent: 4,
  IssuesEvent: 4,
  IssueCommentEvent: 2,
  CommitCommentEvent: 2,
  PushEvent: 2,
  ReleaseEvent: 5,
  CreateEvent: 1,
  DeleteEvent: 0,
  ForkEvent: 1,
  WatchEvent: 1,
  GollumEvent: 1,
  MemberEvent: 1,
  PublicEvent: 1,
};

export const DEFAULT_UNKNOWN_WEIGHT = 1;

export function githubDefaultRules(): ScoringRules {
  return { weights: new Map(Object.entries(GITHUB_DEFAULT_WEIGHTS)), defaultWeight: DEFAULT_UNKNOWN_WEIGHT };
}

export function weightOf(rules: ScoringRules, type: string): number {
  return rules.weights.get(type) ?? rules.defaultWeight;
}

/** Parses and checks a weights document: `{ "defaultWeight": 1, "weights": { "PushEvent": 2 } }`. */
export function parseScoringRules(document: unknown): ScoringRules {
  if (typeof document !== "object" || document === null) throw new Error("must be a JSON object");
  const { weights, defaultWeight } = document as { weights?: unknown; defaultWeight?: unknown };
  if (typeof weights !== "object" || weights === null || Array.isArray(weights)) {
    throw new Error('"weights" must be an object mapping event types to numbers');
  }
  const map = new Map<string, number>();
  for (const [type, weight] of Object.entries(weights)) {
    if (!isValidWeight(weight)) throw new Error(`weight of "${type}" must be an integer from 0 to 1000000`);
    map.set(type, weight);
  }
  const fallback = defaultWeight ?? DEFAULT_UNKNOWN_WEIGHT;
  if (!isValidWeight(fallback)) throw new Error('"defaultWeight" must be an integer from 0 to 1000000');
  return { weights: map, defaultWeight: fallback };
}

/** Integer weights keep scores exact: Cassandra counters are 64-bit integers. */
function isValidWeight(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= 1_000_000;
}
