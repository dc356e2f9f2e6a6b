import type { AppendOutcome, LogRecord } from "../../port.js";

/** A stored claim of an event id by one user: who wrote it, with which content. */
export interface Claim {
  readonly fingerprint: string;
  readonly shard: number;
  readonly offset: number;
}

/** The claims of one event id, by user id. */
export type ClaimsById = Map<string, Map<string, Claim>>;

export interface ClaimDecision {
  readonly outcomes: AppendOutcome[];
  /** Records whose effects belong in the aggregates: new claims and replays of our own. */
  readonly counted: LogRecord[];
  /** Records that claim their id now; their claim and log rows must be written. */
  readonly claiming: LogRecord[];
}

/**
 * Decides, in offset order, what each record of one log partition is:
 *  - its user's claim of the id is this very record (same partition and offset): a replay after a
 *    crash or a rebalance. It stays "inserted" and is counted again; the fences skip what was
 *    already counted;
 *  - its user has claimed the id with another record: "duplicate" with the same content,
 *    "conflict" with other content (the first write wins);
 *  - another user has claimed the id: "conflict";
 *  - nobody has: "inserted", and the record claims the id.
 * `claims` holds what the store has for the ids of the batch; it is updated in place, so later
 * copies of an id in the same batch see the earlier one.
 */
export function decideClaims(
  shard: number,
  records: readonly LogRecord[],
  claims: ClaimsById,
): ClaimDecision {
  const outcomes: AppendOutcome[] = [];
  const counted: LogRecord[] = [];
  const claiming: LogRecord[] = [];
  for (const record of records) {
    const { id, userId, fingerprint } = record.event;
    let byUser = claims.get(id);
    if (!byUser) claims.set(id, (byUser = new Map()));
    const own = byUser.get(userId);
    if (own) {
      if (own.shard === shard && own.offset === record.offset) {
        outcomes.push("inserted");
        counted.push(record);
        claiming.push(record);
      } else {
        outcomes.push(own.fingerprint === fingerprint ? "duplicate" : "conflict");
      }
    } else if (byUser.size > 0) {
      outcomes.push("conflict");
    } else {
      byUser.set(userId, { fingerprint, shard, offset: record.offset });
      outcomes.push("inserted");
      counted.push(record);
      claiming.push(record);
    }
  }
  return { outcomes, counted, claiming };
}
