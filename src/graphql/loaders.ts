import DataLoader from "dataloader";
import type { Period } from "../domain/time.js";
import type { QueryService } from "../services/queries.js";
import type { UserTally } from "../store/port.js";

export interface TallyKey {
  readonly userId: string;
  readonly period: Period;
}

export interface Loaders {
  /** A user's tally in a period. All keys of one tick become one store call per period. */
  readonly tally: DataLoader<TallyKey, UserTally, string>;
}

/** Each loader is built on first use: most requests use none or one of them. */
export function createLoaders(queries: QueryService): Loaders {
  let tally: Loaders["tally"] | null = null;
  return {
    get tally() {
      return (tally ??= new DataLoader<TallyKey, UserTally, string>((keys) => loadTallies(queries, keys), {
        cacheKeyFn: (key) => `${key.period.window}\u0000${key.period.bucket}\u0000${key.userId}`,
        maxBatchSize: 1000,
      }));
    },
  };
}

async function loadTallies(queries: QueryService, keys: readonly TallyKey[]): Promise<UserTally[]> {
  const byPeriod = new Map<string, { period: Period; userIds: string[] }>();
  for (const { userId, period } of keys) {
    const id = `${period.window}\u0000${period.bucket}`;
    const group = byPeriod.get(id) ?? { period, userIds: [] };
    group.userIds.push(userId);
    byPeriod.set(id, group);
  }
  const results = new Map<string, UserTally>();
  await Promise.all(
    [...byPeriod.entries()].map(async ([id, { period, userIds }]) => {
      const tallies = await queries.tallies([...new Set(userIds)], period);
      for (const tally of tallies) results.set(`${id}\u0000${tally.userId}`, tally);
    }),
  );
  return keys.map((key) => {
    const tally = results.get(`${key.period.window}\u0000${key.period.bucket}\u0000${key.userId}`);
    if (!tally) throw new Error(`store returned no tally for ${key.userId}`);
    return tally;
  });
}
