import type {
  AppendOutcome,
  AppendResult,
  EventStore,
  LogFedStore,
  StoredEvent,
  ShardWriter,
} from "../../src/store/port.js";

/**
 * A stand-in for the Kafka log in store tests: assigns each user to a shard by a hash, numbers
 * each shard's records, and applies them at once through the store's shard writers. It runs the
 * log-fed store's real write path (claims, fences, boards, report cells) without a broker; the
 * Kafka pipeline itself is tested in test/log/.
 */
export class InProcessLog {
  private readonly next: number[];
  private writers: Promise<ShardWriter[]> | null = null;

  constructor(
    private readonly store: LogFedStore,
    readonly shards: number,
  ) {
    this.next = Array.from({ length: shards }, () => 0);
  }

  shardOf(userId: string): number {
    let hash = 2166136261;
    for (const char of userId) hash = Math.imul(hash ^ (char.codePointAt(0) ?? 0), 16777619) >>> 0;
    return hash % this.shards;
  }

  /** Appends and applies; outcomes in input order, as EventStore.append gives them. */
  async append(events: readonly StoredEvent[]): Promise<AppendOutcome[]> {
    return (await this.appendWithChanges(events)).outcomes;
  }

  /** The same, with the shard writers' tally changes (what the aggregator publishes). */
  async appendWithChanges(events: readonly StoredEvent[]): Promise<AppendResult> {
    const writers = await this.openWriters();
    const byShard = new Map<number, { index: number; offset: number; event: StoredEvent }[]>();
    events.forEach((event, index) => {
      const shard = this.shardOf(event.userId);
      const offset = this.next[shard]!;
      this.next[shard] = offset + 1;
      const list = byShard.get(shard) ?? [];
      list.push({ index, offset, event });
      byShard.set(shard, list);
    });
    const outcomes: AppendOutcome[] = new Array<AppendOutcome>(events.length);
    const changes: AppendResult["changes"] = [];
    await Promise.all(
      [...byShard].map(async ([shard, records]) => {
        const applied = await writers[shard]!.apply(records);
        records.forEach((record, i) => (outcomes[record.index] = applied.outcomes[i]!));
        changes.push(...applied.changes);
      }),
    );
    return { outcomes, changes };
  }

  /** New writers with cold caches, as after a restart or a rebalance. */
  reopen(): void {
    this.writers = null;
  }

  private openWriters(): Promise<ShardWriter[]> {
    this.writers ??= Promise.all(
      Array.from({ length: this.shards }, (_, shard) => this.store.openShard(shard, this.shards)),
    );
    return this.writers;
  }
}

/** The log-fed store and the in-process log together, as the contract suite's EventStore. */
export function inProcessPipeline(
  store: LogFedStore & { rebuild(): Promise<number> },
  shards: number,
): EventStore & { readonly log: InProcessLog } {
  const log = new InProcessLog(store, shards);
  return {
    log,
    kind: store.kind,
    migrate: () => store.migrate(),
    ping: () => store.ping(),
    close: () => store.close(),
    append: (events) => log.append(events),
    appendWithChanges: (events) => log.appendWithChanges(events),
    history: (query) => store.history(query),
    tallies: (users, period) => store.tallies(users, period),
    leaderboard: (query) => store.leaderboard(query),
    standings: (users, period, type, scope) => store.standings(users, period, type, scope),
    leaderboardBefore: (query) => store.leaderboardBefore(query),
    histories: (users, query) => store.histories(users, query),
    reportCells: (day, scope) => store.reportCells(day, scope),
    rebuildAggregates: async () => {
      const read = await store.rebuild();
      log.reopen();
      return read;
    },
  };
}
