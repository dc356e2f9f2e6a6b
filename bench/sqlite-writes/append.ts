/**
 * The first half of bench/sqlite-writes.ts: `SqliteStore.append` with the writer the server uses
 * (writer: "thread"), and its floor: the same rows as plain INSERTs into a file holding only
 * `events_by_user_day` (the store's own DDL, its index included), with the store's pragmas.
 */
import Database from "better-sqlite3";
import { join } from "node:path";
import { dayOf } from "../../src/domain/time.js";
import type { StoredEvent } from "../../src/store/port.js";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { batches } from "../github-data.js";

export interface AppendRates {
  /** SqliteStore.append, events/s. */
  readonly store: number;
  /** Plain inserts of the same rows, events/s. */
  readonly floor: number;
  /** What the floor's file holds: the names of the table and of its index (and triggers, if any). */
  readonly floorSchema: readonly string[];
}

/** `append` in sequential batches: the server's group commit also keeps one append in flight. */
async function storeRate(path: string, ready: readonly StoredEvent[], batchSize: number): Promise<number> {
  const store = new SqliteStore({ path, synchronous: "FULL", writer: "thread" });
  await store.migrate();
  try {
    const started = performance.now();
    for (const batch of batches(ready, batchSize)) {
      const outcomes = await store.append(batch);
      if (outcomes.some((o) => o !== "inserted"))
        throw new Error("an event of the store phase was not inserted");
    }
    return ready.length / ((performance.now() - started) / 1000);
  } finally {
    await store.close();
  }
}

/** The DDL of `events_by_user_day` and of what hangs off it, as the store's migrations create it. */
async function eventsTableDdl(dir: string): Promise<{ name: string; sql: string }[]> {
  const path = join(dir, "schema.db");
  const migrated = new SqliteStore({ path });
  await migrated.migrate();
  await migrated.close();
  const db = new Database(path, { readonly: true });
  try {
    return db
      .prepare<[], { name: string; sql: string }>(
        `SELECT name, sql FROM sqlite_master WHERE tbl_name = 'events_by_user_day' AND sql IS NOT NULL
         ORDER BY type DESC`, // "table" before "index" and "trigger"
      )
      .all();
  } finally {
    db.close();
  }
}

/** The same pragmas as SqliteStore's constructor (defaults: 64 MiB cache, 256 MiB mmap). */
function openLikeTheStore(path: string): Database.Database {
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.pragma("busy_timeout = 5000");
  db.pragma("foreign_keys = OFF");
  db.pragma(`cache_size = -${64 * 1024}`);
  db.pragma(`mmap_size = ${256 * 1024 * 1024}`);
  return db;
}

/** The store's insertEvent (statements.ts) alone, one transaction per batch. */
function floorRate(db: Database.Database, ready: readonly StoredEvent[], batchSize: number): number {
  const insert = db.prepare(
    `INSERT INTO events_by_user_day
       (user_id, day, occurred_at, event_id, type, repo, category, groups_json, payload, points, ranked, fingerprint)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const write = db.transaction((batch: readonly StoredEvent[]) => {
    for (const e of batch)
      insert.run(
        e.userId,
        dayOf(e.occurredAt),
        e.occurredAt.getTime(),
        e.id,
        e.type,
        e.repo,
        e.category,
        JSON.stringify(e.groups),
        e.payload,
        e.points,
        e.ranked ? 1 : 0,
        e.fingerprint,
      );
  });
  const started = performance.now();
  for (const batch of batches(ready, batchSize)) write.immediate(batch);
  return ready.length / ((performance.now() - started) / 1000);
}

export async function appendRates(
  dir: string,
  ready: readonly StoredEvent[],
  batchSize: number,
): Promise<AppendRates> {
  const store = await storeRate(join(dir, "store.db"), ready, batchSize);
  const ddl = await eventsTableDdl(dir);
  const db = openLikeTheStore(join(dir, "floor.db"));
  try {
    for (const { sql } of ddl) db.exec(sql);
    const floor = floorRate(db, ready, batchSize);
    const stored = db.prepare<[], { n: number }>("SELECT count(*) AS n FROM events_by_user_day").get()?.n;
    if (stored !== ready.length) throw new Error(`the floor stored ${stored} of ${ready.length} rows`);
    return { store, floor, floorSchema: ddl.map((d) => d.name) };
  } finally {
    db.close();
  }
}
