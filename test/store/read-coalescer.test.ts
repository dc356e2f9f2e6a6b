import { describe, expect, it } from "vitest";
import { ReadCoalescer } from "../../src/store/read-coalescer.js";

/** A load whose answers the test releases one at a time, recording when each load started. */
function gatedLoads() {
  const started: number[] = [];
  const release: ((value: number) => void)[] = [];
  let state = 0;
  return {
    started,
    /** The store's state moves on: later loads see a higher value. */
    write: () => (state += 1),
    load: () =>
      new Promise<number>((resolve) => {
        started.push(state);
        const seen = state;
        release.push(() => resolve(seen));
      }),
    releaseNext: () => release.shift()?.(0),
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("ReadCoalescer", () => {
  it("gives concurrent callers of one key one read, and none a read that began before it asked", async () => {
    const coalescer = new ReadCoalescer<number>();
    const gate = gatedLoads();
    const first = coalescer.read("board", gate.load);
    await tick();
    // A write is acknowledged after the first read began; the callers that come next must see it.
    gate.write();
    const later = [1, 2, 3, 4].map(() => coalescer.read("board", gate.load));
    await tick();
    expect(gate.started).toEqual([0]);
    gate.releaseNext();
    expect(await first).toBe(0);
    await tick();
    // One more read for all four waiting callers, begun after they asked.
    expect(gate.started).toEqual([0, 1]);
    gate.releaseNext();
    expect(await Promise.all(later)).toEqual([1, 1, 1, 1]);
    expect(coalescer.size).toBe(0);
  });

  it("keeps keys apart", async () => {
    const coalescer = new ReadCoalescer<string>();
    const [a, b] = await Promise.all([
      coalescer.read("a", () => Promise.resolve("A")),
      coalescer.read("b", () => Promise.resolve("B")),
    ]);
    expect([a, b]).toEqual(["A", "B"]);
  });

  it("fails a batch with its read's error, then reads again for the next callers", async () => {
    const coalescer = new ReadCoalescer<number>();
    let calls = 0;
    const load = () => {
      calls += 1;
      if (calls === 1) throw new Error("node down");
      return Promise.resolve(calls);
    };
    await expect(coalescer.read("k", load)).rejects.toThrow("node down");
    expect(await coalescer.read("k", load)).toBe(2);
    expect(coalescer.size).toBe(0);
  });
});
