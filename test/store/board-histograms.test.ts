import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { periodOf } from "../../src/domain/time.js";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { storedEvent } from "../support/stored-event.js";

function pushes(userId: string, n: number, from = 0) {
  return Array.from({ length: n }, (_, i) =>
    storedEvent({
      id: `${userId}-${from + i}`,
      userId,
      type: "PushEvent",
      at: "2024-04-03T10:00:00Z",
      points: 1,
    }),
  );
}

/**
 * Ranks and board sizes come from a kept histogram of the board once it is asked about twice
 * between two commits (board-histograms.ts); every commit, the writer thread's or the store's
 * own connection's, must make the next answer see it.
 */
describe("SQLite ranks from kept board histograms", () => {
  const dir = mkdtempSync(join(tmpdir(), "eventscore-histograms-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const period = periodOf("ALL_TIME", new Date("2024-04-04T00:00:00Z"));

  for (const writer of ["thread", "inline"] as const) {
    it(`stays exact across commits (writer: ${writer})`, async () => {
      const store = new SqliteStore({ path: join(dir, `${writer}.db`), writer });
      await store.migrate();
      try {
        await store.append([...pushes("a", 3), ...pushes("b", 2), ...pushes("c", 1)]);
        const ranks = async () => {
          const board = await store.standings(["a", "b", "c", "d"], period, null);
          const page = await store.leaderboard({
            period,
            type: null,
            limit: 2,
            after: { value: 3, userId: "a" },
          });
          return {
            total: board.total,
            ranks: board.standings.map((s) => s && [s.userId, s.rank]),
            page: page.map((s) => [s.userId, s.rank]),
          };
        };
        const before = {
          total: 3,
          ranks: [["a", 1], ["b", 2], ["c", 3], null],
          page: [
            ["b", 2],
            ["c", 3],
          ],
        };
        // The first ask reads sums; the next ones the kept histogram: the same answers.
        for (let i = 0; i < 3; i += 1) expect(await ranks()).toEqual(before);
        // d passes everyone and c draws level with b: the next answer sees the commit.
        await store.append([...pushes("d", 4), ...pushes("c", 1, 1)]);
        const after = {
          total: 4,
          ranks: [
            ["a", 2],
            ["b", 3],
            ["c", 3],
            ["d", 1],
          ],
          page: [
            ["b", 3],
            ["c", 3],
          ],
        };
        for (let i = 0; i < 3; i += 1) expect(await ranks()).toEqual(after);
        // A rebuild writes on the store's own connection.
        await store.rebuildAggregates();
        for (let i = 0; i < 3; i += 1) expect(await ranks()).toEqual(after);
      } finally {
        await store.close();
      }
    });
  }
});
