import type { EventDraft } from "../../domain/event.js";
import type { IngestResult } from "../../services/ingest.js";

/** What the GitHub sources need from the ingest service: the webhook, the poller and the importer. */
export interface EventSink {
  readonly maxBatchSize: number;
  record(drafts: readonly EventDraft[]): Promise<IngestResult>;
}

/** Structured logging, as the server's pino logger or the CLI's JSON lines provide it. */
export interface SourceLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}
