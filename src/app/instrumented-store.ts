import type { RankPosition } from "../domain/cursor.js";
import type { Period } from "../domain/time.js";
import type { BoardScope } from "../store/aggregates.js";
import type {
  AppendOutcome,
  AppendResult,
  BoardStandings,
  EventReader,
  EventStore,
  HistoryQuery,
  LeaderboardQuery,
  ReportCell,
  ReportScope,
  Standing,
  StoredEvent,
  StoreLifecycle,
  UserTally,
} from "../store/port.js";
import type { Metrics } from "./metrics.js";

/** What the services read from, whichever path writes: the store as the app serves it. */
export type ServedStore = StoreLifecycle & EventReader;

/**
 * A store, timed: every call of the port lands in the store latency histogram by operation and
 * outcome; close is not timed (it is not an operation anyone waits on).
 */
export class InstrumentedReader implements ServedStore {
  readonly kind: string;
  /** Present exactly when the adapter has rollups, so reports still pick the cheaper read. */
  readonly reportRollups?: ServedStore["reportRollups"];
  readonly reportMonthRollups?: ServedStore["reportMonthRollups"];

  constructor(
    private readonly inner: ServedStore,
    private readonly metrics: Metrics,
  ) {
    this.kind = inner.kind;
    const rollups = inner.reportRollups?.bind(inner);
    if (rollups)
      this.reportRollups = (days, scope, users) =>
        this.timed("reportRollups", () => rollups(days, scope, users));
    const months = inner.reportMonthRollups?.bind(inner);
    if (months)
      this.reportMonthRollups = (list, scope, users) =>
        this.timed("reportMonthRollups", () => months(list, scope, users));
  }

  protected async timed<T>(operation: string, call: () => Promise<T>): Promise<T> {
    const stop = this.metrics.storeLatency.startTimer({ operation });
    try {
      const result = await call();
      stop({ outcome: "ok" });
      return result;
    } catch (error) {
      stop({ outcome: "error" });
      throw error;
    }
  }

  migrate(): Promise<void> {
    return this.timed("migrate", () => this.inner.migrate());
  }

  ping(): Promise<void> {
    return this.timed("ping", () => this.inner.ping());
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  reportCells(day: string, scope: ReportScope): Promise<ReportCell[]> {
    return this.timed("reportCells", () => this.inner.reportCells(day, scope));
  }

  history(query: HistoryQuery): Promise<StoredEvent[]> {
    return this.timed("history", () => this.inner.history(query));
  }

  histories(userIds: readonly string[], query: Omit<HistoryQuery, "userId">): Promise<StoredEvent[][]> {
    return this.timed("histories", () => this.inner.histories(userIds, query));
  }

  tallies(userIds: readonly string[], period: Period): Promise<UserTally[]> {
    return this.timed("tallies", () => this.inner.tallies(userIds, period));
  }

  leaderboard(query: LeaderboardQuery): Promise<Standing[]> {
    return this.timed("leaderboard", () => this.inner.leaderboard(query));
  }

  standings(
    userIds: readonly string[],
    period: Period,
    type: string | null,
    scope?: BoardScope | null,
  ): Promise<BoardStandings> {
    return this.timed("standings", () => this.inner.standings(userIds, period, type, scope));
  }

  leaderboardBefore(
    query: Omit<LeaderboardQuery, "after"> & { readonly before: RankPosition },
  ): Promise<Standing[]> {
    return this.timed("leaderboardBefore", () => this.inner.leaderboardBefore(query));
  }
}

/** The embedded store, timed: its writes too. */
export class InstrumentedEventStore extends InstrumentedReader implements EventStore {
  constructor(
    private readonly writer: EventStore,
    metrics: Metrics,
  ) {
    super(writer, metrics);
  }

  append(events: readonly StoredEvent[]): Promise<AppendOutcome[]> {
    return this.timed("append", () => this.writer.append(events));
  }

  /** Timed as "append": the same write, so dashboards keep one series. */
  appendWithChanges(events: readonly StoredEvent[]): Promise<AppendResult> {
    return this.timed("append", () => this.writer.appendWithChanges(events));
  }

  rebuildAggregates(): Promise<number> {
    return this.timed("rebuildAggregates", () => this.writer.rebuildAggregates());
  }
}
