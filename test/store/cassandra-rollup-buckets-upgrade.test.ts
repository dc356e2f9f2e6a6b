/**
 * A keyspace written before cql/011 keeps its rollups in report_rollups (a month per partition,
 * rows per day and per month with users_count: layout 10). Through the upgrade reports must read
 * the same rollups: from report_rollups until a rebuild, from report_rollup_buckets after it;
 * aggregators must wait for that rebuild rather than count into buckets that lack the older rows.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "../../src/store/cassandra/index.js";
import { CassandraLogFedStore } from "../../src/store/cassandra/log-fed-store.js";
import { AggregatesNeedRebuildError } from "../../src/store/cassandra/shard/layout.js";
import type { ReportScope } from "../../src/store/port.js";
import { event } from "../contract/store-contract.js";
import { cassandraForTests, uniqueKeyspace } from "../support/cassandra.js";
import { InProcessLog } from "../support/in-process-log.js";
import { backToLayout10 } from "../support/legacy-rollups.js";
import { expectExactAggregates, rollupLines } from "../support/log-fed-truth.js";

const target = await cassandraForTests();
const SHARDS = 2;
const DAYS = ["2024-06-10", "2024-06-11"];

describe.skipIf(target === null)(
  "cassandra: report rollups through the upgrade to buckets (cql/011)",
  { timeout: 120_000 },
  () => {
    const options = { ...target!, keyspace: uniqueKeyspace("rollup") };
    const client = createClient(options);
    const ks = options.keyspace;
    const fresh = (): CassandraLogFedStore =>
      new CassandraLogFedStore(client, options, { ownsClient: false });
    const events = Array.from({ length: 150 }, (_, i) =>
      event(
        `r-${i}`,
        `user-${i % 7}`,
        i % 3 === 0 ? "IssuesEvent" : "PushEvent",
        `${DAYS[i % 2]}T${String(i % 24).padStart(2, "0")}:00:00Z`,
        { points: (i % 4) + 1, category: `owner-${i % 11}`, groups: i % 2 === 0 ? [`org-${i % 5}`] : [] },
      ),
    );
    /** Every read a report makes of rollups, as lines. */
    const reads = async (store: CassandraLogFedStore): Promise<Record<string, string[]>> => {
      const out: Record<string, string[]> = {};
      for (const scope of ["all", "group"] as ReportScope[]) {
        out[`${scope} days`] = rollupLines(await store.reportRollups(DAYS, scope));
        out[`${scope} day counts`] = rollupLines(await store.reportRollups(DAYS, scope, "count"));
        out[`${scope} month`] = rollupLines(await store.reportMonthRollups(["2024-06"], scope));
        out[`${scope} month counts`] = rollupLines(
          await store.reportMonthRollups(["2024-06"], scope, "count"),
        );
      }
      return out;
    };

    beforeAll(async () => {
      await client.connect();
      await fresh().migrate();
    });

    afterAll(async () => {
      await client.execute(`DROP KEYSPACE IF EXISTS ${ks}`);
      await client.shutdown();
    });

    it("reads report_rollups until a rebuild, then the buckets, with the same answers; writers wait for it", async () => {
      const store = fresh();
      const log = new InProcessLog(store, SHARDS);
      await log.append(events);
      const expected = await reads(store);
      expect(expected["group days"]!.length).toBeGreaterThan(10);

      // What the previous version left: the buckets' rows merged into report_rollups, layout 10.
      await backToLayout10(client, ks);

      const upgraded = fresh();
      expect(await reads(upgraded)).toEqual(expected);
      await expect(upgraded.openShard(0, SHARDS)).rejects.toBeInstanceOf(AggregatesNeedRebuildError);

      expect(await upgraded.rebuild()).toBe(events.length);
      const legacy = await client.execute(`SELECT COUNT(*) AS n FROM ${ks}.report_rollups`);
      expect(Number(legacy.first()?.["n"])).toBe(0);
      const rebuilt = fresh();
      expect(await reads(rebuilt)).toEqual(expected);
      await expectExactAggregates(client, ks, events, (user) => log.shardOf(user));
      // Writers take partitions over again, and count into the buckets.
      const after = new InProcessLog(rebuilt, SHARDS);
      const more = event("r-more", "user-0", "PushEvent", `${DAYS[1]}T23:30:00Z`, {
        points: 5,
        groups: ["org-1"],
      });
      await after.append([...events, more]);
      await expectExactAggregates(client, ks, [...events, more], (user) => log.shardOf(user));
    });
  },
);
