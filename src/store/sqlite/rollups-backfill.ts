import type { Database } from "better-sqlite3";
import type { ReportCellDelta } from "../aggregates.js";
import { SqliteRollups } from "./rollups.js";
import { REPORT_CELL_COLUMNS } from "./statements.js";

/** Migration 5 on a store that already holds events: the rollups of every stored report cell, a day at a time. */
export function backfillRollups(db: Database): void {
  const rollups = new SqliteRollups(db);
  let day: string | null = null;
  let cells: ReportCellDelta[] = [];
  const flush = (): void => {
    rollups.apply(cells);
    cells = [];
  };
  const all = db.prepare<[], ReportCellDelta>(
    `SELECT scope, ${REPORT_CELL_COLUMNS} FROM report_cells ORDER BY day`,
  );
  for (const row of all.iterate()) {
    if (row.day !== day) {
      flush();
      day = row.day;
    }
    cells.push(row);
  }
  flush();
}
