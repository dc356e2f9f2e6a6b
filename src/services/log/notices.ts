import type { AppendOutcome } from "../../store/port.js";
import type { JsonValue, PubSub, Unlisten } from "../pubsub.js";
import type { AppliedNotice } from "./ports.js";

/**
 * The channel aggregators announce applied batches of one log on; every API instance listens.
 * Named by the log (its topic), since offsets mean nothing across logs sharing a pub/sub.
 */
export function appliedChannel(log: string): string {
  return `eventscore.applied.v1.${log}`;
}

type NotInserted = Exclude<AppendOutcome, "inserted">;

const NOT_INSERTED: ReadonlySet<unknown> = new Set<NotInserted>(["duplicate", "conflict"]);

function isNotInserted(value: unknown): value is NotInserted {
  return NOT_INSERTED.has(value);
}

export function publishNotice(pubsub: PubSub, channel: string, notice: AppliedNotice): Promise<void> {
  return pubsub.publish(channel, toMessage(notice));
}

/** The notice as the JSON that asNotice reads back, field by field. */
function toMessage(notice: AppliedNotice): JsonValue {
  return {
    shard: notice.shard,
    fromOffset: notice.fromOffset,
    toOffset: notice.toOffset,
    notInserted: notice.notInserted.map(([offset, outcome]) => [offset, outcome]),
  };
}

/**
 * Calls `handler` with each notice from any aggregator; messages that are not notices are skipped
 * and reported to `skipped` (another version, or another program, on the channel).
 */
export function listenForNotices(
  pubsub: PubSub,
  channel: string,
  handler: (notice: AppliedNotice) => void,
  skipped: () => void = () => undefined,
): Promise<Unlisten> {
  return pubsub.listen(channel, (message) => {
    const notice = asNotice(message);
    if (notice !== null) handler(notice);
    else skipped();
  });
}

/** Checks a message from the pub/sub (another process wrote it) before trusting it. */
export function asNotice(message: JsonValue): AppliedNotice | null {
  if (typeof message !== "object" || message === null || Array.isArray(message)) return null;
  const { shard, fromOffset, toOffset, notInserted } = message;
  if (!isOffset(shard) || !isOffset(fromOffset) || !isOffset(toOffset) || !Array.isArray(notInserted))
    return null;
  const pairs: [number, NotInserted][] = [];
  for (const pair of notInserted) {
    if (!Array.isArray(pair) || pair.length !== 2) return null;
    const [offset, outcome] = pair;
    if (!isOffset(offset) || !isNotInserted(outcome)) return null;
    pairs.push([offset, outcome]);
  }
  return { shard, fromOffset, toOffset, notInserted: pairs };
}

function isOffset(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}
