/**
 * A client of `recordEvents` for load tests: one POST of a batch, and what came back. Errors are
 * tallied by `extensions.code` (and anything that is not a GraphQL answer as a problem), so a
 * test can retry and afterwards check that clients only ever saw retryable errors.
 */
import { expect } from "vitest";

const RECORD = `mutation ($events: [EventInput!]!) { recordEvents(events: $events) { applied accepted duplicates rejected { index code } } }`;

export interface Recorded {
  /** False when the mutation answered once the events were durable in the log, not yet counted. */
  readonly applied: boolean;
  readonly accepted: number;
  readonly duplicates: number;
}

export interface RecordFailures {
  /** Error answers by `extensions.code`. */
  readonly codes: Map<string, number>;
  /** 5xx statuses and requests without an answer. */
  readonly problems: string[];
}

export function recordFailures(): RecordFailures {
  return { codes: new Map(), problems: [] };
}

interface Reply {
  data?: { recordEvents: Recorded & { rejected: unknown[] } } | null;
  errors?: { extensions?: { code?: string } }[];
}

/** Sends one batch: its result when it was acknowledged (nothing rejected), else null after tallying why. */
export async function recordBatch(
  url: string,
  events: readonly object[],
  failures: RecordFailures,
): Promise<Recorded | null> {
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: RECORD, variables: { events } }),
    });
    if (response.status >= 500) failures.problems.push(`status ${response.status}`);
    const reply = (await response.json()) as Reply;
    if (reply.data?.recordEvents) {
      expect(reply.data.recordEvents.rejected).toEqual([]);
      return reply.data.recordEvents;
    }
    for (const error of reply.errors ?? []) {
      const code = error.extensions?.code ?? "NONE";
      failures.codes.set(code, (failures.codes.get(code) ?? 0) + 1);
    }
  } catch (error) {
    failures.problems.push(`no answer: ${String(error)}`);
  }
  return null;
}
