import type { IncomingMessage, ServerResponse } from "node:http";
import { once } from "node:events";
import {
  InvalidReportError,
  REPORT_DIMENSIONS,
  type ReportDimension,
  type ReportRequest,
  type ReportRow,
  type ReportService,
} from "../../services/reports.js";
import { sendJson } from "../http/responses.js";
import type { Route } from "../http/routes.js";

export const REPORTS_CSV_PATH = "/reports.csv";
const COLUMNS = ["period", "type", "category", "group", "events", "users", "score"] as const;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * GET /reports.csv?from=2015-01-01&to=2015-01-02&groupBy=DAY,TYPE&types=PushEvent,IssuesEvent
 * The same report as the GraphQL `report` query, as CSV for spreadsheets, written row by row
 * with backpressure. Parameters: from, to (YYYY-MM-DD; to exclusive), groupBy, and the filters
 * types, categories, groups, userIds (comma-separated).
 */
export function reportsCsvRoute(reports: ReportService): Route {
  return {
    path: REPORTS_CSV_PATH,
    access: "read",
    handle: (request, response, url) => answer(reports, request, response, url),
  };
}

async function answer(
  reports: ReportService,
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
): Promise<boolean> {
  if (request.method !== "GET" && request.method !== "HEAD") {
    response.setHeader("allow", "GET, HEAD");
    sendJson(response, 405, {
      errors: [{ message: "use GET", extensions: { code: "METHOD_NOT_ALLOWED" } }],
    });
    return true;
  }
  let rows: readonly ReportRow[];
  // A client that leaves stops the report between days.
  const stop = new AbortController();
  const leave = (): void => {
    if (!response.writableFinished) stop.abort(new Error("the client closed the connection"));
  };
  response.once("close", leave);
  try {
    rows = await reports.run(parseReportRequest(url.searchParams), stop.signal);
  } catch (error) {
    if (stop.signal.aborted) return true;
    if (!(error instanceof InvalidReportError)) throw error;
    sendJson(response, 400, {
      errors: [{ message: error.message, extensions: { code: "BAD_USER_INPUT" } }],
    });
    return true;
  }
  const name = `eventscore-report-${url.searchParams.get("from")}-${url.searchParams.get("to")}.csv`;
  response.writeHead(200, {
    "content-type": "text/csv; charset=utf-8",
    "content-disposition": `attachment; filename="${name}"`,
    "cache-control": "no-store",
  });
  if (request.method === "HEAD") {
    response.end();
    return true;
  }
  await writeCsv(response, rows);
  return true;
}

export function parseReportRequest(params: URLSearchParams): ReportRequest {
  const date = (name: string): Date => {
    const value = params.get(name);
    if (value === null || !DATE.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) {
      throw new InvalidReportError(`${name} must be a date like 2015-01-01`);
    }
    return new Date(`${value}T00:00:00.000Z`);
  };
  const list = (name: string): string[] | null => {
    const value = params.get(name);
    if (value === null) return null;
    return value
      .split(",")
      .map((item) => item.trim())
      .filter((item) => item.length > 0);
  };
  const groupBy = (list("groupBy") ?? []).map((item) => item.toUpperCase());
  const unknown = groupBy.find((item) => !(REPORT_DIMENSIONS as readonly string[]).includes(item));
  if (unknown !== undefined) {
    throw new InvalidReportError(`groupBy: "${unknown}" is not one of ${REPORT_DIMENSIONS.join(", ")}`);
  }
  return {
    from: date("from"),
    to: date("to"),
    groupBy: [...new Set(groupBy as ReportDimension[])],
    filter: {
      types: list("types"),
      categories: list("categories"),
      groups: list("groups"),
      userIds: list("userIds"),
    },
  };
}

async function writeCsv(response: ServerResponse, rows: readonly ReportRow[]): Promise<void> {
  const write = async (line: string): Promise<void> => {
    if (!response.write(line)) await once(response, "drain");
  };
  await write(`${COLUMNS.join(",")}\r\n`);
  for (const row of rows) await write(`${COLUMNS.map((column) => csvField(row[column])).join(",")}\r\n`);
  response.end();
}

/**
 * RFC 4180 quoting, plus a leading apostrophe for text a spreadsheet would run as a formula
 * (=, +, -, @): event types, categories and groups come from clients.
 */
export function csvField(value: string | number | null): string {
  if (value === null) return "";
  if (typeof value === "number") return String(value);
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}
