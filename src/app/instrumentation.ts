import { BatchTooLargeError, type IngestService } from "../services/ingest.js";
import type { StoreLifecycle } from "../store/port.js";
import type { Metrics } from "./metrics.js";

/**
 * The store, timed: every method call lands in a latency histogram by operation and outcome.
 * A Proxy rather than a hand-written wrapper, so methods an adapter has beyond the port (which
 * callers detect with `in`) still reach it, timed like the rest, with the adapter as `this`.
 */
export function instrumentStore<S extends StoreLifecycle>(store: S, metrics: Metrics): S {
  const timed = (operation: string, method: (...args: unknown[]) => unknown) => {
    return async (...args: unknown[]): Promise<unknown> => {
      const stop = metrics.storeLatency.startTimer({ operation });
      try {
        const result = await method.apply(store, args);
        stop({ outcome: "ok" });
        return result;
      } catch (error) {
        stop({ outcome: "error" });
        throw error;
      }
    };
  };
  // Keyed by the method itself, so a method replaced on the store is wrapped afresh.
  const wrapped = new WeakMap<object, unknown>();
  return new Proxy(store, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== "function" || property === "close" || typeof property !== "string") return value;
      if (!wrapped.has(value))
        wrapped.set(
          value,
          timed(OPERATION_NAMES[property] ?? property, value as (...args: unknown[]) => unknown),
        );
      return wrapped.get(value);
    },
  });
}

/** Methods timed under another operation's name: the same write, so dashboards keep one series. */
const OPERATION_NAMES: Readonly<Record<string, string>> = { appendWithChanges: "append" };

/**
 * Counts what every recording path (GraphQL, webhooks, poller, import) did with its events.
 * IngestService is a class the services layer owns; wrapping its one entry point here keeps
 * metrics out of that layer.
 */
export function instrumentIngest(ingest: IngestService, metrics: Metrics): void {
  const record = ingest.record.bind(ingest);
  ingest.record = async (drafts, wait) => {
    try {
      const result = await record(drafts, wait);
      metrics.recordIngest(drafts.length, result);
      return result;
    } catch (error) {
      metrics.batchSize.observe(drafts.length);
      // A batch refused whole for its size is the client's doing; anything else failed here.
      const outcome = error instanceof BatchTooLargeError ? "rejected" : "failed";
      metrics.ingestedEvents.inc({ outcome }, drafts.length);
      throw error;
    }
  };
}
