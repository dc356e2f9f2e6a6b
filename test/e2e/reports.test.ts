import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { githubDefaultRules, weightOf } from "../../src/domain/scoring.js";
import { fromGitHubEvent } from "../../src/sources/github/mapping.js";
import {
  FEW_HOURS_2021,
  HOUR_0,
  HOUR_1,
  readRawEvents,
  type RawGitHubEvent,
} from "../support/github-truth.js";
import { productionForTests } from "../support/production.js";
import { startTestServer, type TestServer } from "../support/server.js";

interface Row {
  period: string | null;
  type: string | null;
  category: string | null;
  group: string | null;
  events: number;
  users: number;
  score: number;
}

const rules = githubDefaultRules();
type Dimension = "DAY" | "MONTH" | "TYPE" | "CATEGORY" | "GROUP";

/** The report computed straight from the raw files: category = repo owner, group = org. */
function bruteForce(
  events: readonly RawGitHubEvent[],
  groupBy: Dimension[],
  types: string[] | null = null,
): Row[] {
  const rows = new Map<string, Row & { userSet: Set<string> }>();
  for (const e of events) {
    if (types && !types.includes(e.type)) continue;
    const dims = {
      period: groupBy.includes("DAY")
        ? e.created_at.slice(0, 10)
        : groupBy.includes("MONTH")
          ? e.created_at.slice(0, 7)
          : null,
      type: groupBy.includes("TYPE") ? e.type : null,
      category: groupBy.includes("CATEGORY") ? (e.repo.name.split("/")[0] ?? null) : null,
      group: groupBy.includes("GROUP") ? (e.org?.login ?? null) : null,
    };
    const key = JSON.stringify(dims);
    const row = rows.get(key) ?? { ...dims, events: 0, users: 0, score: 0, userSet: new Set<string>() };
    row.events += 1;
    row.score += weightOf(rules, e.type);
    row.userSet.add(e.actor.login);
    rows.set(key, row);
  }
  const key = (r: Row): string => [r.period, r.type, r.category, r.group].map((v) => v ?? "").join("\u0000");
  return [...rows.values()]
    .map(({ userSet, ...row }) => ({ ...row, users: userSet.size }))
    .sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** The same checks on any store: `env` picks it (the embedded SQLite store when empty). */
function describeReports(name: string, env: () => Record<string, string>): void {
  describe(`reports on the real GH Archive hours (${name})`, { timeout: 300_000 }, () => {
    let server: TestServer;
    const raw = [...readRawEvents(HOUR_0), ...readRawEvents(HOUR_1), ...readRawEvents(FEW_HOURS_2021)];

    beforeAll(async () => {
      server = await startTestServer({
        EVENTSCORE_MAX_BATCH_SIZE: "1000",
        EVENTSCORE_MAX_REPORT_DAYS: "3000",
        ...env(),
      });
      const ingest = server.instance.app.services.ingest;
      for (let start = 0; start < raw.length; start += 1000) {
        const result = await ingest.record(raw.slice(start, start + 1000).map(fromGitHubEvent));
        expect(result.rejected).toEqual([]);
      }
    }, 300_000);

    afterAll(() => server?.stop());

    const report = async (from: string, to: string, groupBy: Dimension[], types: string[] | null = null) => {
      const result = await server.gql<{ report: { rows: Row[] } }>(
        `query ($from: Date!, $to: Date!, $groupBy: [ReportDimension!]!, $types: [String!]) {
        report(from: $from, to: $to, groupBy: $groupBy, filter: { types: $types }) {
          rows { period type category group events users score }
        }
      }`,
        { from, to, groupBy, types },
      );
      expect(result.errors).toBeUndefined();
      return result.data!.report.rows;
    };

    it.each<[Dimension[], string[] | null]>([
      [[], null],
      [["TYPE"], null],
      [["DAY", "TYPE"], null],
      // Whole months from month rows' counts (Cassandra, cql/010); MONTH alone joins their sets.
      [["MONTH", "TYPE"], null],
      [["MONTH"], null],
      [["MONTH", "TYPE", "GROUP"], null],
      [["CATEGORY"], null],
      [["GROUP"], null],
      [
        ["TYPE", "GROUP"],
        ["PushEvent", "PullRequestEvent"],
      ],
    ])("matches the brute force grouped by %j (types %j)", async (groupBy, types) => {
      const rows = await report("2015-01-01", "2021-07-22", groupBy, types);
      expect(rows).toEqual(bruteForce(raw, groupBy, types));
    });

    it("limits a report to its days", async () => {
      const rows = await report("2021-07-21", "2021-07-22", ["DAY"]);
      expect(rows).toEqual(bruteForce(readRawEvents(FEW_HOURS_2021), ["DAY"]));
      expect(rows[0]).toMatchObject({ period: "2021-07-21", events: 800, users: 573 });
    });

    it("serves the same report as CSV", async () => {
      const response = await fetch(
        `${server.url.replace("/graphql", "/reports.csv")}?from=2015-01-01&to=2015-01-02&groupBy=TYPE`,
      );
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("text/csv; charset=utf-8");
      const lines = (await response.text()).trimEnd().split("\r\n");
      expect(lines[0]).toBe("period,type,category,group,events,users,score");
      const expected = bruteForce([...readRawEvents(HOUR_0), ...readRawEvents(HOUR_1)], ["TYPE"]);
      expect(lines.slice(1)).toEqual(expected.map((r) => `,${r.type},,,${r.events},${r.users},${r.score}`));
    });

    it("refuses a range over the configured maximum with a clear error", async () => {
      const result = await server.gql(`{ report(from: "2015-01-01", to: "2025-01-01") { rows { events } } }`);
      expect(result.errors?.[0]?.extensions?.["code"]).toBe("BAD_USER_INPUT");
      expect(result.errors?.[0]?.message).toContain("EVENTSCORE_MAX_REPORT_DAYS");
      const csv = await fetch(`${server.url.replace("/graphql", "/reports.csv")}?from=2015-01-01`);
      expect(csv.status).toBe(400);
    });
  });
}

describeReports("embedded SQLite store", () => ({}));

const backend = await productionForTests("reports");
if (backend === null) {
  describe.skip("reports through Kafka into Cassandra", () => {
    it.skip("needs Cassandra and Kafka (see test/support/)", () => {});
  });
} else {
  // A keyspace and a topic of its own, created by the server and dropped after it stops.
  afterAll(() => backend.drop(), 120_000);
  describeReports(`Kafka log + aggregator + Cassandra store, ${backend.source}`, () => backend.env);
}
