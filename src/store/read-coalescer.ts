/**
 * Shares one read among the concurrent callers that ask for the same key, without ever answering
 * a caller with a read that began before it asked.
 *
 * Plain single-flight (join whatever read is in flight) would break read-your-writes: a client
 * whose write was acknowledged a moment ago could join a read that started before the write and
 * get the state without it. Here a key has at most one read running and one batch of callers
 * waiting; the waiting batch gets the next read, which starts when the running one settles, so
 * every read a caller receives started after that caller arrived. Under load, N concurrent callers
 * of a hot key (the top of the global leaderboard, its histogram) cost about one read per round
 * trip instead of N; a lone caller pays nothing extra.
 *
 * The value is shared by every caller of a batch: callers must treat it as read-only.
 */
export class ReadCoalescer<V> {
  private readonly slots = new Map<string, Slot<V>>();

  read(key: string, load: () => Promise<V>): Promise<V> {
    let slot = this.slots.get(key);
    if (slot === undefined) {
      slot = { running: false, waiting: [], load };
      this.slots.set(key, slot);
    }
    // Every load of a key reads the same thing; the newest caller's is as good as any.
    slot.load = load;
    const answer = new Promise<V>((resolve, reject) => slot.waiting.push({ resolve, reject }));
    if (!slot.running) this.start(key, slot);
    return answer;
  }

  /** Keys with a read running or callers waiting: for tests and metrics. */
  get size(): number {
    return this.slots.size;
  }

  private start(key: string, slot: Slot<V>): void {
    const batch = slot.waiting;
    slot.waiting = [];
    slot.running = true;
    const settle = (): void => {
      slot.running = false;
      if (slot.waiting.length > 0) this.start(key, slot);
      else this.slots.delete(key);
    };
    // A load that throws synchronously fails its batch like one that rejects. The slot is settled
    // before the batch hears back, so a caller that asks again at once waits for a new read.
    Promise.resolve()
      .then(slot.load)
      .then(
        (value) => {
          settle();
          for (const caller of batch) caller.resolve(value);
        },
        (error: unknown) => {
          settle();
          for (const caller of batch) caller.reject(error);
        },
      );
  }
}

interface Slot<V> {
  running: boolean;
  waiting: Waiter<V>[];
  load: () => Promise<V>;
}

interface Waiter<V> {
  resolve(value: V): void;
  reject(error: unknown): void;
}
