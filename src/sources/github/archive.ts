import { createReadStream } from "node:fs";
import { pipeline } from "node:stream";
import { createInterface } from "node:readline";
import { createGunzip } from "node:zlib";
import { isGitHubEvent, type GitHubEvent } from "./mapping.js";

export type ArchiveLine =
  | { readonly kind: "event"; readonly event: GitHubEvent }
  | { readonly kind: "malformed"; readonly line: number };

export interface ReadArchiveOptions {
  /** Called with the size of each chunk read from disk (compressed bytes for .gz): for progress. */
  readonly onBytes?: (bytes: number) => void;
}

/** Streams a GH Archive file (NDJSON, gzip when the name ends in .gz) one line at a time. */
export async function* readArchive(
  path: string,
  options: ReadArchiveOptions = {},
): AsyncGenerator<ArchiveLine> {
  const raw = createReadStream(path);
  const onBytes = options.onBytes;
  if (onBytes !== undefined) raw.on("data", (chunk) => onBytes(chunk.length));
  // pipeline (not pipe) forwards a read or gunzip error to the stream readline reads, so a
  // missing, unreadable or truncated file ends the loop with an error instead of hanging.
  const input = path.endsWith(".gz") ? pipeline(raw, createGunzip(), () => undefined) : raw;
  let lineNumber = 0;
  for await (const line of createInterface({ input, crlfDelay: Infinity })) {
    lineNumber += 1;
    if (line.trim() === "") continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      yield { kind: "malformed", line: lineNumber };
      continue;
    }
    yield isGitHubEvent(parsed) ? { kind: "event", event: parsed } : { kind: "malformed", line: lineNumber };
  }
}
