/** The bucket of a report cell (cql/009): stable across versions, and spread evenly. */
import { describe, expect, it } from "vitest";
import { CELL_BUCKETS, cellBucketOf } from "../../src/store/cassandra/shard/cell-buckets.js";

/** FNV-1a of the same keys, computed apart from the code under test (Python). */
const EXPECTED = { alice: 15, bob: 10, unicode: 18 };

const cell = (userId: string, type: string, category: string, group: string) => ({
  userId,
  type,
  category,
  group,
});

describe("cellBucketOf", () => {
  it("places cells where stored rows are: FNV-1a of the key's parts, each followed by 0xffff", () => {
    // Expected values from an independent FNV-1a (Python, over UTF-16 code units). A change here
    // strands every stored cell in a bucket that readers and writers no longer look in.
    expect(cellBucketOf(cell("alice", "PushEvent", "", ""))).toBe(EXPECTED.alice);
    expect(cellBucketOf(cell("bob", "IssuesEvent", "acme", "acme"))).toBe(EXPECTED.bob);
    expect(cellBucketOf(cell("ünïcødé-😀", "WatchEvent", "o", ""))).toBe(EXPECTED.unicode);
  });

  it("tells the parts apart and spreads one user's cells over every bucket", () => {
    expect(cellBucketOf(cell("ab", "c", "", ""))).not.toBe(cellBucketOf(cell("a", "bc", "", "")));
    const counts = new Array<number>(CELL_BUCKETS).fill(0);
    for (let i = 0; i < 32_000; i++) counts[cellBucketOf(cell("user-0", "PushEvent", `org-${i}`, ""))]! += 1;
    // 1,000 expected per bucket; a fair hash stays well within ±20 %.
    expect(Math.min(...counts)).toBeGreaterThan(800);
    expect(Math.max(...counts)).toBeLessThan(1_200);
  });
});
