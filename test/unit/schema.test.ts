import { readFileSync } from "node:fs";
import { join } from "node:path";
import { printSchema } from "graphql";
import { describe, expect, it } from "vitest";
import { createSchema } from "../../src/graphql/schema.js";

describe("schema.graphql", () => {
  it("is the schema the code generates (run `npm run schema` after changing types)", async () => {
    const checkedIn = readFileSync(join(import.meta.dirname, "../../schema.graphql"), "utf8");
    expect(checkedIn).toBe(`${printSchema(await createSchema())}\n`);
  });
});
