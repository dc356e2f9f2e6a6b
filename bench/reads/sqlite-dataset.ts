/**
 * Builds the SQLite file of the read benchmark through the store port (SqliteStore.append, batches
 * of 1,000), or reuses it when a file of the same dataset and schema exists. The file name carries
 * the dataset's shape and the schema's version, so a new migration builds a new file.
 */
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { SQLITE_MIGRATIONS } from "../../src/store/sqlite/migrations.js";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { generate, type DatasetShape } from "./dataset.js";

const DIR = join(import.meta.dirname, "../../data/bench");

export interface Prepared {
  readonly path: string;
  /** Events/s of the load, when this run built the file; null when it was reused. */
  readonly loadRate: number | null;
}

export async function prepareSqlite(shape: DatasetShape): Promise<Prepared> {
  const version = SQLITE_MIGRATIONS.at(-1)!.version;
  const name = `reads-${shape.events}e-${shape.users}u-${shape.days}d-s${shape.seed}-v${version}.db`;
  const path = join(DIR, name);
  if (existsSync(path)) return { path, loadRate: null };
  mkdirSync(DIR, { recursive: true });
  const building = `${path}.building`;
  for (const suffix of ["", "-wal", "-shm"]) rmSync(building + suffix, { force: true });
  // NORMAL only for the load: the data is the same, and the benchmark server runs with the default FULL.
  const store = new SqliteStore({ path: building, synchronous: "NORMAL" });
  await store.migrate();
  const started = performance.now();
  let loaded = 0;
  for (const batch of generate(shape)) {
    await store.append(batch);
    loaded += batch.length;
    if (loaded % 100_000 === 0) {
      const rate = loaded / ((performance.now() - started) / 1000);
      console.log(`  loaded ${loaded.toLocaleString("en-US")} events (${Math.round(rate)} events/s)`);
    }
  }
  const loadRate = loaded / ((performance.now() - started) / 1000);
  await store.close();
  const db = new Database(building);
  db.pragma("wal_checkpoint(TRUNCATE)");
  db.close();
  renameSync(building, path);
  return { path, loadRate };
}

/** Users at the bottom of the all-time board (lowest value, last by id), for the bottom-rank query. */
export function bottomUsers(path: string, count: number): string[] {
  const db = new Database(path, { readonly: true });
  try {
    return db
      .prepare<[number], { user_id: string }>(
        `SELECT user_id FROM leaderboard WHERE time_window = 'ALL_TIME' AND bucket = '*' AND metric = '*'
         ORDER BY value ASC, user_id DESC LIMIT ?`,
      )
      .all(count)
      .map((row) => row.user_id);
  } finally {
    db.close();
  }
}
