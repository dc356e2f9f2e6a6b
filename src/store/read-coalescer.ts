/**
 * Shares one read among the concurrent callers that ask for the same key, without ever answering
 * a caller with a read that began before it asked.
 *
 * Plain single-flight (join whatever read is in flight) would break read-your-writes: a client
 * whose write was acknowledged a moment ago could join a read that started before the write and
 * get the state without it. Here a key has at most one read running and one batch of callers
 * waiting; the waiting batch gets the next read, which starts when the running one settles, so
 * every read a caller receives started after that caller arrived. Under load, N concurrent callers
 * of a hot key (the top of the global leaderboard, its histogram, a dashboard's report) cost about
 * one read per round trip instead of N; a lone caller pays nothing extra.
 *
 * Cancellation is per caller: a caller whose signal aborts is rejected at once with the signal's
 * reason, and leaves its batch. A read is aborted (the signal its load gets) only when every
 * caller of its batch has left, so one client going away never stops the answer of another, and
 * work nobody waits for any more stops. A caller without a signal never leaves.
 *
 * The value is shared by every caller of a batch: callers must treat it as read-only.
 */
export class ReadCoalescer<V> {
  private readonly slots = new Map<string, Slot<V>>();

  read(key: string, load: (signal: AbortSignal) => Promise<V>, signal?: AbortSignal): Promise<V> {
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    let slot = this.slots.get(key);
    if (slot === undefined) {
      slot = { running: false, waiting: newBatch(), load };
      this.slots.set(key, slot);
    }
    // Every load of a key reads the same thing; the newest caller's is as good as any.
    slot.load = load;
    // A waiting batch that every caller left has been aborted: newcomers start a fresh one.
    if (slot.waiting.abort.signal.aborted) slot.waiting = newBatch();
    const batch = slot.waiting;
    const answer = new Promise<V>((resolve, reject) =>
      batch.callers.add(waiter(batch, resolve, reject, signal)),
    );
    if (!slot.running) this.start(key, slot);
    return answer;
  }

  /** Keys with a read running or callers waiting: for tests and metrics. */
  get size(): number {
    return this.slots.size;
  }

  private start(key: string, slot: Slot<V>): void {
    slot.running = true;
    const settle = (): void => {
      slot.running = false;
      // A waiting batch whose callers have all left needs no read.
      if (slot.waiting.callers.size > 0) this.start(key, slot);
      else this.slots.delete(key);
    };
    // The batch closes and its read starts on the event loop's next turn, not in a microtask: the
    // requests that arrived in the same turn as the first caller are still being parsed, and they
    // join it. A store that answers synchronously (SQLite) would otherwise run the whole read
    // before the next request is even looked at, and every caller would get a read of its own
    // (bench:reads, a 30-day report at 64 connections: 1.4 callers per read).
    setImmediate(() => {
      const batch = slot.waiting;
      slot.waiting = newBatch();
      if (batch.callers.size === 0) return settle();
      // A load that throws synchronously fails its batch like one that rejects. The slot is
      // settled before the batch hears back, so a caller that asks again at once waits for a new read.
      const load = slot.load;
      Promise.resolve()
        .then(() => load(batch.abort.signal))
        .then(
          (value) => {
            settle();
            for (const caller of batch.callers) caller.resolve(value);
          },
          (error: unknown) => {
            settle();
            for (const caller of batch.callers) caller.reject(error);
          },
        );
    });
  }
}

interface Slot<V> {
  running: boolean;
  waiting: Batch<V>;
  load: (signal: AbortSignal) => Promise<V>;
}

/** The callers one read answers, and the controller that stops it once they have all left. */
interface Batch<V> {
  readonly callers: Set<Waiter<V>>;
  readonly abort: AbortController;
}

interface Waiter<V> {
  resolve(value: V): void;
  reject(error: unknown): void;
}

function newBatch<V>(): Batch<V> {
  return { callers: new Set(), abort: new AbortController() };
}

/** A caller of `batch`; one with a signal leaves the batch when the signal aborts. */
function waiter<V>(
  batch: Batch<V>,
  resolve: (value: V) => void,
  reject: (error: unknown) => void,
  signal: AbortSignal | undefined,
): Waiter<V> {
  if (signal === undefined) return { resolve, reject };
  const leave = (): void => {
    if (!batch.callers.delete(self)) return;
    reject(signal.reason);
    if (batch.callers.size === 0) batch.abort.abort(signal.reason);
  };
  const self: Waiter<V> = {
    resolve: (value) => {
      signal.removeEventListener("abort", leave);
      resolve(value);
    },
    reject: (error) => {
      signal.removeEventListener("abort", leave);
      reject(error);
    },
  };
  signal.addEventListener("abort", leave, { once: true });
  return self;
}
