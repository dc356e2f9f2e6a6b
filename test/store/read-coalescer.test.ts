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

  it("lets callers that arrive before the event loop's next turn share a read that answers at once", async () => {
    // SQLite answers synchronously: a read begun in a microtask would be over before the requests
    // parsed in the same turn reach the coalescer, and each would get a read of its own.
    const coalescer = new ReadCoalescer<number>();
    let loads = 0;
    const load = () => Promise.resolve((loads += 1));
    const first = coalescer.read("report", load);
    for (let i = 0; i < 5; i += 1) await Promise.resolve();
    const second = coalescer.read("report", load);
    expect(await Promise.all([first, second])).toEqual([1, 1]);
    expect(loads).toBe(1);
    // A caller of the next turn gets a read begun after it asked.
    expect(await coalescer.read("report", load)).toBe(2);
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

  describe("cancellation", () => {
    /** A load that stays pending until its signal aborts, recording each signal it was given. */
    function abortableLoads() {
      const signals: AbortSignal[] = [];
      return {
        signals,
        load: (signal: AbortSignal) =>
          new Promise<number>((resolve, reject) => {
            signals.push(signal);
            signal.addEventListener("abort", () => reject(new Error("stopped")));
            setTimeout(() => resolve(signals.length), 50);
          }),
      };
    }

    it("rejects a leaving caller at once and keeps the read for the others", async () => {
      const coalescer = new ReadCoalescer<number>();
      const reads = abortableLoads();
      const gone = new AbortController();
      const leaving = coalescer.read("report", reads.load, gone.signal);
      await tick();
      const staying = coalescer.read("report", reads.load, new AbortController().signal);
      const plain = coalescer.read("report", reads.load);
      gone.abort(new Error("client gone"));
      await expect(leaving).rejects.toThrow("client gone");
      // The first caller had started a read alone, and nobody else waits for it: it stops. The
      // other two waited for the next read, together, and get it whole.
      expect(reads.signals[0]!.aborted).toBe(true);
      expect(await Promise.all([staying, plain])).toEqual([2, 2]);
      expect(reads.signals.map((s) => s.aborted)).toEqual([true, false]);
      expect(coalescer.size).toBe(0);
    });

    it("aborts a read once every caller of its batch has left", async () => {
      const coalescer = new ReadCoalescer<number>();
      const reads = abortableLoads();
      const a = new AbortController();
      const b = new AbortController();
      const first = coalescer.read("k", reads.load, a.signal);
      await tick();
      const second = coalescer.read("k", reads.load, b.signal);
      // The waiting batch's only caller leaves while the first read runs: no read will start for it.
      b.abort(new Error("b gone"));
      await expect(second).rejects.toThrow("b gone");
      expect(reads.signals[0]!.aborted).toBe(false);
      a.abort(new Error("a gone"));
      await expect(first).rejects.toThrow("a gone");
      await tick();
      expect(reads.signals[0]!.aborted).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 80));
      expect(reads.signals).toHaveLength(1);
      expect(coalescer.size).toBe(0);
      // A newcomer after all that gets a read of its own, not an aborted one.
      expect(await coalescer.read("k", reads.load, new AbortController().signal)).toBe(2);
      expect(reads.signals[1]!.aborted).toBe(false);
    });

    it("refuses a caller whose signal has already aborted, without reading", async () => {
      const coalescer = new ReadCoalescer<number>();
      const reads = abortableLoads();
      const done = new AbortController();
      done.abort(new Error("deadline passed"));
      await expect(coalescer.read("k", reads.load, done.signal)).rejects.toThrow("deadline passed");
      expect(reads.signals).toHaveLength(0);
    });
  });
});
