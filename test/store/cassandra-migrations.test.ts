/** The migration runner: placeholders, bookkeeping, and two processes migrating one keyspace at once. */
import { describe, expect, it } from "vitest";
import { createClient, loadMigrations, runMigrations } from "../../src/store/cassandra/index.js";
import { splitCql } from "../../src/store/cassandra/migrations.js";
import { cassandraForTests, uniqueKeyspace } from "../support/cassandra.js";

const target = await cassandraForTests();

describe("cql/ migrations", () => {
  it("fill in the keyspace and replication, and give every table a comment", () => {
    const migrations = loadMigrations({
      keyspace: "ks_test",
      replication: { class: "NetworkTopologyStrategy", dataCenters: { dc1: 3, dc2: 2 } },
    });
    expect(migrations.map((m) => m.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const all = migrations.flatMap((m) => m.statements);
    expect(all.join("\n")).not.toContain("{{");
    expect(all[0]).toContain("{'class': 'NetworkTopologyStrategy', 'dc1': 3, 'dc2': 2}");
    for (const create of all.filter((s) => s.startsWith("CREATE TABLE"))) {
      expect(create).toMatch(/ks_test\./);
      expect(create).toMatch(/comment = '[^']+'/);
    }
  });

  it("split on line-ending semicolons only", () => {
    expect(splitCql("-- a; comment\nCREATE X WITH comment = 'a; b';\nDROP Y;")).toEqual([
      "CREATE X WITH comment = 'a; b'",
      "DROP Y",
    ]);
  });
});

describe.skipIf(target === null)("cassandra: migrate()", { timeout: 180_000 }, () => {
  it("is safe when two processes migrate a new keyspace at once, and records each version once", async () => {
    const options = { ...target!, keyspace: uniqueKeyspace("migrate") };
    const clients = [createClient(options), createClient(options)];
    try {
      const migrationTarget = {
        keyspace: options.keyspace,
        replication: { class: "SimpleStrategy", replicationFactor: 1 } as const,
      };
      const applied = await Promise.all(clients.map((client) => runMigrations(client, migrationTarget)));
      // One process applied every version; the other waited for the lease and found nothing to do.
      expect(applied.flat().sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
      const rows = await clients[0]!.execute(`SELECT version FROM ${options.keyspace}.schema_migrations`);
      expect(rows.rows.map((r) => Number(r["version"])).sort((a, b) => a - b)).toEqual([
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
      ]);
      expect(await runMigrations(clients[1]!, migrationTarget)).toEqual([]);
      const tables = await clients[0]!.execute(
        "SELECT table_name FROM system_schema.tables WHERE keyspace_name = ?",
        [options.keyspace],
      );
      // schema_migrations, the 8 tables of 001-003, the 5 log-fed tables of 004, board_values (005)
      // report_rollups (007), events_by_user_quarter (008), report_cell_buckets (009) and
      // report_rollup_buckets (011).
      expect(tables.rowLength).toBe(19);
    } finally {
      await clients[0]!.execute(`DROP KEYSPACE IF EXISTS ${options.keyspace}`);
      await Promise.all(clients.map((client) => client.shutdown()));
    }
  });
});
