import type { Database } from "better-sqlite3";
import type { ReportCellDelta } from "../aggregates.js";
import { SqliteRollups } from "./rollups.js";
import type { ReportCellRow } from "./statements.js";

type CellRow = ReportCellRow & { scope: "all" | "group" };

/** Migration 5 on a store that already holds events: the rollups of every stored report cell, a day at a time. */
export function backfillRollups(db: Database): void {
  const rollups = new SqliteRollups(db);
  let day: string | null = null;
  let cells: ReportCellDelta[] = [];
  const flush = (): void => {
    rollups.apply(cells);
    cells = [];
  };
  for (const row of db.prepare<[], CellRow>("SELECT * FROM report_cells ORDER BY day").iterate()) {
    if (row.day !== day) {
      flush();
      day = row.day;
    }
    cells.push({
      day: row.day,
      scope: row.scope,
      type: row.type,
      category: row.category,
      group: row.group_name,
      userId: row.user_id,
      events: row.events,
      points: row.points,
    });
  }
  flush();
}
