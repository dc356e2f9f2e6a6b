import type { ServedStore } from "../../src/app/instrumented-store.js";
import type {
  BoardStandings,
  EventReader,
  ReportCell,
  ReportRollup,
  ReportScope,
  Standing,
  StoredEvent,
  UserTally,
} from "../../src/store/port.js";

/** The arguments of one of the reads every store has. */
type Args<M extends Exclude<keyof EventReader, "reportRollups" | "reportMonthRollups">> = Parameters<
  EventReader[M]
>;

/**
 * A decorator of the served store that forwards every call: tests extend it to count, slow or
 * fail the calls they are about, and hand it to startTestServer's `decorateStore`.
 */
export class ForwardingStore implements ServedStore {
  readonly kind: string;
  readonly reportRollups?: ServedStore["reportRollups"];
  readonly reportMonthRollups?: ServedStore["reportMonthRollups"];

  constructor(protected readonly inner: ServedStore) {
    this.kind = inner.kind;
    const rollups = inner.reportRollups?.bind(inner);
    if (rollups)
      this.reportRollups = (days, scope, users) =>
        this.rollups(() => rollups(days, scope, users), days, scope);
    const months = inner.reportMonthRollups?.bind(inner);
    if (months)
      this.reportMonthRollups = (list, scope, users) =>
        this.rollups(() => months(list, scope, users), list, scope);
  }

  /** Reads rollups (of days, or of whole months) through `read`; override to watch them. */
  protected rollups(
    read: () => Promise<ReportRollup[]>,
    // What is read, for an override to watch.
    _daysOrMonths: readonly string[],
    _scope: ReportScope,
  ): Promise<ReportRollup[]> {
    return read();
  }

  migrate(): Promise<void> {
    return this.inner.migrate();
  }
  ping(): Promise<void> {
    return this.inner.ping();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
  reportCells(...args: Args<"reportCells">): Promise<ReportCell[]> {
    return this.inner.reportCells(...args);
  }
  history(...args: Args<"history">): Promise<StoredEvent[]> {
    return this.inner.history(...args);
  }
  histories(...args: Args<"histories">): Promise<StoredEvent[][]> {
    return this.inner.histories(...args);
  }
  tallies(...args: Args<"tallies">): Promise<UserTally[]> {
    return this.inner.tallies(...args);
  }
  leaderboard(...args: Args<"leaderboard">): Promise<Standing[]> {
    return this.inner.leaderboard(...args);
  }
  standings(...args: Args<"standings">): Promise<BoardStandings> {
    return this.inner.standings(...args);
  }
  leaderboardBefore(...args: Args<"leaderboardBefore">): Promise<Standing[]> {
    return this.inner.leaderboardBefore(...args);
  }
}
