/**
 * How much a month adds to a month's rollup partitions (cql/011): bench/hot-partitions.ts plans one
 * day, but a month row's set holds the distinct (user, type, group) of the whole month. This draws
 * the same mix day after day (the first day is exactly hot-partitions.ts's sample: same seed, same
 * draws) and counts each shard's and scope's distinct elements of the day and of the month so far.
 *
 *   npx tsx bench/rollup-month-growth.ts [-- --events 100000 --users 10000 --shards 12 --days 31]
 *
 * Prints the largest month's elements after each week and at the end, over the first day's largest:
 * the factor by which the largest month partition outgrows hot-partitions.ts's one-day figure.
 */
import { parseArgs } from "node:util";
import { partitionOf } from "../src/services/kafka/pipelined-sender.js";
import { mixSource } from "./zipf-mix.js";

const { values } = parseArgs({
  options: {
    events: { type: "string", default: "100000" },
    users: { type: "string", default: "10000" },
    shards: { type: "string", default: "12" },
    days: { type: "string", default: "31" },
  },
});
const PER_DAY = Number(values.events);
const USERS = Number(values.users);
const SHARDS = Number(values.shards);
const DAYS = Number(values.days);
const { random, pickUser, pickType } = mixSource(USERS);

const shardOf = new Map<string, number>();
const month = new Map<string, Set<string>>();
/** The largest (shard, scope) of the first day: hot-partitions.ts's sample. */
let firstDay: [string, number] = ["", 0];
const add = (sets: Map<string, Set<string>>, key: string, element: string): void => {
  let set = sets.get(key);
  if (!set) sets.set(key, (set = new Set()));
  set.add(element);
};
for (let d = 1; d <= DAYS; d++) {
  const day = new Map<string, Set<string>>();
  for (let i = 0; i < PER_DAY; i++) {
    // The draws of hot-partitions.ts, in its order: user, type, category, groups.
    const userId = `user-${pickUser()}`;
    const [type] = pickType();
    if (random() < 0.6) random();
    const groups = random() < 0.3 ? [`org-${Math.floor(random() * 5000)}`] : [""];
    let shard = shardOf.get(userId);
    if (shard === undefined) shardOf.set(userId, (shard = partitionOf(userId, SHARDS)));
    for (const [scope, group] of [["all", ""], ...groups.map((g) => ["group", g])] as const) {
      add(day, `${shard} ${scope}`, `${userId}\u0000${type}\u0000${group}`);
      add(month, `${shard} ${scope}`, `${userId}\u0000${type}\u0000${group}`);
    }
  }
  if (d === 1) for (const [key, set] of day) if (set.size > firstDay[1]) firstDay = [key, set.size];
  if (d % 7 === 0 || d === DAYS) {
    const [key, set] = [...month].sort((a, b) => b[1].size - a[1].size)[0]!;
    console.log(
      `after ${d} days: largest month (shard scope) ${key}: ${set.size} elements; largest of the first day ` +
        `${firstDay[0]}: ${firstDay[1]}; factor ${(set.size / firstDay[1]).toFixed(1)}`,
    );
  }
}
