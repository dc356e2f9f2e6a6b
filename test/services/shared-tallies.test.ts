import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { periodOf, type Period } from "../../src/domain/time.js";
import { QueryService } from "../../src/services/queries.js";
import type { UserTally } from "../../src/store/port.js";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { ForwardingStore } from "../support/forwarding-store.js";
import { storedEvent } from "../support/stored-event.js";

function pushEvent(id: string, userId: string) {
  return storedEvent({ id, userId, type: "PushEvent", at: "2024-04-03T10:00:00Z", points: 2 });
}

/**
 * Every viewer of a board page asks for the same users' tallies (its rows' nested counts): the
 * viewers whose requests reach the service in one turn of the event loop share one store read,
 * and a read never began before a caller asked (a write acknowledged before is in the answer).
 */
describe("QueryService.tallies shared among concurrent callers", () => {
  const source = new SqliteStore({ path: ":memory:" });
  let reads = 0;
  class CountingStore extends ForwardingStore {
    override tallies(userIds: readonly string[], period: Period): Promise<UserTally[]> {
      reads += 1;
      return super.tallies(userIds, period);
    }
  }
  const queries = new QueryService(new CountingStore(source));
  const period = periodOf("ALL_TIME", new Date("2024-04-04T00:00:00Z"));
  const scores = (tallies: readonly UserTally[]) => tallies.map((t) => [t.userId, t.points]);

  beforeAll(async () => {
    await source.migrate();
    await source.append([pushEvent("e1", "alice"), pushEvent("e2", "bob"), pushEvent("e3", "bob")]);
  });
  afterAll(() => source.close());

  it("gives the callers of one turn one read, each the whole answer", async () => {
    reads = 0;
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => queries.tallies(["alice", "bob"], period)),
    );
    expect(reads).toBe(1);
    for (const answer of answers)
      expect(scores(answer)).toEqual([
        ["alice", 2],
        ["bob", 4],
      ]);
  });

  it("reads again for a caller that comes after a write", async () => {
    reads = 0;
    await queries.tallies(["alice", "bob"], period);
    await source.append([pushEvent("e4", "alice")]);
    expect(scores(await queries.tallies(["alice", "bob"], period))).toEqual([
      ["alice", 4],
      ["bob", 4],
    ]);
    expect(reads).toBe(2);
  });

  it("keeps other user lists and periods apart, and reads a lone user directly", async () => {
    reads = 0;
    const week = periodOf("WEEK", new Date("2024-04-04T00:00:00Z"));
    const [both, reversed, weekly, alone] = await Promise.all([
      queries.tallies(["alice", "bob"], period),
      queries.tallies(["bob", "alice"], period),
      queries.tallies(["alice", "bob"], week),
      queries.tallies(["bob"], period),
    ]);
    expect(reads).toBe(4);
    expect(scores(reversed)).toEqual([...scores(both)].reverse());
    expect(scores(weekly)).toEqual(scores(both));
    expect(scores(alone)).toEqual([["bob", 4]]);
  });
});
