import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { periodOf, type Period } from "../../src/domain/time.js";
import { createLoaders } from "../../src/graphql/loaders.js";
import { QueryService } from "../../src/services/queries.js";
import type { UserTally } from "../../src/store/port.js";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { ForwardingStore } from "../support/forwarding-store.js";

const AT = new Date("2024-01-03T00:00:00Z");
const ALL_TIME = periodOf("ALL_TIME", AT);
const DAY = periodOf("DAY", AT);

/** The day's tallies fail; a store that forgets one user's tally leaves that user out. */
class FlakyTallies extends ForwardingStore {
  override async tallies(userIds: readonly string[], period: Period): Promise<UserTally[]> {
    if (period.window === "DAY") throw new Error("day tallies unavailable");
    const tallies = await super.tallies(userIds, period);
    return tallies.filter((tally) => tally.userId !== "forgotten");
  }
}

describe("tally loader", () => {
  const store = new SqliteStore({ path: ":memory:" });

  beforeAll(() => store.migrate());
  afterAll(() => store.close());

  it("fails only the keys whose tallies failed, each with its own error", async () => {
    const loaders = createLoaders(new QueryService(new FlakyTallies(store)));
    const [ana, day, forgotten] = await Promise.allSettled([
      loaders.tally.load({ userId: "ana", period: ALL_TIME }),
      loaders.tally.load({ userId: "ana", period: DAY }),
      loaders.tally.load({ userId: "forgotten", period: ALL_TIME }),
    ]);
    expect(ana).toEqual({
      status: "fulfilled",
      value: { userId: "ana", count: 0, points: 0, byType: [] },
    });
    expect(day).toMatchObject({ status: "rejected", reason: { message: "day tallies unavailable" } });
    expect(forgotten).toMatchObject({
      status: "rejected",
      reason: { message: "store returned no tally for forgotten" },
    });
  });
});
