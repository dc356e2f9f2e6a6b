/**
 * What a server answers about the GH Archive events it took, against the brute force of
 * github-truth.ts: every user's score and per-type counts, and the whole ALL_TIME leaderboard.
 */
import { expect } from "vitest";
import type { Truth } from "./github-truth.js";
import { postGraphQL } from "./server.js";

export interface Ranked {
  readonly userId: string;
  readonly value: number;
  readonly rank: number;
}

/** Every user of the truth: score and breakdown, 50 users a request (within the default limits). */
export async function expectScoresMatch(url: string, truth: Truth): Promise<void> {
  const users = [...truth.counts.keys()];
  for (let start = 0; start < users.length; start += 50) {
    const chunk = users.slice(start, start + 50);
    const declarations = chunk.map((_, i) => `$id${i}: String!`).join(", ");
    const fields = chunk.map(
      (_, i) => `u${i}: user(id: $id${i}) { score { score breakdown { type count } } }`,
    );
    const query = `query (${declarations}) { ${fields.join(" ")} }`;
    const variables = Object.fromEntries(chunk.map((id, i) => [`id${i}`, id]));
    const result = await postGraphQL<
      Record<string, { score: { score: number; breakdown: { type: string; count: number }[] } }>
    >(url, query, variables);
    expect(result.errors).toBeUndefined();
    chunk.forEach((login, i) => {
      const got = result.data![`u${i}`]!.score;
      expect(got.score, login).toBe(truth.scores.get(login));
      const expected = [...truth.counts.get(login)!.entries()]
        .map(([type, count]) => ({ type, count }))
        .sort((a, b) => (a.type < b.type ? -1 : 1));
      expect(got.breakdown, login).toEqual(expected);
    });
  }
}

/** The whole ALL_TIME leaderboard, page by page with cursors. */
export async function pagedLeaderboard(url: string): Promise<Ranked[]> {
  const seen: Ranked[] = [];
  let after: string | null = null;
  for (;;) {
    const page: {
      data?: {
        leaderboard: { nodes: Ranked[]; pageInfo: { hasNextPage: boolean; endCursor: string } };
      } | null;
    } = await postGraphQL(
      url,
      `query ($after: String) { leaderboard(first: 100, after: $after) { nodes { userId value rank } pageInfo { hasNextPage endCursor } } }`,
      { after },
    );
    seen.push(...page.data!.leaderboard.nodes);
    if (!page.data!.leaderboard.pageInfo.hasNextPage) return seen;
    after = page.data!.leaderboard.pageInfo.endCursor;
  }
}
