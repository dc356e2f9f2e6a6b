/**
 * Counts work that shutdown must let finish (HTTP requests, WebSocket queries and mutations)
 * and tells when none is left.
 */
export class InFlight {
  private active = 0;
  private idleWaiters: (() => void)[] = [];

  get size(): number {
    return this.active;
  }

  /** Starts one unit of work; the returned function ends it (calling it again does nothing). */
  begin(): () => void {
    this.active += 1;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.active -= 1;
      if (this.active === 0) for (const wake of this.idleWaiters.splice(0)) wake();
    };
  }

  track<T>(work: Promise<T>): Promise<T> {
    const end = this.begin();
    return work.finally(end);
  }

  /** Resolves true when nothing is in flight, or false after `timeoutMs` with work still running. */
  async drained(timeoutMs: number): Promise<boolean> {
    if (this.active === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const idle = new Promise<boolean>((resolve) => this.idleWaiters.push(() => resolve(true)));
    const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    try {
      return await Promise.race([idle, late]);
    } finally {
      clearTimeout(timer);
    }
  }
}
