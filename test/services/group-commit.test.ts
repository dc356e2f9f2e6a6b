import { describe, expect, it } from "vitest";
import { GroupCommitter } from "../../src/services/group-commit.js";

describe("GroupCommitter", () => {
  it("gives each request its own outcomes from one write of everything queued", async () => {
    const writes: number[][] = [];
    const committer = new GroupCommitter<number, string>(async (items) => {
      writes.push([...items]);
      return items.map((item) => `done ${item}`);
    }, 100);
    const answers = await Promise.all([
      committer.submit([1, 2]),
      committer.submit([3]),
      committer.submit([4, 5]),
    ]);
    expect(answers).toEqual([["done 1", "done 2"], ["done 3"], ["done 4", "done 5"]]);
    expect(writes).toEqual([[1, 2, 3, 4, 5]]);
  });

  it("fails every request of a write that answered for another number of items, then goes on", async () => {
    let broken = true;
    const committer = new GroupCommitter<number, string>(
      async (items) => (broken ? items.slice(1) : items).map(String),
      100,
    );
    const answers = await Promise.allSettled([committer.submit([1, 2]), committer.submit([3])]);
    expect(answers.map((a) => a.status)).toEqual(["rejected", "rejected"]);
    expect(String((answers[0] as PromiseRejectedResult).reason)).toMatch(/2 outcomes for 3 events/);
    broken = false;
    expect(await committer.submit([7])).toEqual(["7"]);
  });
});
