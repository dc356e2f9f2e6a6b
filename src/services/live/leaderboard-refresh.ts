import type { Period } from "../../domain/time.js";
import type { Standing } from "../../store/port.js";
import type { Page } from "../queries.js";

/**
 * One push of a leaderboard watch: the top N and the period it was read for, so that the answer
 * is labelled with the period of its rows even when a window turns between the read and the push.
 */
export interface BoardPush {
  readonly period: Period;
  readonly standings: Standing[];
}
import { Watchers } from "./watch-stream.js";

/**
 * One distinct leaderboard watch: when a commit touches its board it is read once, at most once
 * per interval (a burst gives one read at its start and one after it settles, which sees its final
 * state), and its top N goes to every subscriber of the watch when it differs from the last push.
 */
export class LeaderboardRefresh {
  readonly watchers = new Watchers<BoardPush>();
  private lastRunAt = Number.NEGATIVE_INFINITY;
  private last: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private dirty = false;
  private stopped = false;

  constructor(
    private readonly read: () => Promise<{ readonly period: Period; readonly page: Page<Standing> }>,
    private readonly intervalMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** A commit changed this board. */
  touch(): void {
    if (this.stopped) return;
    this.dirty = true;
    if (this.running || this.timer !== null) return;
    const wait = this.lastRunAt + this.intervalMs - performance.now();
    if (wait <= 0) void this.run();
    else this.timer = setTimeout(() => void this.run(), wait);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private async run(): Promise<void> {
    this.timer = null;
    if (this.stopped) return;
    this.running = true;
    this.dirty = false;
    this.lastRunAt = performance.now();
    try {
      const { period, page } = await this.read();
      // A new period with the same rows is a change too: its label differs.
      const fingerprint = JSON.stringify([period.bucket, page.items]);
      if (!this.stopped && fingerprint !== this.last) {
        this.last = fingerprint;
        this.watchers.push({ period, standings: page.items });
      }
    } catch (error) {
      // The store could not answer: the next touch (or this one, still dirty) tries again.
      this.dirty = true;
      this.onError(error);
    } finally {
      this.running = false;
    }
    if (this.dirty) this.touch();
  }
}
