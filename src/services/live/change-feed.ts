import type { TallyChange } from "../../store/port.js";
import type { PubSub, Unlisten } from "../pubsub.js";
import { decodeCommit, encodeCommit, type CommitChanges, type Committed } from "./commit-changes.js";

/** The channel every instance publishes its commits on (version 2: events with their tallies). */
export const COMMITS_CHANNEL = "eventscore.commits.v2";

/**
 * Announces what each commit changed to every instance, and hands each commit, decoded once, to
 * this process's fan-out. Publishing is fire and forget and best effort by design: the events are
 * already durable, so a slow or failed pub/sub delays live updates but never holds up, fails or
 * repeats an ingest.
 */
export class ChangeFeed {
  constructor(
    private readonly pubsub: PubSub,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Returns at once; the message is sent in the background. */
  publish(events: readonly Committed[], tallies: readonly TallyChange[]): void {
    if (events.length === 0 && tallies.length === 0) return;
    let message;
    try {
      message = encodeCommit(events, tallies);
    } catch (error) {
      this.onError(error);
      return;
    }
    this.pubsub.publish(COMMITS_CHANNEL, message).catch(this.onError);
  }

  /** Calls `handler` with every commit of every instance, until the returned function is called. */
  listen(handler: (commit: CommitChanges) => void): Promise<Unlisten> {
    return this.pubsub.listen(COMMITS_CHANNEL, (message) => {
      const commit = decodeCommit(message);
      if (commit === null)
        this.onError(new Error("a message on the commits channel is not a commit; skipped"));
      else handler(commit);
    });
  }
}
