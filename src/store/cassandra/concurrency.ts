import type { Client } from "./options.js";

type Params = readonly unknown[];

/**
 * Runs one idempotent prepared statement for many parameter sets with bounded concurrency.
 *
 * The driver's `executeConcurrent` cannot mark its statements idempotent (it takes no query
 * options), so the driver would never retry them; for writes that are safe to repeat (log rows,
 * sorted leaderboard rows, gate flags) this helper passes `isIdempotent: true` instead.
 * Counter updates go through `executeConcurrent`, where the client default (not idempotent) holds.
 */
export async function executeIdempotent(
  client: Client,
  query: string,
  paramsList: readonly Params[],
  concurrency: number,
): Promise<void> {
  await mapConcurrent(paramsList, concurrency, async (params) => {
    await client.execute(query, params as unknown[], { prepare: true, isIdempotent: true });
  });
}

/** Maps with at most `limit` promises pending; results keep the input order. */
export async function mapConcurrent<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
