import {
  decodeEventCursor,
  decodeRankCursor,
  type EventPosition,
  type RankPosition,
} from "../domain/cursor.js";
import type { BoardScope } from "../store/aggregates.js";
import { badUserInput } from "./errors.js";

const MAX_TYPE_FILTERS = 100;

/** `first` must be 1..max: unbounded pages are how one query takes a service down. */
export function pageSize(first: number, max: number): number {
  if (!Number.isInteger(first) || first < 1 || first > max) {
    throw badUserInput(`first must be between 1 and ${max}`, { argument: "first", max });
  }
  return first;
}

export function eventCursor(after: string | null | undefined): EventPosition | null {
  if (after === null || after === undefined) return null;
  const position = decodeEventCursor(after);
  if (!position) throw badUserInput("after is not a cursor returned by events", { argument: "after" });
  return position;
}

export function rankCursor(after: string | null | undefined): RankPosition | null {
  if (after === null || after === undefined) return null;
  const position = decodeRankCursor(after);
  if (!position) throw badUserInput("after is not a cursor returned by leaderboard", { argument: "after" });
  return position;
}

export function typeFilter(types: string[] | null | undefined): string[] | null {
  if (types === null || types === undefined) return null;
  if (types.length > MAX_TYPE_FILTERS) {
    throw badUserInput(`at most ${MAX_TYPE_FILTERS} types may be given`, { argument: "types" });
  }
  return [...new Set(types)];
}

export function nonEmpty(value: string, argument: string): string {
  if (value.length === 0 || value.length > 256) {
    throw badUserInput(`${argument} must be 1 to 256 characters`, { argument });
  }
  return value;
}

const EARLIEST = new Date("1970-01-01T00:00:00.000Z");
const LATEST = new Date("9999-12-31T23:59:59.999Z");
// The last reference time whose every window (day, ISO week, month) ends within year 9999, so
// that the window's `to` can be printed in RFC 3339.
const LATEST_REFERENCE = new Date("9999-11-30T23:59:59.999Z");

/** A window's reference time (`at`): from 1970 to the end of November 9999; null means now. */
export function referenceTime(at: Date | null | undefined): Date | null {
  if (at === null || at === undefined) return null;
  if (at.getTime() < EARLIEST.getTime() || at.getTime() > LATEST_REFERENCE.getTime()) {
    throw badUserInput(
      `at must be from ${EARLIEST.toISOString()} to ${LATEST_REFERENCE.toISOString()}, so that every window around it ends by the year 9999`,
      { argument: "at" },
    );
  }
  return at;
}

/** A history range; defaults cover all of time. `from` inclusive, `to` exclusive. */
export function timeRange(
  from: Date | null | undefined,
  to: Date | null | undefined,
): { from: Date; to: Date } {
  const range = { from: from ?? EARLIEST, to: to ?? LATEST };
  if (range.from.getTime() > range.to.getTime()) {
    throw badUserInput("from must not be after to", { argument: "from" });
  }
  return range;
}

/** The scope of a board from `group` or `category` (at most one, and not with `type`); null for all. */
export function boardScope(args: {
  readonly type?: string | null;
  readonly group?: string | null;
  readonly category?: string | null;
}): BoardScope | null {
  const group = args.group ?? null;
  const category = args.category ?? null;
  if (group === null && category === null) return null;
  if (group !== null && category !== null) {
    throw badUserInput("give group or category, not both", { argument: "group" });
  }
  if ((args.type ?? null) !== null) {
    throw badUserInput("a group's or category's board ranks by score: leave out type", { argument: "type" });
  }
  return group !== null
    ? { kind: "group", name: nonEmpty(group, "group") }
    : { kind: "category", name: nonEmpty(category!, "category") };
}
