import { registerEnumType } from "type-graphql";
import type { Window } from "../../domain/time.js";

/** Mirrors domain/time.ts WINDOWS; GraphQL needs an enum object. */
export const WindowEnum = {
  DAY: "DAY",
  WEEK: "WEEK",
  MONTH: "MONTH",
  ALL_TIME: "ALL_TIME",
} as const satisfies Record<Window, Window>;

registerEnumType(WindowEnum, {
  name: "Window",
  description:
    "A UTC time window: the day, ISO week (Monday first) or month containing a reference time, or all time.",
});
