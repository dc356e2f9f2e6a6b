import type { EventDraft } from "../domain/event.js";
import { BatchTooLargeError, type Ingest, type IngestResult, type WaitMode } from "../services/ingest.js";
import type { Metrics } from "./metrics.js";

/**
 * Ingest, counted: what every recording path (GraphQL, webhooks, poller, import) did with its
 * events. A decorator here keeps metrics out of the services layer.
 */
export class InstrumentedIngest implements Ingest {
  constructor(
    private readonly inner: Ingest,
    private readonly metrics: Metrics,
  ) {}

  get maxBatchSize(): number {
    return this.inner.maxBatchSize;
  }

  async record(drafts: readonly EventDraft[], wait?: WaitMode): Promise<IngestResult> {
    try {
      const result = await this.inner.record(drafts, wait);
      this.metrics.recordIngest(drafts.length, result);
      return result;
    } catch (error) {
      this.metrics.batchSize.observe(drafts.length);
      // A batch refused whole for its size is the client's doing; anything else failed here.
      const outcome = error instanceof BatchTooLargeError ? "rejected" : "failed";
      this.metrics.ingestedEvents.inc({ outcome }, drafts.length);
      throw error;
    }
  }
}
