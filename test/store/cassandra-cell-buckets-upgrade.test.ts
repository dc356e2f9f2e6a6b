/**
 * A keyspace written before cql/009 keeps its report cells in report_cells (one partition per day,
 * scope and shard, layout 7). Through the upgrade reports must read the same cells: from
 * report_cells until a rebuild, from report_cell_buckets after it; aggregators must wait for that
 * rebuild rather than count into buckets that lack the older cells.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "../../src/store/cassandra/index.js";
import { CassandraLogFedStore } from "../../src/store/cassandra/log-fed-store.js";
import { AggregatesNeedRebuildError } from "../../src/store/cassandra/shard/layout.js";
import type { ReportCell, ReportScope } from "../../src/store/port.js";
import { event } from "../contract/store-contract.js";
import { cassandraForTests, uniqueKeyspace } from "../support/cassandra.js";
import { InProcessLog } from "../support/in-process-log.js";
import { expectExactAggregates } from "../support/log-fed-truth.js";

const target = await cassandraForTests();
const SHARDS = 2;
const DAY = "2024-06-10";

const lines = (cells: readonly ReportCell[]): string[] =>
  cells.map((c) => `${c.userId}|${c.type}|${c.category}|${c.group}=${c.events},${c.points}`).sort();

describe.skipIf(target === null)(
  "cassandra: report cells through the upgrade to buckets (cql/009)",
  { timeout: 120_000 },
  () => {
    const options = { ...target!, keyspace: uniqueKeyspace("cellup") };
    const client = createClient(options);
    const ks = options.keyspace;
    const fresh = (): CassandraLogFedStore =>
      new CassandraLogFedStore(client, options, { ownsClient: false });
    const events = Array.from({ length: 120 }, (_, i) =>
      event(
        `u-${i}`,
        `user-${i % 7}`,
        i % 3 === 0 ? "IssuesEvent" : "PushEvent",
        `${DAY}T${String(i % 24).padStart(2, "0")}:00:00Z`,
        {
          points: (i % 4) + 1,
          category: `owner-${i % 11}`,
          groups: i % 2 === 0 ? [`org-${i % 5}`] : [],
        },
      ),
    );
    const read = async (store: CassandraLogFedStore, scope: ReportScope): Promise<string[]> =>
      lines(await store.reportCells(DAY, scope));

    beforeAll(async () => {
      await client.connect();
      await fresh().migrate();
    });

    afterAll(async () => {
      await client.execute(`DROP KEYSPACE IF EXISTS ${ks}`);
      await client.shutdown();
    });

    it("reads report_cells until a rebuild, then the buckets, with the same cells; writers wait for it", async () => {
      const store = fresh();
      const log = new InProcessLog(store, SHARDS);
      await log.append(events);
      const expected = { all: await read(store, "all"), group: await read(store, "group") };
      expect(expected.all.length).toBeGreaterThan(40);

      // What the previous version left: the same cells in report_cells, layout 7.
      const cells = await client.execute(`SELECT * FROM ${ks}.report_cell_buckets`, [], { fetchSize: 5000 });
      for (const row of cells.rows) {
        await client.execute(
          `INSERT INTO ${ks}.report_cells (day, scope, shard, user_id, type, category, group_name, events, points, fence)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) USING TIMESTAMP ?`,
          [
            row["day"],
            row["scope"],
            row["shard"],
            row["user_id"],
            row["type"],
            row["category"],
            row["group_name"],
            row["events"],
            row["points"],
            row["fence"],
            row["fence"],
          ],
          { prepare: true },
        );
      }
      await client.execute(`TRUNCATE ${ks}.report_cell_buckets`);
      await client.execute(`UPDATE ${ks}.meta SET value = 7 WHERE name = 'aggregates'`);

      const upgraded = fresh();
      expect(await read(upgraded, "all")).toEqual(expected.all);
      expect(await read(upgraded, "group")).toEqual(expected.group);
      await expect(upgraded.openShard(0, SHARDS)).rejects.toBeInstanceOf(AggregatesNeedRebuildError);

      expect(await upgraded.rebuild()).toBe(events.length);
      const legacy = await client.execute(`SELECT COUNT(*) AS n FROM ${ks}.report_cells`);
      expect(Number(legacy.first()?.["n"])).toBe(0);
      const rebuilt = fresh();
      expect(await read(rebuilt, "all")).toEqual(expected.all);
      expect(await read(rebuilt, "group")).toEqual(expected.group);
      await expectExactAggregates(client, ks, events, (user) => log.shardOf(user));
      // Writers take partitions over again, and count into the buckets.
      const after = new InProcessLog(rebuilt, SHARDS);
      const more = event("u-more", "user-0", "PushEvent", `${DAY}T23:30:00Z`, {
        points: 5,
        category: "late",
      });
      await after.append([...events, more]);
      await expectExactAggregates(client, ks, [...events, more], (user) => log.shardOf(user));
    });
  },
);
