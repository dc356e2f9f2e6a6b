import type { Cql } from "./cql.js";
import { toNumber } from "./context.js";
import type { Client } from "./options.js";

const CACHE_MS = 1_000;

/**
 * The active aggregate generation (see docs/cassandra.md, "Repair"). Read from `meta` at most
 * once a second per store instance: after a rebuild on another instance flips the generation,
 * this instance follows within a second. Absent rows mean generation 0.
 */
export class Generations {
  private cached: { value: number; until: number } | null = null;

  constructor(
    private readonly client: Client,
    private readonly cql: Cql,
  ) {}

  async active(): Promise<number> {
    if (this.cached && this.cached.until > Date.now()) return this.cached.value;
    const { active } = await this.read();
    this.cached = { value: active, until: Date.now() + CACHE_MS };
    return active;
  }

  /** The active generation and the highest one a rebuild has started. */
  async read(): Promise<{ active: number; building: number }> {
    const result = await this.client.execute(this.cql.metaRead, [], { prepare: true, isIdempotent: true });
    let active = 0;
    let building = 0;
    for (const row of result.rows) {
      if (row["name"] === "generation") active = toNumber(row["value"]);
      if (row["name"] === "building") building = toNumber(row["value"]);
    }
    return { active, building };
  }

  async write(name: "generation" | "building", value: number): Promise<void> {
    await this.client.execute(this.cql.metaWrite, [value, name], { prepare: true, isIdempotent: true });
    if (name === "generation") this.cached = { value, until: Date.now() + CACHE_MS };
  }

  forget(): void {
    this.cached = null;
  }
}
