/**
 * Write batches packed by replicas (partition-batches.ts): the routing key we compute must hash to
 * the token Cassandra gives the partition, or batches would be grouped by the wrong replicas; and
 * the packing must keep every statement exactly once, within the row and partition limits, never
 * mixing partitions that live on different replicas.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BATCH_BYTES,
  BATCH_ROWS,
  MAX_PARTITIONS,
  packByReplicas,
  routingKey,
  type KeyedStatement,
} from "../../src/store/cassandra/partition-batches.js";
import { CassandraLogFedStore, createClient } from "../../src/store/cassandra/index.js";
import { cassandraForTests, uniqueKeyspace } from "../support/cassandra.js";

const target = await cassandraForTests();

describe("packByReplicas", () => {
  const statement = (partition: string, row: number): KeyedStatement => ({
    query: "q",
    params: [partition, row],
    partition: [partition],
  });
  /** Partitions a* live on hosts 1 and 2, b* on 2 and 3, z* on unknown replicas. */
  const replicas = (key: Buffer) => {
    const first = key.toString("utf8").charAt(0);
    if (first === "a") return [{ address: "h2" }, { address: "h1" }];
    if (first === "b") return [{ address: "h3" }, { address: "h2" }];
    return null;
  };

  it("keeps each statement once, within the limits, without mixing replica sets", () => {
    const statements: KeyedStatement[] = [];
    for (let p = 0; p < 25; p++)
      for (let row = 0; row < (p % 7 === 0 ? 95 : 1 + (p % 3)); row++)
        statements.push(statement(`${"abz".charAt(p % 3)}${p}`, row));
    const batches = packByReplicas(statements, replicas);

    const seen = batches.flat().map((s) => JSON.stringify(s.params));
    expect(seen.sort()).toEqual(statements.map((s) => JSON.stringify(s.params)).sort());
    for (const batch of batches) {
      const partitions = new Set(batch.map((s) => String(s.params[0])));
      expect(batch.length).toBeLessThanOrEqual(BATCH_ROWS);
      expect(partitions.size).toBeLessThanOrEqual(MAX_PARTITIONS);
      const families = new Set([...partitions].map((p) => p.charAt(0)));
      expect(families.size).toBe(1);
      // Unknown replicas: a partition's statements go alone.
      if (families.has("z")) expect(partitions.size).toBe(1);
    }
    // Small partitions of one replica set share batches (fewer requests than partitions).
    expect(batches.length).toBeLessThan(new Set(statements.map((s) => s.params[0])).size);
  });

  it("keeps batches under BATCH_BYTES of values; a bigger statement goes alone", () => {
    const payload = (bytes: number, p: number): KeyedStatement => ({
      query: "q",
      params: [`a${p}`, "x".repeat(bytes)],
      partition: [`a${p}`],
    });
    const big = payload(BATCH_BYTES * 2, 0);
    const statements = [big, ...Array.from({ length: 12 }, (_, p) => payload(BATCH_BYTES / 4, p + 1))];
    const batches = packByReplicas(statements, replicas);
    const bytes = (batch: readonly { params: unknown[] }[]) =>
      batch.reduce((sum, s) => sum + String(s.params[1]).length, 0);
    expect(batches.flat()).toHaveLength(statements.length);
    expect(batches.filter((b) => bytes(b) > BATCH_BYTES)).toEqual([
      [{ query: big.query, params: big.params }],
    ]);
    expect(batches.length).toBeLessThan(statements.length);
  });

  it("cuts a big partition into batches of BATCH_ROWS", () => {
    const statements = Array.from({ length: 2 * BATCH_ROWS + 1 }, (_, row) => statement("a-big", row));
    expect(packByReplicas(statements, replicas).map((b) => b.length)).toEqual([BATCH_ROWS, BATCH_ROWS, 1]);
  });
});

describe.skipIf(target === null)("routingKey against Cassandra's token()", () => {
  const options = {
    contactPoints: target?.contactPoints ?? [],
    localDataCenter: target?.localDataCenter ?? "datacenter1",
    keyspace: uniqueKeyspace("batches"),
  };
  const client = createClient(options);

  beforeAll(async () => {
    await client.connect();
    await new CassandraLogFedStore(client, options, { ownsClient: false }).migrate();
  }, 180_000);

  afterAll(async () => {
    await client.execute(`DROP KEYSPACE IF EXISTS ${options.keyspace}`);
    await client.shutdown();
  }, 120_000);

  it("hashes single and composite (text + int) partition keys to the server's token", async () => {
    const ks = options.keyspace;
    const user = "octocat-é";
    await client.execute(
      `INSERT INTO ${ks}.days_by_user (user_id, day) VALUES (?, ?)`,
      [user, "2015-01-01"],
      {
        prepare: true,
      },
    );
    await client.execute(
      `INSERT INTO ${ks}.board_shards (time_window, bucket, metric, shard, value, user_id) VALUES (?, ?, ?, ?, ?, ?)`,
      ["WEEK", "2015-01-05", "*", 7, 3, user],
      { prepare: true },
    );
    const single = await client.execute(
      `SELECT token(user_id) AS t FROM ${ks}.days_by_user WHERE user_id = ?`,
      [user],
    );
    const composite = await client.execute(
      `SELECT token(time_window, bucket, metric, shard) AS t FROM ${ks}.board_shards
       WHERE time_window = ? AND bucket = ? AND metric = ? AND shard = ?`,
      ["WEEK", "2015-01-05", "*", 7],
      { prepare: true },
    );
    const tokenOf = (parts: (string | number)[]) => client.metadata.newToken(routingKey(parts)).toString();
    expect(tokenOf([user])).toBe(String(single.first()?.["t"]));
    expect(tokenOf(["WEEK", "2015-01-05", "*", 7])).toBe(String(composite.first()?.["t"]));
    // The driver knows the replicas of the new keyspace, so packing groups by them.
    expect(client.getReplicas(ks, routingKey([user]))?.length).toBeGreaterThan(0);
  });
});
