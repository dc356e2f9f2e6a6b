/**
 * Brings a keyspace's rollups back to layout 10, as the version before cql/011 wrote them: the
 * buckets' rows merged per (period, scope, shard, type, group) into report_rollups (a month per
 * partition, the month row's day the month), report_rollup_buckets emptied. For the upgrade test
 * and bench/rollup-reads.ts, which read the same data in both layouts.
 */
import type { Client } from "../../src/store/cassandra/options.js";

export async function backToLayout10(client: Client, keyspace: string): Promise<void> {
  const merged = new Map<
    string,
    { key: unknown[]; events: number; points: number; fence: number; users: Set<string> }
  >();
  const stored = await client.execute(`SELECT * FROM ${keyspace}.report_rollup_buckets`, [], {
    fetchSize: 5000,
  });
  for await (const row of stored) {
    const period = String(row["period"]);
    const key = [period.slice(0, 7), period, row["scope"], row["shard"], row["type"], row["group_name"]];
    const id = JSON.stringify(key);
    const m = merged.get(id) ?? { key, events: 0, points: 0, fence: 0, users: new Set<string>() };
    m.events += Number(row["events"]);
    m.points += Number(row["points"]);
    m.fence = Math.max(m.fence, Number(row["fence"]));
    for (const user of (row["users"] as string[] | null) ?? []) m.users.add(user);
    merged.set(id, m);
  }
  for (const { key, events, points, fence, users } of merged.values()) {
    await client.execute(
      `UPDATE ${keyspace}.report_rollups USING TIMESTAMP ?
       SET events = ?, points = ?, fence = ?, users = users + ?, users_count = ?
       WHERE month = ? AND day = ? AND scope = ? AND shard = ? AND type = ? AND group_name = ?`,
      [fence, events, points, fence, [...users], users.size, ...key],
      { prepare: true },
    );
  }
  await client.execute(`TRUNCATE ${keyspace}.report_rollup_buckets`);
  await client.execute(`UPDATE ${keyspace}.meta SET value = 10 WHERE name = 'aggregates'`);
}
