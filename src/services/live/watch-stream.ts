/**
 * How a stream treats values its consumer has not taken yet. `latest`: only the newest is kept
 * (a score or a top N: intermediate states may be skipped, the last one always arrives). `every`:
 * each value is kept, in order, up to the stream's bound (recorded events are never skipped).
 */
export type Coalescing = "latest" | "every";

/** Thrown to the consumer of an `every` stream that let more values wait than its bound. */
export class StreamOverflowError extends Error {
  override readonly name = "StreamOverflowError";

  constructor(readonly limit: number) {
    super(`more than ${limit} live updates waited for this subscription; it was ended`);
  }
}

/**
 * One consumer's view of a shared watch: an async iterator that the watch pushes values into.
 * Pushing never waits for the consumer; the queue follows the stream's coalescing rule.
 */
export class WatchStream<T> implements AsyncIterableIterator<T> {
  private queue: T[] = [];
  private head = 0;
  private waiting: ((result: IteratorResult<T>) => void) | null = null;
  private failWaiting: ((error: Error) => void) | null = null;
  private failure: Error | null = null;
  private ended = false;

  constructor(
    readonly coalescing: Coalescing,
    private readonly maxQueued: number,
    private readonly onEnd: () => void,
  ) {}

  /** Values waiting for the consumer. */
  get queued(): number {
    return this.queue.length - this.head;
  }

  push(value: T): void {
    if (this.ended) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = this.failWaiting = null;
      resolve({ value, done: false });
      return;
    }
    if (this.coalescing === "latest") {
      this.queue = [value];
      this.head = 0;
      return;
    }
    if (this.queued >= this.maxQueued) {
      this.fail(new StreamOverflowError(this.maxQueued));
      return;
    }
    this.queue.push(value);
  }

  next(): Promise<IteratorResult<T>> {
    if (this.head < this.queue.length) {
      const value = this.queue[this.head++]!;
      if (this.head === this.queue.length) {
        this.queue = [];
        this.head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.failure) {
      const failure = this.failure;
      this.failure = null;
      return Promise.reject(failure);
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiting = resolve;
      this.failWaiting = reject;
    });
  }

  return(): Promise<IteratorResult<T>> {
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(): Promise<IteratorResult<T>> {
    return this.return();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Ends the stream: a waiting consumer is told it is done, queued values are dropped. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.queue = [];
    this.head = 0;
    this.waiting?.({ value: undefined, done: true });
    this.waiting = this.failWaiting = null;
    this.onEnd();
  }

  private fail(error: Error): void {
    const reject = this.failWaiting;
    this.failure = reject ? null : error;
    this.waiting = this.failWaiting = null;
    this.queue = [];
    this.head = 0;
    if (!this.ended) {
      this.ended = true;
      this.onEnd();
    }
    reject?.(error);
  }
}

/** The streams of one distinct watch: every value pushed goes to each of them. */
export class Watchers<T> {
  readonly streams = new Set<WatchStream<T>>();

  push(value: T): void {
    for (const stream of this.streams) stream.push(value);
  }
}
