import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { EventDraft } from "../../domain/event.js";
import type { IngestResult } from "../../services/ingest.js";
import { fromGitHubEvent, isGitHubEvent, type GitHubEvent } from "./mapping.js";

/**
 * Polls the GitHub Events API (`/events`, `/users/{user}/events`, `/orgs/{org}/events` or
 * `/repos/{owner}/{repo}/events`) and records new events.
 *
 * Each poll asks for the first page with `If-None-Match` (a 304 costs no rate limit), then walks
 * `Link: rel="next"` pages until it reaches an event it has already seen. When every page it
 * could get is new, events may have been missed between polls (the API serves only the latest
 * few hundred): that is reported as a possible gap. It waits at least `X-Poll-Interval`
 * between polls, sleeps until `X-RateLimit-Reset` when the rate limit is spent, honours
 * `Retry-After`, and backs off on errors. It never throws out of `run`; abort its signal to stop.
 */

export interface SourceLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** What the poller needs from the ingest service. */
export interface EventSink {
  readonly maxBatchSize: number;
  record(drafts: readonly EventDraft[]): Promise<IngestResult>;
}

export interface PollerOptions {
  /** API root, e.g. https://api.github.com (GitHub Enterprise: https://HOST/api/v3). */
  readonly baseUrl: string;
  /** `events`, `users/NAME`, `orgs/NAME` or `repos/OWNER/NAME`. */
  readonly target: string;
  readonly token: string | null;
  /** Least time between polls; `X-Poll-Interval` can make it longer, never shorter. */
  readonly intervalMs: number;
  readonly perPage: number;
  /** Most pages walked per poll. */
  readonly maxPages: number;
  /** Cap of the exponential backoff after errors. */
  readonly maxBackoffMs: number;
  readonly requestTimeoutMs: number;
  /** Optional JSON file keeping the ETag and recent ids across restarts. */
  readonly stateFile: string | null;
  /** How many recent event ids are remembered for dedup and for finding the end of a walk. */
  readonly rememberIds?: number;
}

export interface PollerDeps {
  readonly sink: EventSink;
  readonly logger?: SourceLogger;
  readonly fetch?: typeof fetch;
  /** Resolves after `ms`, or early when the signal aborts. Tests pass a faster clock. */
  readonly sleep?: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
  readonly now?: () => number;
}

export interface PollStats {
  polls: number;
  notModified: number;
  pages: number;
  /** Events received, including ones seen before. */
  fetched: number;
  /** Events not seen before, handed to ingest. */
  newEvents: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  malformed: number;
  gaps: number;
  rateLimited: number;
  errors: number;
}

export type PollStatus = "new" | "not-modified" | "rate-limited" | "error" | "aborted";

export interface PollResult {
  readonly status: PollStatus;
  readonly pages: number;
  readonly newEvents: number;
  readonly accepted: number;
  /** True when no page of this poll reached an event seen before (and there was a baseline). */
  readonly gap: boolean;
  /** How long to wait before the next poll. */
  readonly waitMs: number;
  readonly error?: string;
}

const API_VERSION = "2022-11-28";
const TARGET_PATTERN =
  /^(events|users\/[A-Za-z0-9-]{1,39}|orgs\/[A-Za-z0-9-]{1,39}|repos\/[A-Za-z0-9-]{1,39}\/[A-Za-z0-9._-]{1,100})$/;

export function isPollTarget(target: string): boolean {
  return TARGET_PATTERN.test(target);
}

interface SavedState {
  readonly version: 1;
  readonly target: string;
  readonly etag: string | null;
  readonly seen: string[];
}

export class GitHubPoller {
  private etag: string | null = null;
  /** Ids from completed walks, oldest first (a Set keeps insertion order), bounded by rememberIds. */
  private readonly seen = new Set<string>();
  /** Ids recorded by a walk that failed part-way: not re-recorded, but not an end of walk either. */
  private readonly pending = new Set<string>();
  private consecutiveErrors = 0;
  private stateLoaded = false;
  private readonly counters: PollStats = {
    polls: 0,
    notModified: 0,
    pages: 0,
    fetched: 0,
    newEvents: 0,
    accepted: 0,
    duplicates: 0,
    rejected: 0,
    malformed: 0,
    gaps: 0,
    rateLimited: 0,
    errors: 0,
  };
  private readonly fetch: typeof fetch;
  private readonly sleep: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
  private readonly now: () => number;
  private readonly logger: SourceLogger | undefined;

  constructor(
    private readonly options: PollerOptions,
    private readonly deps: PollerDeps,
  ) {
    if (!isPollTarget(options.target)) {
      throw new Error(
        `poll target "${options.target}" must be events, users/NAME, orgs/NAME or repos/OWNER/NAME`,
      );
    }
    this.fetch = deps.fetch ?? globalThis.fetch;
    this.sleep = deps.sleep ?? sleep;
    this.now = deps.now ?? Date.now;
    this.logger = deps.logger;
  }

  get stats(): Readonly<PollStats> {
    return { ...this.counters };
  }

  get firstPageUrl(): string {
    const base = this.options.baseUrl.replace(/\/+$/, "");
    const path = this.options.target === "events" ? "events" : `${this.options.target}/events`;
    return `${base}/${path}?per_page=${this.options.perPage}`;
  }

  /** Runs in the background until `stop()` (what `eventscore serve` does with GITHUB_POLL_ON_START). */
  start(): { stop(): Promise<void> } {
    const controller = new AbortController();
    const running = this.run(controller.signal);
    return {
      stop: async () => {
        controller.abort();
        await running;
      },
    };
  }

  /** Polls until the signal aborts. Never throws: errors are logged and retried with backoff. */
  async run(signal: AbortSignal): Promise<void> {
    this.logger?.info("github poller started", {
      url: this.firstPageUrl,
      intervalMs: this.options.intervalMs,
    });
    while (!signal.aborted) {
      const result = await this.pollOnce(signal);
      if (signal.aborted) break;
      await this.sleep(result.waitMs, signal);
    }
    this.logger?.info("github poller stopped", { ...this.counters });
  }

  /** One poll: the first page, then older pages until a seen event. Never throws. */
  async pollOnce(signal?: AbortSignal): Promise<PollResult> {
    try {
      return await this.poll(signal);
    } catch (error) {
      if (signal?.aborted)
        return { status: "aborted", pages: 0, newEvents: 0, accepted: 0, gap: false, waitMs: 0 };
      return this.failed(error instanceof Error ? error.message : String(error));
    }
  }

  private async poll(signal: AbortSignal | undefined): Promise<PollResult> {
    await this.loadState();
    this.counters.polls += 1;
    const hadBaseline = this.seen.size > 0;
    const collected: GitHubEvent[] = [];
    const collectedIds = new Set<string>();
    let url: string | null = this.firstPageUrl;
    let pages = 0;
    let reachedSeen = false;
    let firstEtag: string | null = null;
    let pollIntervalMs = 0;
    let lastResponse: Response | null = null;
    let walkError: string | null = null;

    while (url !== null && pages < this.options.maxPages) {
      const response = await this.request(url, pages === 0 ? this.etag : null, signal);
      lastResponse = response;
      if (pages === 0) pollIntervalMs = secondsHeader(response, "x-poll-interval") * 1000;
      if (response.status === 304 && pages === 0) {
        await response.body?.cancel();
        this.counters.notModified += 1;
        this.consecutiveErrors = 0;
        return {
          status: "not-modified",
          pages: 0,
          newEvents: 0,
          accepted: 0,
          gap: false,
          waitMs: this.nextWait(response, pollIntervalMs),
        };
      }
      if (response.status !== 200) {
        await response.body?.cancel();
        const limited = this.rateLimitWait(response);
        if (pages === 0 || limited !== null) {
          if (limited !== null) return this.limited(response, limited);
          return this.failed(`GET ${url} answered ${response.status}`);
        }
        walkError = `GET ${url} answered ${response.status}`;
        break;
      }
      const body: unknown = await response.json();
      if (!Array.isArray(body)) return this.failed(`GET ${url} did not return a JSON array`);
      pages += 1;
      this.counters.pages += 1;
      if (pages === 1) firstEtag = response.headers.get("etag");
      for (const item of body) {
        this.counters.fetched += 1;
        if (!isGitHubEvent(item)) {
          this.counters.malformed += 1;
          continue;
        }
        const id = String(item.id);
        if (this.seen.has(id)) {
          reachedSeen = true;
          continue;
        }
        // Pages move while they are walked: new events push older ones onto the next page.
        if (collectedIds.has(id) || this.pending.has(id)) continue;
        collectedIds.add(id);
        collected.push(item);
      }
      if (reachedSeen) break;
      url = this.nextLink(response);
    }

    const gap = hadBaseline && !reachedSeen && walkError === null && collected.length > 0;
    if (gap) {
      this.counters.gaps += 1;
      this.logger?.warn("github poller: possible gap, every page of this poll was new", {
        url: this.firstPageUrl,
        pages,
        newEvents: collected.length,
        hint: "poll more often, or import the missing hours from GH Archive",
        morePages: url !== null,
      });
    }

    const outcome = await this.record(collected);
    this.counters.newEvents += collected.length;
    if (walkError === null) {
      for (const id of this.pending) this.remember(id);
      this.pending.clear();
      for (const event of collected) this.remember(String(event.id));
      this.etag = firstEtag;
    } else {
      // The next poll must walk past these again (no 304, no early stop) to reach the older pages.
      for (const event of collected) this.pending.add(String(event.id));
    }
    await this.saveState();

    if (walkError !== null) {
      this.logger?.warn("github poller: stopped walking pages early", { error: walkError, pages });
      this.counters.errors += 1;
    } else {
      this.consecutiveErrors = 0;
    }
    return {
      status: "new",
      pages,
      newEvents: collected.length,
      accepted: outcome.accepted,
      gap,
      waitMs: lastResponse === null ? this.options.intervalMs : this.nextWait(lastResponse, pollIntervalMs),
    };
  }

  private async record(events: readonly GitHubEvent[]): Promise<{ accepted: number }> {
    let accepted = 0;
    const size = Math.max(1, this.deps.sink.maxBatchSize);
    // Oldest first, so a failure part-way leaves the newest unrecorded (and unseen) for the next poll.
    const drafts = events.map((event) => fromGitHubEvent(event)).reverse();
    for (let start = 0; start < drafts.length; start += size) {
      const result = await this.deps.sink.record(drafts.slice(start, start + size));
      accepted += result.accepted;
      this.counters.accepted += result.accepted;
      this.counters.duplicates += result.duplicates;
      this.counters.rejected += result.rejected.length;
      for (const rejection of result.rejected) {
        this.logger?.warn("github poller: event rejected", {
          eventId: rejection.eventId,
          code: rejection.code,
          reason: rejection.reason,
        });
      }
    }
    return { accepted };
  }

  private async request(
    url: string,
    etag: string | null,
    signal: AbortSignal | undefined,
  ): Promise<Response> {
    const headers: Record<string, string> = {
      accept: "application/vnd.github+json",
      "x-github-api-version": API_VERSION,
      "user-agent": "eventscore-poller",
    };
    if (this.options.token !== null) headers["authorization"] = `Bearer ${this.options.token}`;
    if (etag !== null) headers["if-none-match"] = etag;
    const timeout = AbortSignal.timeout(this.options.requestTimeoutMs);
    return this.fetch(url, {
      headers,
      signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
    });
  }

  /** The `rel="next"` link, only on the API's own origin (the token must not go anywhere else). */
  private nextLink(response: Response): string | null {
    const next = parseLinkHeader(response.headers.get("link"))["next"];
    if (next === undefined) return null;
    let target: URL;
    try {
      target = new URL(next, this.options.baseUrl);
    } catch {
      return null;
    }
    if (target.origin !== new URL(this.options.baseUrl).origin) {
      this.logger?.warn("github poller: ignoring a next link to another origin", { link: next });
      return null;
    }
    return target.toString();
  }

  /** Waits at least the interval and X-Poll-Interval; until the reset when the limit is spent. */
  private nextWait(response: Response, pollIntervalMs: number): number {
    const wait = Math.max(this.options.intervalMs, pollIntervalMs);
    const untilReset = this.untilReset(response);
    if (untilReset !== null) {
      this.counters.rateLimited += 1;
      this.logger?.warn("github poller: rate limit spent, waiting for the reset", { waitMs: untilReset });
      return Math.max(wait, untilReset);
    }
    return wait;
  }

  /** For a 403/429: the wait Retry-After or the rate-limit reset asks for, or null when neither applies. */
  private rateLimitWait(response: Response): number | null {
    if (response.status !== 403 && response.status !== 429) return null;
    const retryAfter = response.headers.get("retry-after");
    if (retryAfter !== null) {
      const seconds = Number(retryAfter);
      if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
      const date = Date.parse(retryAfter);
      if (Number.isFinite(date)) return Math.max(0, date - this.now());
    }
    const untilReset = this.untilReset(response);
    if (untilReset !== null) return untilReset;
    // GitHub's secondary rate limits may come without headers: wait at least a minute.
    return response.status === 429 ? 60_000 : null;
  }

  /** Time until X-RateLimit-Reset when X-RateLimit-Remaining is 0, else null. */
  private untilReset(response: Response): number | null {
    if (response.headers.get("x-ratelimit-remaining")?.trim() !== "0") return null;
    const reset = Number(response.headers.get("x-ratelimit-reset"));
    if (!Number.isFinite(reset) || reset <= 0) return 60_000;
    return Math.max(0, reset * 1000 - this.now()) + 1000;
  }

  private limited(response: Response, waitMs: number): PollResult {
    this.counters.rateLimited += 1;
    this.logger?.warn("github poller: rate limited", { status: response.status, waitMs });
    return {
      status: "rate-limited",
      pages: 0,
      newEvents: 0,
      accepted: 0,
      gap: false,
      waitMs: Math.max(waitMs, this.options.intervalMs),
    };
  }

  private failed(error: string): PollResult {
    this.counters.errors += 1;
    this.consecutiveErrors += 1;
    const base = Math.max(this.options.intervalMs, 1000);
    const waitMs = Math.min(this.options.maxBackoffMs, base * 2 ** Math.min(this.consecutiveErrors - 1, 20));
    this.logger?.error("github poller: poll failed, backing off", {
      error,
      waitMs,
      consecutiveErrors: this.consecutiveErrors,
    });
    return { status: "error", pages: 0, newEvents: 0, accepted: 0, gap: false, waitMs, error };
  }

  private remember(id: string): void {
    this.seen.delete(id);
    this.seen.add(id);
    const limit = this.options.rememberIds ?? 10_000;
    while (this.seen.size > limit) {
      const oldest = this.seen.values().next().value;
      if (oldest === undefined) break;
      this.seen.delete(oldest);
    }
  }

  private async loadState(): Promise<void> {
    if (this.stateLoaded || this.options.stateFile === null) return;
    this.stateLoaded = true;
    let text: string;
    try {
      text = await readFile(this.options.stateFile, "utf8");
    } catch {
      return;
    }
    try {
      const state = JSON.parse(text) as Partial<SavedState>;
      if (state.version !== 1 || state.target !== this.options.target) return;
      if (typeof state.etag === "string") this.etag = state.etag;
      if (Array.isArray(state.seen))
        for (const id of state.seen) if (typeof id === "string") this.remember(id);
    } catch (error) {
      this.logger?.warn("github poller: ignoring an unreadable state file", {
        file: this.options.stateFile,
        error: String(error),
      });
    }
  }

  private async saveState(): Promise<void> {
    const file = this.options.stateFile;
    if (file === null) return;
    const state: SavedState = {
      version: 1,
      target: this.options.target,
      etag: this.etag,
      seen: [...this.seen].slice(-2000),
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

/** `<url>; rel="next", <url>; rel="last"` → { next: url, last: url }. */
export function parseLinkHeader(header: string | null): Record<string, string> {
  const links: Record<string, string> = {};
  if (header === null) return links;
  for (const part of header.split(",")) {
    const match = /<([^>]*)>\s*;(.*)$/.exec(part.trim());
    if (match === null) continue;
    const rel = /rel="?([^";]+)"?/.exec(match[2] ?? "");
    if (rel?.[1] !== undefined) for (const name of rel[1].split(/\s+/)) links[name] = match[1] ?? "";
  }
  return links;
}

function secondsHeader(response: Response, name: string): number {
  const value = Number(response.headers.get(name));
  return Number.isFinite(value) && value > 0 ? value : 0;
}

export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted || ms <= 0) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
