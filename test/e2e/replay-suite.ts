/**
 * The replay of a real GH Archive hour through recordEvents, checked against a brute-force truth.
 * Shared by the store-specific files: replay.test.ts (embedded SQLite) and replay.cassandra.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromGitHubEvent } from "../../src/sources/github/mapping.js";
import {
  bruteForce,
  HOUR_0,
  readRawEvents,
  shuffled,
  type RawGitHubEvent,
  type Truth,
} from "../support/github-truth.js";
import { expectScoresMatch, pagedLeaderboard } from "../support/github-answers.js";
import { startTestServer, type TestServer } from "../support/server.js";

const RECORD = `mutation ($events: [EventInput!]!) { recordEvents(events: $events) { accepted duplicates rejected { index code } } }`;

/** GraphQL input for one raw event, through the same mapping the importer uses. */
function toInput(raw: RawGitHubEvent): Record<string, unknown> {
  const draft = fromGitHubEvent(raw);
  return { ...draft, occurredAt: draft.occurredAt.toISOString() };
}

export interface ReplayTopology {
  /** API instances, each running an aggregator of the same group when the store is log-fed. */
  readonly instances: number;
  /** Clients sending batches at the same time, round-robin over the instances. */
  readonly clients: number;
}

export function describeReplay(
  name: string,
  env: () => Record<string, string>,
  topology: ReplayTopology = { instances: 1, clients: 1 },
): void {
  const where = `${topology.instances} instance(s), ${topology.clients} concurrent client(s)`;
  describe(
    `replay of a real GH Archive hour through recordEvents (${name}; ${where})`,
    { timeout: 300_000 },
    () => {
      const servers: TestServer[] = [];
      let raw: RawGitHubEvent[];
      let truth: Truth;
      let totals = { accepted: 0, duplicates: 0, rejected: 0 };
      // Reads go round-robin too: every instance must answer the same.
      let reads = 0;
      const server = {
        gql: <T>(query: string, variables?: Record<string, unknown>) =>
          servers[reads++ % servers.length]!.gql<T>(query, variables),
      };

      beforeAll(async () => {
        for (let i = 0; i < topology.instances; i++) servers.push(await startTestServer(env()));
        raw = readRawEvents(HOUR_0);
        truth = bruteForce(raw);
        // Shuffled, in batches of 500, with every 10th event sent a second time in a later batch;
        // with several clients, a copy may be in flight at the same time as its original.
        const resend = raw.filter((_, i) => i % 10 === 0);
        const stream = [...shuffled(raw, 42), ...shuffled(resend, 7)];
        const batches: unknown[][] = [];
        for (let start = 0; start < stream.length; start += 500)
          batches.push(stream.slice(start, start + 500).map(toInput));
        let next = 0;
        const client = async (): Promise<void> => {
          for (let mine = next++; mine < batches.length; mine = next++) {
            const result = await servers[mine % servers.length]!.gql<{
              recordEvents: { accepted: number; duplicates: number; rejected: unknown[] };
            }>(RECORD, { events: batches[mine] });
            expect(result.errors).toBeUndefined();
            totals = {
              accepted: totals.accepted + result.data!.recordEvents.accepted,
              duplicates: totals.duplicates + result.data!.recordEvents.duplicates,
              rejected: totals.rejected + result.data!.recordEvents.rejected.length,
            };
          }
        };
        await Promise.all(Array.from({ length: topology.clients }, client));
      }, 300_000);

      afterAll(async () => {
        await Promise.all(servers.map((s) => s.stop()));
      });

      it.runIf(topology.instances > 1)(
        "splits the log's partitions between the instances' aggregators",
        () => {
          const owned = servers.map((s) => s.aggregator?.owned() ?? []);
          for (const partitions of owned) expect(partitions.length).toBeGreaterThan(0);
          expect(new Set(owned.flat()).size).toBe(owned.flat().length);
        },
      );

      it("accepts every event once and counts the re-sent ones as duplicates", () => {
        expect(raw).toHaveLength(7702);
        expect(totals).toEqual({ accepted: 7702, duplicates: 771, rejected: 0 });
      });

      it("answers every user's per-type counts and score as the brute force does, on every instance", async () => {
        expect(truth.counts.size).toBe(3648);
        for (const instance of servers) await expectScoresMatch(instance.url, truth);
      });

      it("ranks the top 10 exactly as the brute force does", async () => {
        const result = await server.gql<{
          leaderboard: { nodes: { userId: string; value: number; rank: number }[] };
        }>(`{ leaderboard(window: ALL_TIME, first: 10) { nodes { userId value rank } } }`);
        expect(result.data!.leaderboard.nodes).toEqual(truth.leaderboard.slice(0, 10));
        const hour = await server.gql<{
          leaderboard: { nodes: { userId: string; value: number; rank: number }[] };
        }>(
          `{ leaderboard(window: DAY, at: "2015-01-01T00:30:00Z", first: 10) { nodes { userId value rank } } }`,
        );
        expect(hour.data!.leaderboard.nodes).toEqual(truth.leaderboard.slice(0, 10));
      });

      it("pages the whole leaderboard with cursors, with ranks that match, on every instance", async () => {
        for (const instance of servers)
          expect(await pagedLeaderboard(instance.url)).toEqual(truth.leaderboard);
      });
    },
  );
}
