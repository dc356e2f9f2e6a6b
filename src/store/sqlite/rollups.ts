import type { Database, Statement } from "better-sqlite3";
import type { ReportCellDelta } from "../aggregates.js";
import type { ReportRollup, ReportScope, RollupUsersRead } from "../port.js";
import { addUsers, countUsers } from "../user-set.js";

interface RollupRow {
  type: string;
  group_name: string;
  events: number;
  points: number;
  users: Buffer;
}

interface RollupDelta {
  readonly day: string;
  readonly scope: ReportScope;
  readonly type: string;
  readonly group: string;
  events: number;
  points: number;
  readonly users: Set<string>;
}

/**
 * The report rollups of the embedded store (migration 5): per day, scope, type and group, events,
 * points and the exact set of users (user-set.ts, over the `user_numbers` dictionary). Kept in the
 * same transaction as the report cells they sum.
 */
export class SqliteRollups {
  private readonly numberOf: Statement<[string], { n: number }>;
  private readonly addUser: Statement<[string]>;
  private readonly current: Statement<[string, string, string, string], { users: Buffer }>;
  private readonly upsert: Statement<[string, string, string, string, number, number, Buffer]>;
  private readonly ofDay: Statement<[string, string], RollupRow>;
  private readonly clearAll: Statement<[]>;

  constructor(db: Database) {
    this.numberOf = db.prepare("SELECT n FROM user_numbers WHERE user_id = ?");
    this.addUser = db.prepare("INSERT INTO user_numbers (user_id) VALUES (?)");
    this.current = db.prepare(
      "SELECT users FROM report_rollups WHERE day = ? AND scope = ? AND type = ? AND group_name = ?",
    );
    this.upsert = db.prepare(
      `INSERT INTO report_rollups (day, scope, type, group_name, events, points, users) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (day, scope, type, group_name)
       DO UPDATE SET events = events + excluded.events, points = points + excluded.points, users = excluded.users`,
    );
    this.ofDay = db.prepare(
      "SELECT type, group_name, events, points, users FROM report_rollups WHERE day = ? AND scope = ?",
    );
    this.clearAll = db.prepare("DELETE FROM report_rollups");
  }

  /** Folds the batch's new cells into the rollups: one read and one write per rollup row touched. */
  apply(cells: readonly ReportCellDelta[]): void {
    const deltas = new Map<string, RollupDelta>();
    for (const cell of cells) {
      const key = `${cell.day}\u0000${cell.scope}\u0000${cell.type}\u0000${cell.group}`;
      let delta = deltas.get(key);
      if (delta === undefined) {
        delta = {
          day: cell.day,
          scope: cell.scope,
          type: cell.type,
          group: cell.group,
          events: 0,
          points: 0,
          users: new Set(),
        };
        deltas.set(key, delta);
      }
      delta.events += cell.events;
      delta.points += cell.points;
      delta.users.add(cell.userId);
    }
    const numbers = new Map<string, number>();
    const numberOf = (userId: string): number => {
      let n = numbers.get(userId) ?? this.numberOf.get(userId)?.n;
      if (n === undefined) {
        this.addUser.run(userId);
        n = this.numberOf.get(userId)!.n;
      }
      numbers.set(userId, n);
      return n;
    };
    for (const d of deltas.values()) {
      const stored = this.current.get(d.day, d.scope, d.type, d.group)?.users ?? null;
      const users = addUsers(stored, [...d.users].map(numberOf));
      this.upsert.run(d.day, d.scope, d.type, d.group, d.events, d.points, Buffer.from(users));
    }
  }

  /**
   * A day's rollups. With "count", each row's users come as their number: a (day, scope, type,
   * group) is one row here, so the sets of the rows a report adds up under "count" never overlap.
   */
  read(day: string, scope: ReportScope, users: RollupUsersRead = "join"): ReportRollup[] {
    return this.ofDay.all(day, scope).map((row) => ({
      day,
      type: row.type,
      group: row.group_name === "" ? null : row.group_name,
      events: row.events,
      points: row.points,
      users: users === "count" ? { count: countUsers(row.users) } : { numbers: row.users },
    }));
  }

  clear(): void {
    this.clearAll.run();
  }
}
