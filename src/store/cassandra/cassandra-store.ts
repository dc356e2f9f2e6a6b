import type { Period } from "../../domain/time.js";
import type {
  AppendOutcome,
  EventStore,
  HistoryQuery,
  LeaderboardQuery,
  ReportCell,
  ReportScope,
  Standing,
  StoredEvent,
  TypeTally,
  UserTally,
} from "../port.js";
import { appendEvents } from "./append.js";
import { mapConcurrent } from "./concurrency.js";
import { toNumber, toText, type StoreContext } from "./context.js";
import { Cql } from "./cql.js";
import { Generations } from "./generations.js";
import { readHistory } from "./history.js";
import { readLeaderboard, readStanding } from "./leaderboard-read.js";
import { runMigrations } from "./migrations.js";
import {
  checkKeyspaceName,
  consistencyOf,
  createClient,
  DEV_REPLICATION,
  type CassandraStoreOptions,
  type Client,
} from "./options.js";
import { rebuildAggregates } from "./rebuild.js";

export interface CassandraStoreSettings {
  /** Close the client in close(). False when the client is shared (tests reuse one per file). */
  readonly ownsClient: boolean;
  readonly warn?: (message: string) => void;
}

/**
 * The production store: an event log partitioned by (user, day), counters per time bucket,
 * and leaderboards kept sorted at write time. Design and failure modes: docs/cassandra.md.
 */
export class CassandraStore implements EventStore {
  readonly kind = "cassandra";
  private readonly ctx: StoreContext;

  constructor(
    readonly client: Client,
    private readonly options: CassandraStoreOptions,
    private readonly settings: CassandraStoreSettings = { ownsClient: true },
  ) {
    const cql = new Cql(checkKeyspaceName(options.keyspace));
    this.ctx = {
      client,
      cql,
      generations: new Generations(client, cql),
      concurrency: options.concurrency ?? 64,
      serialConsistency: consistencyOf(options.serialConsistency ?? "LOCAL_SERIAL"),
      abandonedAfterMs: options.abandonedAfterMs ?? 60_000,
      warn: settings.warn ?? ((message) => console.warn(message)),
    };
  }

  async migrate(): Promise<void> {
    await runMigrations(this.client, {
      keyspace: this.options.keyspace,
      replication:
        this.options.replication ??
        (this.options.replicationFactor !== undefined
          ? { class: "SimpleStrategy", replicationFactor: this.options.replicationFactor }
          : DEV_REPLICATION),
    });
    this.ctx.generations.forget();
  }

  async ping(): Promise<void> {
    await this.client.execute("SELECT release_version FROM system.local", [], { isIdempotent: true });
  }

  async close(): Promise<void> {
    if (this.settings.ownsClient) await this.client.shutdown();
  }

  append(events: Parameters<EventStore["append"]>[0]): Promise<AppendOutcome[]> {
    return appendEvents(this.ctx, events);
  }

  history(query: HistoryQuery): Promise<StoredEvent[]> {
    return readHistory(this.ctx, query);
  }

  /** One single-partition read per user, concurrently. */
  async tallies(userIds: readonly string[], period: Period): Promise<UserTally[]> {
    if (userIds.length === 0) return [];
    const generation = await this.ctx.generations.active();
    return mapConcurrent(userIds, this.ctx.concurrency, async (userId): Promise<UserTally> => {
      const result = await this.client.execute(
        this.ctx.cql.tallies,
        [generation, userId, period.window, period.bucket],
        { prepare: true, isIdempotent: true },
      );
      const byType: TypeTally[] = result.rows
        .map((row) => ({
          type: toText(row["type"]),
          count: toNumber(row["events"]),
          points: toNumber(row["points"]),
        }))
        .filter((tally) => tally.count !== 0 || tally.points !== 0)
        .sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
      const count = byType.reduce((sum, t) => sum + t.count, 0);
      const points = byType.reduce((sum, t) => sum + t.points, 0);
      return { userId, count, points, byType };
    });
  }

  leaderboard(query: LeaderboardQuery): Promise<Standing[]> {
    return readLeaderboard(this.ctx, query);
  }

  standing(userId: string, period: Period, type: string | null): Promise<Standing | null> {
    return readStanding(this.ctx, userId, period, type);
  }

  /** One partition per (day, scope), paged through; "" in category and group means none. */
  async reportCells(day: string, scope: ReportScope): Promise<ReportCell[]> {
    const generation = await this.ctx.generations.active();
    const result = await this.client.execute(this.ctx.cql.reportCells, [generation, day, scope], {
      prepare: true,
      isIdempotent: true,
      fetchSize: 5000,
    });
    const cells: ReportCell[] = [];
    for await (const row of result) {
      const events = toNumber(row["events"]);
      const points = toNumber(row["points"]);
      if (events === 0 && points === 0) continue;
      const category = toText(row["category"]);
      const group = toText(row["group_name"]);
      cells.push({
        day,
        type: toText(row["type"]),
        category: category === "" ? null : category,
        group: group === "" ? null : group,
        userId: toText(row["user_id"]),
        events,
        points,
      });
    }
    return cells;
  }

  rebuildAggregates(): Promise<number> {
    return rebuildAggregates(this.ctx);
  }
}

/** Connects, and runs the migrations unless `migrate: false`. */
export async function createCassandraStore(options: CassandraStoreOptions): Promise<CassandraStore> {
  const client = createClient(options);
  await client.connect();
  const store = new CassandraStore(client, options, { ownsClient: true });
  try {
    if (options.migrate !== false) await store.migrate();
  } catch (error) {
    await client.shutdown();
    throw error;
  }
  return store;
}
