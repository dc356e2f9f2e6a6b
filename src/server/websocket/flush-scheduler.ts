/** What the scheduler flushes: a socket's outbox, marked while it waits for its turn. */
export interface Flushable {
  marked: boolean;
  flush(): void;
}

/**
 * Flushes the outboxes that have frames, a few milliseconds at a time: a fan-out to many sockets is
 * written in slices with the event loop free in between (for HTTP requests, ingest and timers).
 *
 * Outboxes wait in one first-in first-out line, each at most once (its `marked` flag), and a slice
 * resumes where the last one stopped. The line is never rebuilt: re-marking every outbox left over
 * after each slice cost O(sockets) per slice, and a fan-out to 5,000 sockets takes dozens of slices
 * (9 % of the server's CPU in bench:live at 50,000 subscriptions).
 */
export class FlushScheduler<T extends Flushable = Flushable> {
  private line: T[] = [];
  private head = 0;
  private pending: NodeJS.Immediate | null = null;

  constructor(private readonly sliceMs = 5) {}

  /** Outboxes waiting for their turn. */
  get waiting(): number {
    return this.line.length - this.head;
  }

  /** Gives the outbox a turn, unless it already waits for one. */
  mark(outbox: T): void {
    if (outbox.marked) return;
    outbox.marked = true;
    this.line.push(outbox);
    this.pending ??= setImmediate(this.run);
  }

  private readonly run = (): void => {
    this.pending = null;
    const until = performance.now() + this.sliceMs;
    while (this.head < this.line.length) {
      const outbox = this.line[this.head++]!;
      // Unmarked before its flush: a frame queued during the flush (or after) earns a new turn.
      outbox.marked = false;
      outbox.flush();
      if (performance.now() >= until) break;
    }
    if (this.head === this.line.length) {
      this.line = [];
      this.head = 0;
      return;
    }
    // Drop the served prefix once it outweighs what is left, so the line's memory stays bounded.
    if (this.head > 1024 && this.head * 2 > this.line.length) {
      this.line = this.line.slice(this.head);
      this.head = 0;
    }
    this.pending = setImmediate(this.run);
  };
}
