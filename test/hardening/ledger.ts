import { expect } from "vitest";
import { postGraphQL, type GraphQLResponse } from "../support/server.js";

/**
 * Load for crash tests, and the check that what a server answers agrees with its own event log:
 * the events are read back page by page, every score, breakdown and leaderboard is recomputed
 * from them, and the server's aggregates must match exactly (nothing counted twice, nothing
 * stored uncounted).
 */

export const USERS = ["ana", "ben", "cleo", "dev", "eli", "fay", "gus", "hal"];
const TYPES = ["PushEvent", "PullRequestEvent", "IssuesEvent", "WatchEvent"];
// 2024-01-27 (Saturday) .. 2024-03-06: crosses week, month and leap-day boundaries.
const FIRST_DAY = Date.UTC(2024, 0, 27);
const DAYS = 40;

export interface LoadEvent {
  readonly id: string;
  readonly userId: string;
  readonly type: string;
  readonly occurredAt: string;
}

/** A deterministic batch: the same (worker, batch) always yields the same events, so it can be re-sent. */
export function loadBatch(worker: number, batch: number, size: number): LoadEvent[] {
  return Array.from({ length: size }, (_, i) => {
    const n = worker * 7919 + batch * 104_729 + i * 31;
    return {
      id: `w${worker}-b${batch}-${i}`,
      userId: USERS[n % USERS.length]!,
      type: TYPES[(n >> 3) % TYPES.length]!,
      occurredAt: new Date(FIRST_DAY + (n % (DAYS * 24)) * 3_600_000 + i * 1000).toISOString(),
    };
  });
}

export interface LoggedEvent {
  readonly id: string;
  readonly userId: string;
  readonly type: string;
  readonly occurredAt: string;
  readonly points: number;
}

const PAGE = `query ($u: String!, $after: String) {
  events(userId: $u, first: 100, after: $after) {
    nodes { id type occurredAt points }
    pageInfo { hasNextPage endCursor }
  }
}`;

interface Page {
  events: {
    nodes: { id: string; type: string; occurredAt: string; points: number }[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
}

/** Every stored event of the load's users, read back through the API. */
export async function readLog(url: string): Promise<Map<string, LoggedEvent>> {
  const log = new Map<string, LoggedEvent>();
  for (const userId of USERS) {
    let after: string | null = null;
    for (;;) {
      const page: GraphQLResponse<Page> = await postGraphQL<Page>(url, PAGE, { u: userId, after });
      expect(page.errors).toBeUndefined();
      for (const node of page.data!.events.nodes) {
        expect(log.has(node.id), `event ${node.id} listed twice`).toBe(false);
        log.set(node.id, { ...node, userId });
      }
      if (!page.data!.events.pageInfo.hasNextPage) break;
      after = page.data!.events.pageInfo.endCursor;
    }
  }
  return log;
}

type Window = "DAY" | "WEEK" | "MONTH";

function bucketOf(window: Window, iso: string): string {
  const at = new Date(iso);
  if (window === "DAY") return iso.slice(0, 10);
  if (window === "MONTH") return iso.slice(0, 7);
  const monday = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
  monday.setUTCDate(monday.getUTCDate() - ((monday.getUTCDay() + 6) % 7));
  return monday.toISOString().slice(0, 10);
}

interface Tallied {
  score: number;
  events: number;
  breakdown: { type: string; count: number }[];
}

interface Tally {
  score: number;
  events: number;
  byType: Map<string, number>;
}

function tallyOf(events: readonly LoggedEvent[]): Tally {
  const byType = new Map<string, number>();
  let score = 0;
  for (const event of events) {
    score += event.points;
    byType.set(event.type, (byType.get(event.type) ?? 0) + 1);
  }
  return { score, events: events.length, byType };
}

/**
 * Checks every user's score (with breakdown) in every DAY, WEEK and MONTH the load touches and
 * ALL_TIME, the all-time and per-month leaderboards with their ranks, against the log.
 */
export async function expectAggregatesMatch(
  url: string,
  log: ReadonlyMap<string, LoggedEvent>,
): Promise<void> {
  const all = [...log.values()];
  const references = [...new Set(all.map((e) => `${e.occurredAt.slice(0, 10)}T12:00:00.000Z`))].sort();
  for (const userId of USERS) {
    const mine = all.filter((e) => e.userId === userId);
    const fields = [`all: score(userId: "${userId}") { score events breakdown { type count } }`];
    references.forEach((at, i) => {
      for (const window of ["DAY", "WEEK", "MONTH"] as const) {
        fields.push(
          `${window.toLowerCase()}${i}: score(userId: "${userId}", window: ${window}, at: "${at}") { score events breakdown { type count } }`,
        );
      }
    });
    // 50 fields a request: within the default EVENTSCORE_MAX_TOKENS and EVENTSCORE_MAX_ALIASES.
    const reply: { data: Record<string, Tallied> } = { data: {} };
    for (let start = 0; start < fields.length; start += 50) {
      const part = await postGraphQL<Record<string, Tallied>>(
        url,
        `{ ${fields.slice(start, start + 50).join("\n")} }`,
      );
      expect(part.errors).toBeUndefined();
      Object.assign(reply.data, part.data);
    }
    const expected = (events: readonly LoggedEvent[]) => {
      const tally = tallyOf(events);
      return {
        score: tally.score,
        events: tally.events,
        breakdown: [...tally.byType.entries()]
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([type, count]) => ({ type, count })),
      };
    };
    expect(reply.data!["all"], `${userId} ALL_TIME`).toEqual(expected(mine));
    references.forEach((at, i) => {
      for (const window of ["DAY", "WEEK", "MONTH"] as const) {
        const bucket = bucketOf(window, at);
        const inBucket = mine.filter((e) => bucketOf(window, e.occurredAt) === bucket);
        expect(reply.data![`${window.toLowerCase()}${i}`], `${userId} ${window} ${bucket}`).toEqual(
          expected(inBucket),
        );
      }
    });
  }
  await expectLeaderboard(url, `window: ALL_TIME`, all);
  for (const month of ["2024-01", "2024-02", "2024-03"]) {
    const inMonth = all.filter((e) => e.occurredAt.startsWith(month));
    await expectLeaderboard(url, `window: MONTH, at: "${month}-15T00:00:00Z"`, inMonth);
    await expectLeaderboard(
      url,
      `window: MONTH, at: "${month}-15T00:00:00Z", type: "PushEvent"`,
      inMonth.filter((e) => e.type === "PushEvent"),
      true,
    );
  }
}

async function expectLeaderboard(
  url: string,
  args: string,
  events: readonly LoggedEvent[],
  byCount = false,
): Promise<void> {
  const totals = new Map<string, number>();
  for (const event of events)
    totals.set(event.userId, (totals.get(event.userId) ?? 0) + (byCount ? 1 : event.points));
  const sorted = [...totals.entries()]
    .filter(([, value]) => value > 0)
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1));
  const expected = sorted.map(([userId, value]) => ({
    rank: 1 + sorted.filter(([, other]) => other > value).length,
    userId,
    value,
  }));
  const reply = await postGraphQL<{
    leaderboard: { nodes: { rank: number; userId: string; value: number }[] };
  }>(url, `{ leaderboard(${args}, first: 100) { nodes { rank userId value } } }`);
  expect(reply.errors).toBeUndefined();
  expect(reply.data!.leaderboard.nodes, `leaderboard(${args})`).toEqual(expected);
}
