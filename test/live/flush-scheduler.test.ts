import { describe, expect, it } from "vitest";
import { FlushScheduler, type Flushable } from "../../src/server/websocket/flush-scheduler.js";

const turn = () => new Promise((resolve) => setImmediate(resolve));

class Recorded implements Flushable {
  marked = false;
  constructor(
    private readonly name: string,
    private readonly log: string[],
    private readonly during?: () => void,
  ) {}
  flush(): void {
    this.log.push(this.name);
    this.during?.();
  }
}

describe("FlushScheduler", () => {
  it("flushes each marked outbox once per mark, first marked first, however often it was marked", async () => {
    const log: string[] = [];
    const scheduler = new FlushScheduler<Recorded>();
    const [a, b, c] = ["a", "b", "c"].map((name) => new Recorded(name, log));
    for (const outbox of [a!, b!, a!, c!, b!]) scheduler.mark(outbox);
    expect(scheduler.waiting).toBe(3);
    await turn();
    expect(log).toEqual(["a", "b", "c"]);
    expect(scheduler.waiting).toBe(0);
    scheduler.mark(b!);
    await turn();
    expect(log).toEqual(["a", "b", "c", "b"]);
  });

  it("resumes a slice where the last stopped, with outboxes marked meanwhile after those still waiting", async () => {
    const log: string[] = [];
    // A slice of 0 ms: one flush per turn of the event loop.
    const scheduler = new FlushScheduler<Recorded>(0);
    const outboxes = Array.from({ length: 4 }, (_, i) => new Recorded(`o${i}`, log));
    for (const outbox of outboxes) scheduler.mark(outbox);
    await turn();
    expect(log).toEqual(["o0"]);
    expect(scheduler.waiting).toBe(3);
    const late = new Recorded("late", log);
    scheduler.mark(late);
    scheduler.mark(outboxes[2]!); // still waiting: keeps its place
    scheduler.mark(outboxes[0]!); // already served: a new turn at the back
    for (let i = 0; i < 5; i++) await turn();
    expect(log).toEqual(["o0", "o1", "o2", "o3", "late", "o0"]);
    expect(scheduler.waiting).toBe(0);
  });

  it("gives an outbox that was marked during its own flush another turn", async () => {
    const log: string[] = [];
    const scheduler = new FlushScheduler<Recorded>();
    let again = true;
    const outbox: Recorded = new Recorded("x", log, () => {
      if (again) scheduler.mark(outbox);
      again = false;
    });
    scheduler.mark(outbox);
    await turn();
    await turn();
    expect(log).toEqual(["x", "x"]);
  });

  it("serves thousands of outboxes in slices, each exactly once", async () => {
    const log: string[] = [];
    const scheduler = new FlushScheduler<Recorded>(0);
    const outboxes = Array.from({ length: 3000 }, (_, i) => new Recorded(String(i), log));
    for (const outbox of outboxes) scheduler.mark(outbox);
    while (scheduler.waiting > 0) await turn();
    expect(log).toEqual(outboxes.map((_, i) => String(i)));
  });
});
