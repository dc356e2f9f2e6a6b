/**
 * `wait: APPLIED` answers as soon as every row that readers see is written, not after the
 * aggregator's own progress row (docs/cassandra.md, "Log-first ingest", step 4): a real broker,
 * real aggregators and Cassandra, with the shard writer held right after its counts step, so the
 * progress row cannot have been written when the answer comes. With the progress row missing the
 * waiter's fallback poll cannot answer either, so the answer comes from the applied notice: sent
 * through the pub/sub, or handed directly to the waiter of the aggregator's own process.
 */
import { afterAll, describe, expect, it } from "vitest";
import { periodOf } from "../../src/domain/time.js";
import { createClient } from "../../src/store/cassandra/index.js";
import { CassandraLogFedStore } from "../../src/store/cassandra/log-fed-store.js";
import { event } from "../contract/store-contract.js";
import { cassandraForTests, uniqueKeyspace } from "../support/cassandra.js";
import { createTestTopic, kafkaForTests, type TestTopic } from "../support/kafka.js";
import { startKafkaPipeline, type KafkaPipeline } from "../support/kafka-pipeline.js";

const cassandra = await cassandraForTests();
const kafka = await kafkaForTests();

if (cassandra === null || kafka === null) {
  describe.skip("wait: APPLIED before the progress row", () => {
    it.skip("needs Cassandra and Kafka (see test/support/)", () => {});
  });
} else {
  const base = { contactPoints: cassandra.contactPoints, localDataCenter: cassandra.localDataCenter };
  const client = createClient({ ...base, keyspace: "system" });
  const keyspaces: string[] = [];
  const topics: TestTopic[] = [];
  const pipelines: KafkaPipeline[] = [];

  afterAll(async () => {
    for (const pipeline of pipelines) await pipeline.close();
    for (const topic of topics) await topic.delete();
    for (const keyspace of keyspaces) await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
    await client.shutdown();
  }, 120_000);

  describe("wait: APPLIED before the progress row", () => {
    it.each([
      ["through the pub/sub", false],
      ["handed directly to this process's waiter", true],
    ])(
      "answers with exact outcomes while the progress row is unwritten, and reads already see the events (%s)",
      async (_how, localNotices) => {
        // While `held` is set, every apply waits after its counts step: the progress row comes after.
        let held: Promise<void> | null = null;
        // A keyspace of its own: the progress rows are per log partition, and each case has a partition 0.
        const options = { ...base, keyspace: uniqueKeyspace("earlynotice") };
        keyspaces.push(options.keyspace);
        const store = new CassandraLogFedStore(client, options, {
          ownsClient: false,
          afterWriteStep: async (_shard, step) => {
            if (step === "type-counts" && held) await held;
          },
        });
        await client.connect();
        await store.migrate();
        const topic = await createTestTopic(kafka, "early", 1);
        topics.push(topic);
        const pipeline = await startKafkaPipeline(kafka, topic, store, { localNotices });
        pipelines.push(pipeline);
        await pipeline.startAggregator();
        const progressReaches = async (offset: number): Promise<void> => {
          for (let i = 0; i < 100 && (await store.appliedOffsets()).get(0) !== offset; i++)
            await new Promise((resolve) => setTimeout(resolve, 50));
          expect((await store.appliedOffsets()).get(0)).toBe(offset);
        };
        const day = periodOf("DAY", new Date("2026-12-06T12:00:00Z"));

        const user = `early-${localNotices ? "direct" : "pubsub"}`;
        const first = event(`${user}-1`, user, "PushEvent", "2026-12-06T10:00:00Z", { points: 3 });
        expect(await pipeline.recorder.record([first], "APPLIED")).toEqual({
          applied: true,
          outcomes: ["inserted"],
        });
        await progressReaches(0);

        // The consumer hands a partition's records over as they arrive, so one at a time: each
        // apply is held in turn, and each answer must come while its progress row is unwritten.
        const second = event(`${user}-2`, user, "IssuesEvent", "2026-12-06T11:00:00Z", { points: 2 });
        const conflicting = { ...first, repo: "other/repo", fingerprint: `${first.fingerprint}-other` };
        const cases = [
          { event: second, outcome: "inserted", count: 2, points: 5 },
          { event: first, outcome: "duplicate", count: 2, points: 5 },
          { event: conflicting, outcome: "conflict", count: 2, points: 5 },
        ] as const;
        for (const [offset, expected] of cases.entries()) {
          let release: () => void = () => undefined;
          held = new Promise<void>((resolve) => (release = resolve));
          try {
            const recorded = await pipeline.recorder.record([expected.event], "APPLIED");
            expect(recorded).toEqual({ applied: true, outcomes: [expected.outcome] });
            // The writer is still held after its counts: the progress row is a batch behind...
            expect((await store.appliedOffsets()).get(0)).toBe(offset);
            // ...and yet every read sees what the answer said.
            const [tally] = await store.tallies([user], day);
            expect(tally).toMatchObject({ userId: user, count: expected.count, points: expected.points });
          } finally {
            held = null;
            release();
          }
          await progressReaches(offset + 1);
        }
      },
      60_000,
    );
  });
}
