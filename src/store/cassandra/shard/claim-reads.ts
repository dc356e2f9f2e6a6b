import type { LogRecord } from "../../port.js";
import { mapConcurrent } from "../concurrency.js";
import { toNumber, toText } from "../context.js";
import { replicaLookup, routingKey } from "../partition-batches.js";
import type { ClaimsById } from "./claims.js";
import type { LogFedContext } from "./context.js";

/**
 * Ids per read. An id is a partition of its own, so a read of many is one request that the
 * coordinator answers from several partitions; grouped by replicas, the coordinator (a replica,
 * by token-aware routing) holds every one, so no read takes an extra hop.
 */
const IDS_PER_READ = 50;

/**
 * The stored claims of the records' ids, in one request per IDS_PER_READ ids that share their
 * replicas instead of one per id: a batch of 1,000 events cost 1,000 requests of the client's
 * CPU, the same cores Cassandra runs on here. An id whose replicas are not known is read alone.
 */
export async function readClaims(ctx: LogFedContext, records: readonly LogRecord[]): Promise<ClaimsById> {
  const replicasOf = replicaLookup(ctx.client, ctx.keyspace);
  const groups = new Map<string, string[]>();
  for (const id of new Set(records.map((record) => record.event.id))) {
    const hosts = replicasOf(routingKey([id]));
    const name =
      hosts === null || hosts.length === 0
        ? `id ${id}`
        : hosts
            .map((host) => host.address)
            .sort()
            .join(" ");
    const group = groups.get(name);
    if (group) group.push(id);
    else groups.set(name, [id]);
  }
  const reads = [...groups.values()].flatMap((ids) => {
    const chunks: string[][] = [];
    for (let i = 0; i < ids.length; i += IDS_PER_READ) chunks.push(ids.slice(i, i + IDS_PER_READ));
    return chunks;
  });
  const claims: ClaimsById = new Map();
  await mapConcurrent(reads, ctx.concurrency, async (ids) => {
    for (const id of ids) claims.set(id, new Map());
    const result = await ctx.client.execute(ctx.sql.claimsOfIds, [ids], {
      prepare: true,
      isIdempotent: true,
      fetchSize: 5000,
    });
    for await (const row of result) {
      claims.get(toText(row["event_id"]))?.set(toText(row["user_id"]), {
        fingerprint: toText(row["fingerprint"]),
        shard: toNumber(row["log_partition"]),
        offset: toNumber(row["log_offset"]),
      });
    }
  });
  return claims;
}
