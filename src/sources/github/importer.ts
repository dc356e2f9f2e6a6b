import { stat } from "node:fs/promises";
import type { EventDraft, RejectionCode } from "../../domain/event.js";
import type { IngestResult } from "../../services/ingest.js";
import { readArchive } from "./archive.js";
import { fromGitHubEvent } from "./mapping.js";
import type { EventSink } from "./ports.js";

/**
 * Imports GH Archive hours (NDJSON, optionally gzipped) through the ingest service, in batches
 * of the ingest's maximum size. Re-running an import changes nothing: event ids are GitHub's,
 * so every event of a second run is a duplicate. Malformed lines are counted, never fatal; a
 * file that cannot be read (missing, truncated gzip) is reported and the next file goes on.
 */

/** Where progress goes (process.stderr in the CLI). */
export interface ProgressOutput {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

export interface ImportOptions {
  readonly sink: EventSink;
  /** Defaults to the sink's maximum batch size. */
  readonly batchSize?: number;
  readonly progress?: ProgressOutput | null;
  /** Time between progress lines when the output is not a terminal. */
  readonly progressIntervalMs?: number;
  /** How many malformed line numbers to keep per file for the report. */
  readonly malformedSamples?: number;
  readonly now?: () => number;
}

export interface FileSummary {
  readonly path: string;
  lines: number;
  events: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  malformed: number;
  /** First malformed line numbers (1-based). */
  readonly malformedLines: number[];
  error: string | null;
}

export interface ImportSummary {
  readonly files: FileSummary[];
  readonly lines: number;
  readonly events: number;
  readonly accepted: number;
  readonly duplicates: number;
  readonly rejectedByCode: Partial<Record<RejectionCode, number>>;
  readonly malformed: number;
  readonly failedFiles: number;
  readonly elapsedMs: number;
  readonly eventsPerSecond: number;
}

export async function importArchives(
  paths: readonly string[],
  options: ImportOptions,
): Promise<ImportSummary> {
  const now = options.now ?? Date.now;
  const batchSize = Math.max(
    1,
    Math.min(options.batchSize ?? options.sink.maxBatchSize, options.sink.maxBatchSize),
  );
  const started = now();
  const sizes = await Promise.all(
    paths.map((path) =>
      stat(path).then(
        (s) => s.size,
        () => 0,
      ),
    ),
  );
  const meter = new ProgressMeter(
    options.progress ?? null,
    sizes.reduce((a, b) => a + b, 0),
    now,
    options.progressIntervalMs,
  );
  const rejectedByCode: Partial<Record<RejectionCode, number>> = {};
  const files: FileSummary[] = [];

  for (const path of paths) {
    const file: FileSummary = {
      path,
      lines: 0,
      events: 0,
      accepted: 0,
      duplicates: 0,
      rejected: 0,
      malformed: 0,
      malformedLines: [],
      error: null,
    };
    files.push(file);
    let batch: EventDraft[] = [];
    // One batch is written while the next one is read and parsed.
    let inFlight: Promise<void> | null = null;
    const tally = (result: IngestResult): void => {
      file.accepted += result.accepted;
      file.duplicates += result.duplicates;
      file.rejected += result.rejected.length;
      for (const rejection of result.rejected) {
        rejectedByCode[rejection.code] = (rejectedByCode[rejection.code] ?? 0) + 1;
      }
      meter.recorded(result.accepted + result.duplicates + result.rejected.length);
    };
    let writeError: unknown = null;
    const flush = async (): Promise<void> => {
      if (inFlight !== null) await inFlight;
      inFlight = null;
      if (writeError !== null) throw writeError;
      if (batch.length === 0) return;
      const drafts = batch;
      batch = [];
      // The handler is attached now, not when awaited, so a failed write is never "unhandled".
      inFlight = options.sink.record(drafts).then(tally, (error: unknown) => {
        writeError = error;
      });
    };
    try {
      for await (const line of readArchive(path, { onBytes: (bytes) => meter.read(bytes) })) {
        file.lines += 1;
        if (line.kind === "malformed") {
          file.malformed += 1;
          if (file.malformedLines.length < (options.malformedSamples ?? 10))
            file.malformedLines.push(line.line);
          continue;
        }
        file.events += 1;
        batch.push(fromGitHubEvent(line.event));
        if (batch.length >= batchSize) await flush();
      }
    } catch (error) {
      file.error = error instanceof Error ? error.message : String(error);
    }
    // What was read before an error is still recorded; a failed write is the file's error.
    try {
      await flush();
      await flush();
    } catch (error) {
      file.error ??= error instanceof Error ? error.message : String(error);
    }
  }
  meter.done();

  const elapsedMs = Math.max(1, now() - started);
  const sum = (pick: (file: FileSummary) => number): number =>
    files.reduce((total, file) => total + pick(file), 0);
  const events = sum((f) => f.events);
  return {
    files,
    lines: sum((f) => f.lines),
    events,
    accepted: sum((f) => f.accepted),
    duplicates: sum((f) => f.duplicates),
    rejectedByCode,
    malformed: sum((f) => f.malformed),
    failedFiles: files.filter((f) => f.error !== null).length,
    elapsedMs,
    eventsPerSecond: Math.round((events / elapsedMs) * 1000),
  };
}

/** The end-of-import report, for people (stdout in the CLI). */
export function formatSummary(summary: ImportSummary): string {
  const lines: string[] = [];
  for (const file of summary.files) {
    const malformed =
      file.malformed > 0
        ? `, ${file.malformed} malformed (line${file.malformed > 1 ? "s" : ""} ${file.malformedLines.join(", ")}${file.malformed > file.malformedLines.length ? ", ..." : ""})`
        : "";
    const status = file.error === null ? "" : `  FAILED: ${file.error}`;
    lines.push(
      `${file.path}: ${file.lines} lines, ${file.events} events, ${file.accepted} accepted, ${file.duplicates} duplicates, ${file.rejected} rejected${malformed}${status}`,
    );
  }
  const rejected = Object.entries(summary.rejectedByCode)
    .map(([code, count]) => `${code} ${count}`)
    .join(", ");
  lines.push(
    `imported ${summary.files.length} file${summary.files.length === 1 ? "" : "s"}${summary.failedFiles > 0 ? ` (${summary.failedFiles} failed)` : ""}: ` +
      `${summary.lines} lines, ${summary.events} events, ${summary.accepted} accepted, ${summary.duplicates} duplicates, ` +
      `${Object.values(summary.rejectedByCode).reduce((a, b) => a + b, 0)} rejected${rejected === "" ? "" : ` (${rejected})`}, ` +
      `${summary.malformed} malformed lines in ${(summary.elapsedMs / 1000).toFixed(1)} s (${summary.eventsPerSecond} events/s)`,
  );
  return `${lines.join("\n")}\n`;
}

/**
 * Progress: events/s and an ETA from the bytes read against the total size of the files (for
 * .gz files both are compressed bytes). On a terminal the line is redrawn in place; otherwise
 * a plain line is written every few seconds, so logs stay readable.
 */
class ProgressMeter {
  private bytes = 0;
  private events = 0;
  private lastDraw = 0;
  private readonly started: number;
  private drawn = false;

  constructor(
    private readonly output: ProgressOutput | null,
    private readonly totalBytes: number,
    private readonly now: () => number,
    private readonly intervalMs = 5000,
  ) {
    this.started = now();
    this.lastDraw = this.started;
  }

  read(bytes: number): void {
    this.bytes += bytes;
    this.maybeDraw();
  }

  recorded(events: number): void {
    this.events += events;
    this.maybeDraw();
  }

  done(): void {
    if (this.output === null) return;
    if (this.output.isTTY === true) {
      this.output.write(`\r${this.line()}\u001b[K\n`);
    } else if (this.drawn) {
      this.output.write(`${this.line()}\n`);
    }
  }

  private maybeDraw(): void {
    if (this.output === null) return;
    const tty = this.output.isTTY === true;
    const now = this.now();
    if (now - this.lastDraw < (tty ? 200 : this.intervalMs)) return;
    this.lastDraw = now;
    this.drawn = true;
    this.output.write(tty ? `\r${this.line()}\u001b[K` : `${this.line()}\n`);
  }

  private line(): string {
    const elapsed = Math.max(1, this.now() - this.started);
    const fraction = this.totalBytes > 0 ? Math.min(1, this.bytes / this.totalBytes) : 0;
    const rate = Math.round((this.events / elapsed) * 1000);
    const eta =
      fraction > 0 && fraction < 1 ? ((elapsed * (1 - fraction)) / fraction / 1000).toFixed(0) : "0";
    const width = 24;
    const filled = Math.round(fraction * width);
    const bar = `[${"#".repeat(filled)}${".".repeat(width - filled)}]`;
    return `import ${bar} ${(fraction * 100).toFixed(1)}%  ${this.events} events  ${rate} events/s  ETA ${eta} s`;
  }
}
