import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { SourceLogger } from "./ports.js";

/**
 * What a poller remembers between polls: the first page's ETag and the ids of recent events.
 * The ids are how a walk knows it has reached events it already recorded (the end of the walk)
 * and how an event that moved to the next page while pages were walked is not recorded twice.
 *
 * With a state file, both survive a restart, so a restarted poller neither re-reads the whole
 * window nor reports a false gap. The file is written to a temporary name and renamed, so a
 * crash mid-write leaves the previous state, never half of one.
 */

interface SavedState {
  readonly version: 1;
  readonly target: string;
  readonly etag: string | null;
  readonly seen: string[];
}

/** Ids kept in the state file: the API serves at most 300 events per target, so this is plenty. */
const SAVED_IDS = 2000;

export class PollMemory {
  etag: string | null = null;
  /** Oldest first (a Set keeps insertion order), bounded by `limit`. */
  private readonly seen = new Set<string>();
  private loaded = false;

  constructor(
    private readonly target: string,
    private readonly limit: number,
    private readonly stateFile: string | null,
    private readonly logger: SourceLogger | undefined,
  ) {}

  get size(): number {
    return this.seen.size;
  }

  has(id: string): boolean {
    return this.seen.has(id);
  }

  /** Marks an id as the newest seen, forgetting the oldest beyond the limit. */
  remember(id: string): void {
    this.seen.delete(id);
    this.seen.add(id);
    while (this.seen.size > this.limit) {
      const oldest = this.seen.values().next().value;
      if (oldest === undefined) break;
      this.seen.delete(oldest);
    }
  }

  /** Reads the state file once; a missing, foreign or unreadable file starts from nothing. */
  async load(): Promise<void> {
    if (this.loaded || this.stateFile === null) return;
    this.loaded = true;
    let text: string;
    try {
      text = await readFile(this.stateFile, "utf8");
    } catch {
      return;
    }
    try {
      const state = JSON.parse(text) as Partial<SavedState>;
      if (state.version !== 1 || state.target !== this.target) return;
      if (typeof state.etag === "string") this.etag = state.etag;
      if (Array.isArray(state.seen))
        for (const id of state.seen) if (typeof id === "string") this.remember(id);
    } catch (error) {
      this.logger?.warn("github poller: ignoring an unreadable state file", {
        file: this.stateFile,
        error: String(error),
      });
    }
  }

  async save(): Promise<void> {
    const file = this.stateFile;
    if (file === null) return;
    const state: SavedState = {
      version: 1,
      target: this.target,
      etag: this.etag,
      seen: [...this.seen].slice(-SAVED_IDS),
    };
    try {
      await mkdir(dirname(file), { recursive: true });
      await writeFile(`${file}.tmp`, JSON.stringify(state));
      await rename(`${file}.tmp`, file);
    } catch (error) {
      this.logger?.warn("github poller: cannot save the state file", { file, error: String(error) });
    }
  }
}
