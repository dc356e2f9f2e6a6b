import type { types as DriverTypes } from "cassandra-driver";
import type { StoredReportCell } from "../../report-cells.js";
import { toNumber, toText } from "../context.js";

/**
 * A row of one report_cells partition (its day is the partition's, so not in the row), as the
 * store's reports and the shard writer's plan both read it. `fence` is 0 where not selected.
 */
export function storedCellOf(
  day: string,
  row: DriverTypes.Row,
): StoredReportCell & { readonly fence: number } {
  return {
    day,
    type: toText(row["type"]),
    category: toText(row["category"]),
    group: toText(row["group_name"]),
    userId: toText(row["user_id"]),
    events: toNumber(row["events"]),
    points: toNumber(row["points"]),
    fence: toNumber(row["fence"]),
  };
}
