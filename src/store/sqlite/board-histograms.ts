import type { Database, Statement } from "better-sqlite3";
import { Lru } from "../../domain/lru.js";
import type { BoardKey } from "../aggregates.js";
import { usersAboveOf, type Histogram } from "../ranking.js";

/** A board's users per value, read once: ranks by binary search, its size by a lookup. */
export interface BoardHistogram {
  /** Users with a value strictly greater than `value`. */
  usersAbove(value: number): number;
  /** Users with exactly `value`. */
  usersAt(value: number): number;
  /** Users on the board. */
  readonly total: number;
}

/** Boards kept at once: windows × buckets × metrics that readers ask about between two commits. */
const BOARDS_KEPT = 256;

/**
 * Each board's histogram (board_values), kept until the next commit. A rank from SQL is a sum over
 * the board's distinct values above the user, and a board's size a sum over all of them: on the
 * bench's 100,000-user board the page around a user asked for four such sums, about half of its
 * time. Kept, each is a binary search, and readers between two commits share one read of the board.
 *
 * Reading a whole board costs more than one sum near its top, so a board is read whole only when
 * it is asked about a second time within one data version: a lone rank between two commits keeps
 * its sum, and a request that asks several times (the page around a user asks three) or requests
 * between two commits share one read of the board.
 *
 * Exact, never stale: an entry is good for one data version. `PRAGMA data_version` moves when
 * another connection (the writer thread) commits; this connection's own writes call `changed()`.
 */
export class BoardHistograms {
  private readonly boards = new Lru<string, Entry>(BOARDS_KEPT);
  private readonly dataVersion: Statement<[], number>;
  private ownWrites = 0;

  constructor(
    db: Database,
    private readonly read: (key: BoardKey) => Histogram,
  ) {
    this.dataVersion = db.prepare<[], number>("PRAGMA data_version").pluck();
  }

  /** The board's histogram, or null the first time the board is asked about in a data version. */
  of(key: BoardKey): BoardHistogram | null {
    const version = `${this.dataVersion.get()}:${this.ownWrites}`;
    const id = `${key.window}\u0000${key.bucket}\u0000${key.metric}`;
    const kept = this.boards.get(id);
    if (kept === undefined || kept.version !== version) {
      this.boards.set(id, { version, histogram: null });
      return null;
    }
    return (kept.histogram ??= histogramOf(this.read(key)));
  }

  /** This connection wrote (or may have): every kept board is out of date. */
  changed(): void {
    this.ownWrites += 1;
  }
}

interface Entry {
  readonly version: string;
  histogram: BoardHistogram | null;
}

/** A histogram's running sums, for lookups. */
export function histogramOf(bins: Histogram): BoardHistogram {
  const usersAbove = usersAboveOf(bins);
  const usersAt = new Map(bins.map((bin) => [bin.value, bin.users]));
  return {
    usersAbove,
    usersAt: (value) => usersAt.get(value) ?? 0,
    total: usersAbove(Number.NEGATIVE_INFINITY),
  };
}
