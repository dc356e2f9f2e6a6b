import type { Cql } from "./cql.js";
import type { Generations } from "./generations.js";
import type { Client } from "./options.js";

/** What the read and write paths share: one client, the statements and the active generation. */
export interface StoreContext {
  readonly client: Client;
  readonly cql: Cql;
  readonly generations: Generations;
  /** Requests in flight at once for bulk work. */
  readonly concurrency: number;
  /** Consistency for the SERIAL read that resolves a timed-out LWT. */
  readonly serialConsistency: number;
  readonly abandonedAfterMs: number;
  /** Operational warnings (repair needed); console.warn by default. */
  readonly warn: (message: string) => void;
}

/** Counters and bigints come back as driver Longs; everything we store fits a double exactly. */
export function toNumber(value: unknown): number {
  if (value === null || value === undefined) return 0;
  if (typeof value === "number") return value;
  if (typeof value === "bigint") return Number(value);
  if (typeof value === "object" && "toNumber" in value && typeof value.toNumber === "function") {
    return (value as { toNumber(): number }).toNumber();
  }
  return Number(String(value));
}

export function toText(value: unknown): string {
  return typeof value === "string" ? value : String(value);
}

export function toTextOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : toText(value);
}
