/**
 * The input of bench/live.ts, the same in every process that needs it (driver, subscribers, the
 * bare ws floor): deterministic from its settings, so each process can tell which batch made each
 * push it sees without sending the events around.
 */
import { githubDefaultRules, weightOf } from "../../src/domain/scoring.js";

export interface PlanSettings {
  /** Subscriptions opened: 80 % scoreChanged (one per user), 18 % eventRecorded, 2 % leaderboardChanged. */
  readonly subscriptions: number;
  readonly batches: number;
  readonly batchSize: number;
  /** The `occurredAt` of every event (the driver's start, so that no event is in the future). */
  readonly occurredAt: string;
  /** Makes ids unique per phase and run, so that no event is a duplicate of another run's. */
  readonly tag: string;
}

export interface BenchEvent {
  readonly id: string;
  readonly userId: string;
  readonly type: string;
  readonly occurredAt: string;
}

export interface Plan {
  readonly settings: PlanSettings;
  readonly users: readonly string[];
  readonly releaseSubscriptions: number;
  readonly boardSubscriptions: number;
  readonly batches: readonly (readonly BenchEvent[])[];
  /** Per user: the batch after which their event count became n, at index n - 1. */
  readonly countBatch: ReadonlyMap<string, number[]>;
  /** The batch index of each release event, by id. */
  readonly releaseBatch: ReadonlyMap<string, number>;
  /** The first batch after which the ALL_TIME top 10 was this one, by its fingerprint. */
  readonly boardBatch: ReadonlyMap<string, number>;
  readonly finalBoard: string;
  readonly releases: number;
}

/** Event types with their share of the first 20,000 events of GH Archive 2015-01-01-0 (ReleaseEvent: 0.3 %). */
const TYPE_SHARES: readonly [string, number][] = [
  ["PushEvent", 4280],
  ["CreateEvent", 815],
  ["IssueCommentEvent", 650],
  ["WatchEvent", 642],
  ["IssuesEvent", 373],
  ["PullRequestEvent", 315],
  ["ForkEvent", 213],
  ["DeleteEvent", 141],
  ["GollumEvent", 90],
  ["PullRequestReviewCommentEvent", 85],
  ["CommitCommentEvent", 56],
  ["ReleaseEvent", 24],
  ["MemberEvent", 16],
];

export const BOARD_SIZE = 10;

export function makePlan(settings: PlanSettings): Plan {
  const scoreSubscriptions = Math.round(settings.subscriptions * 0.8);
  const releaseSubscriptions = Math.round(settings.subscriptions * 0.18);
  const boardSubscriptions = settings.subscriptions - scoreSubscriptions - releaseSubscriptions;
  const users = Array.from({ length: Math.max(scoreSubscriptions, 1000) }, (_, i) => `u${i}`);
  const totalShare = TYPE_SHARES.reduce((sum, [, share]) => sum + share, 0);
  const rules = githubDefaultRules();
  let seed = 20_240_601;
  const random = (): number => {
    seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
    return seed / 4_294_967_296;
  };
  const pickType = (): string => {
    let left = random() * totalShare;
    for (const [type, share] of TYPE_SHARES) if ((left -= share) < 0) return type;
    return "PushEvent";
  };
  const counts = new Map<string, number[]>();
  const points = new Map<string, number>();
  const releaseBatch = new Map<string, number>();
  const boardBatch = new Map<string, number>();
  const batches: BenchEvent[][] = [];
  let finalBoard = "";
  for (let b = 0; b < settings.batches; b++) {
    const batch: BenchEvent[] = [];
    for (let i = 0; i < settings.batchSize; i++) {
      const userId = users[Math.floor(random() * users.length)]!;
      const type = pickType();
      const id = `${settings.tag}-${b}-${i}`;
      batch.push({ id, userId, type, occurredAt: settings.occurredAt });
      let list = counts.get(userId);
      if (!list) counts.set(userId, (list = []));
      list.push(b);
      points.set(userId, (points.get(userId) ?? 0) + weightOf(rules, type));
      if (type === "ReleaseEvent") releaseBatch.set(id, b);
    }
    batches.push(batch);
    finalBoard = boardFingerprint(topOf(points));
    if (!boardBatch.has(finalBoard)) boardBatch.set(finalBoard, b);
  }
  return {
    settings,
    users: users.slice(0, scoreSubscriptions),
    releaseSubscriptions,
    boardSubscriptions,
    batches,
    countBatch: counts,
    releaseBatch,
    boardBatch,
    finalBoard,
    releases: releaseBatch.size,
  };
}

/** The top 10 by points, in the API's order (value descending, then user id), with competition ranks. */
export function topOf(
  points: ReadonlyMap<string, number>,
): { rank: number; userId: string; value: number }[] {
  const top: [string, number][] = [];
  for (const entry of points) {
    if (top.length === BOARD_SIZE && !before(entry, top[BOARD_SIZE - 1]!)) continue;
    top.push(entry);
    top.sort((a, b) => (before(a, b) ? -1 : 1));
    if (top.length > BOARD_SIZE) top.pop();
  }
  // Ranks count every user above, and only the top 10 can be above a top-10 entry.
  return top.map(([userId, value]) => ({ rank: 1 + top.filter(([, v]) => v > value).length, userId, value }));
}

function before(a: [string, number], b: [string, number]): boolean {
  return a[1] !== b[1] ? a[1] > b[1] : a[0] < b[0];
}

export function boardFingerprint(rows: readonly { rank: number; userId: string; value: number }[]): string {
  return rows.map((row) => `${row.rank}:${row.userId}:${row.value}`).join(",");
}

export const SCORE_QUERY = `subscription ($u: String!) { scoreChanged(userId: $u) { score events } }`;
export const RELEASES_QUERY = `subscription { eventRecorded(types: ["ReleaseEvent"]) { id userId type occurredAt } }`;
export const BOARD_QUERY = `subscription { leaderboardChanged(window: ALL_TIME, first: ${BOARD_SIZE}) { rank userId value } }`;
export const RECORD_MUTATION = `mutation ($e: [EventInput!]!) { recordEvents(events: $e) { accepted } }`;

export type Kind = "score" | "releases" | "board";

/** Which kind each subscription is, interleaved so that every socket carries the mix. */
export function subscriptionKinds(plan: Plan): Kind[] {
  const kinds: Kind[] = [
    ...plan.users.map((): Kind => "score"),
    ...Array.from({ length: plan.releaseSubscriptions }, (): Kind => "releases"),
    ...Array.from({ length: plan.boardSubscriptions }, (): Kind => "board"),
  ];
  let seed = 99;
  for (let i = kinds.length - 1; i > 0; i--) {
    seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
    const j = seed % (i + 1);
    [kinds[i], kinds[j]] = [kinds[j]!, kinds[i]!];
  }
  return kinds;
}
