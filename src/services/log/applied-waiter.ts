import type { AppendOutcome, LogFedStore, StoredEvent } from "../../store/port.js";
import type { PubSub, Unlisten } from "../pubsub.js";
import { listenForNotices } from "./notices.js";
import type { AppliedNotice, LogPosition } from "./ports.js";

export interface AppliedWaiterOptions {
  /** Where the aggregators of this log announce applied batches (notices.ts appliedChannel). */
  readonly channel: string;
  /** How often pending waits ask the store how far each partition is applied. */
  readonly pollMs: number;
  /** How long notices are kept for waits that register after their notice arrived. */
  readonly recentMs: number;
  readonly warn: (message: string, error?: unknown) => void;
}

/**
 * How many of the newest kept notices are compared with an incoming one: the copy that comes
 * through the pub/sub follows the direct one within a few turns of the event loop.
 */
const DUPLICATE_SCAN = 64;

interface Pending {
  readonly event: StoredEvent;
  readonly since: number;
  readonly resolve: (outcome: AppendOutcome) => void;
}

/**
 * Resolves `wait: APPLIED`: each appended event waits until an aggregator has applied it, and
 * learns its outcome. Outcomes come from the aggregators' notices (pub/sub); when a notice is
 * missed (pub/sub down, an aggregator that died between its writes and its notice, notices that
 * travel only in the aggregator's process), a poll of the store's applied offsets and claims
 * gives the same answer, a little later.
 */
export class AppliedWaiter {
  private readonly pending = new Map<number, Map<number, Pending[]>>();
  private readonly recent: { at: number; notice: AppliedNotice }[] = [];
  private readonly stop = new AbortController();
  private poller: NodeJS.Timeout | null = null;
  private polling = false;
  private unlisten: Unlisten | null = null;

  constructor(
    private readonly pubsub: PubSub,
    private readonly store: LogFedStore,
    private readonly options: AppliedWaiterOptions,
  ) {}

  /** Starts listening for notices. */
  start(): void {
    listenForNotices(
      this.pubsub,
      this.options.channel,
      (notice) => this.noticed(notice),
      () => this.options.warn(`a message on ${this.options.channel} is not an applied notice; skipped`),
    ).then(
      (unlisten) => {
        if (this.stop.signal.aborted) unlisten();
        else this.unlisten = unlisten;
      },
      (error: unknown) => this.options.warn("applied notices not heard; waits fall back to polling", error),
    );
    this.poller = setInterval(() => void this.poll(), this.options.pollMs);
    this.poller.unref();
  }

  close(): void {
    this.stop.abort();
    this.unlisten?.();
    this.unlisten = null;
    if (this.poller) clearInterval(this.poller);
  }

  /**
   * The outcome of each appended event once applied, in input order; null when `signal` aborts
   * first (the events are durable all the same and will be applied).
   */
  async wait(
    appended: readonly (LogPosition & { readonly event: StoredEvent })[],
    signal: AbortSignal,
  ): Promise<AppendOutcome[] | null> {
    const waits = appended.map(
      (item) =>
        new Promise<AppendOutcome>((resolve) => {
          const known = this.fromRecent(item.shard, item.offset);
          if (known !== null) return resolve(known);
          let byOffset = this.pending.get(item.shard);
          if (!byOffset) this.pending.set(item.shard, (byOffset = new Map()));
          const list = byOffset.get(item.offset) ?? [];
          list.push({ event: item.event, since: Date.now(), resolve });
          byOffset.set(item.offset, list);
        }),
    );
    const aborted = new Promise<null>((resolve) => {
      if (signal.aborted) resolve(null);
      signal.addEventListener("abort", () => resolve(null), { once: true });
    });
    const result = await Promise.race([Promise.all(waits), aborted]);
    if (result === null) this.forget(appended);
    return result;
  }

  /**
   * Resolves the waits a notice covers: from the pub/sub, or directly from an aggregator in this
   * process. The same notice may come both ways; the second finds nothing left to resolve.
   */
  noticed(notice: AppliedNotice): void {
    const now = Date.now();
    if (!this.heard(notice)) this.recent.push({ at: now, notice });
    while (this.recent.length > 0 && this.recent[0]!.at < now - this.options.recentMs) this.recent.shift();
    const byOffset = this.pending.get(notice.shard);
    if (!byOffset) return;
    const exceptions = new Map(notice.notInserted);
    for (const [offset, waits] of byOffset) {
      if (offset < notice.fromOffset || offset > notice.toOffset) continue;
      byOffset.delete(offset);
      for (const wait of waits) wait.resolve(exceptions.get(offset) ?? "inserted");
    }
  }

  /** Whether one of the last notices kept is this one (it came directly and by the pub/sub). */
  private heard(notice: AppliedNotice): boolean {
    for (let i = this.recent.length - 1; i >= Math.max(0, this.recent.length - DUPLICATE_SCAN); i--) {
      const kept = this.recent[i]!.notice;
      if (
        kept.shard === notice.shard &&
        kept.fromOffset === notice.fromOffset &&
        kept.toOffset === notice.toOffset
      )
        return true;
    }
    return false;
  }

  private fromRecent(shard: number, offset: number): AppendOutcome | null {
    for (let i = this.recent.length - 1; i >= 0; i--) {
      const { notice } = this.recent[i]!;
      if (notice.shard !== shard || offset < notice.fromOffset || offset > notice.toOffset) continue;
      return notice.notInserted.find(([o]) => o === offset)?.[1] ?? "inserted";
    }
    return null;
  }

  /** Waits older than one poll interval ask the store: applied offsets, then the claims. */
  private async poll(): Promise<void> {
    if (this.polling || this.pending.size === 0) return;
    const cutoff = Date.now() - this.options.pollMs;
    const stale = [...this.pending].some(([, m]) =>
      [...m.values()].some((l) => l.some((w) => w.since < cutoff)),
    );
    if (!stale) return;
    this.polling = true;
    try {
      const applied = await this.store.appliedOffsets();
      const ready: { shard: number; offset: number; waits: Pending[] }[] = [];
      for (const [shard, byOffset] of this.pending) {
        const through = applied.get(shard) ?? -1;
        for (const [offset, waits] of byOffset) if (offset <= through) ready.push({ shard, offset, waits });
      }
      if (ready.length === 0) return;
      const outcomes = await this.store.outcomesOf(
        ready.map(({ shard, offset, waits }) => ({ shard, offset, event: waits[0]!.event })),
      );
      ready.forEach(({ shard, offset }, i) => {
        const waits = this.pending.get(shard)?.get(offset);
        this.pending.get(shard)?.delete(offset);
        for (const wait of waits ?? []) wait.resolve(outcomes[i]!);
      });
    } catch (error) {
      this.options.warn("applied offsets not read; waits keep waiting", error);
    } finally {
      this.polling = false;
    }
  }

  private forget(appended: readonly LogPosition[]): void {
    for (const { shard, offset } of appended) this.pending.get(shard)?.delete(offset);
  }
}
