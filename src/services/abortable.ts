/**
 * Wraps an async generator so that `return()` (a client unsubscribing) aborts it at once.
 *
 * A plain generator that is awaiting the next pub/sub message cannot run its `finally` until
 * that message arrives, so an idle subscription would leak until the next publish. Here
 * `return()` first aborts the signal the generator listens on, which ends its wait.
 */
export function abortable<T>(start: (signal: AbortSignal) => AsyncGenerator<T>): AsyncIterableIterator<T> {
  const controller = new AbortController();
  const generator = start(controller.signal);
  return {
    next: () => generator.next(),
    return: async (value?: unknown) => {
      controller.abort();
      return generator.return(value as T);
    },
    throw: async (error?: unknown) => {
      controller.abort();
      return generator.throw(error);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/** Resolves after `ms`, or early (without error) when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted || ms <= 0) return resolve();
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });
}

/**
 * Turns a stream of notifications into "something changed" ticks, at most one per
 * `intervalMs`: a burst of any size yields one tick at its start and one after it settles
 * (the trailing tick sees the burst's final state).
 */
export async function* coalesce(
  source: AsyncIterable<unknown>,
  intervalMs: number,
  signal: AbortSignal,
): AsyncGenerator<void> {
  let dirty = false;
  let ended = false;
  let wake: (() => void) | null = null;
  const notify = (): void => {
    wake?.();
    wake = null;
  };
  void (async () => {
    try {
      for await (const _ of source) {
        dirty = true;
        notify();
      }
    } finally {
      ended = true;
      notify();
    }
  })();
  const onAbort = (): void => notify();
  signal.addEventListener("abort", onAbort, { once: true });
  let lastTick = Number.NEGATIVE_INFINITY;
  try {
    while (!signal.aborted) {
      if (!dirty) {
        if (ended) return;
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      const wait = lastTick + intervalMs - Date.now();
      if (wait > 0) await sleep(wait, signal);
      if (signal.aborted) return;
      dirty = false;
      lastTick = Date.now();
      yield;
    }
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}
