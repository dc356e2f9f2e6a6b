import { sleep } from "../../services/abortable.js";
import {
  firstPageUrl,
  isPollTarget,
  nextPageUrl,
  pollIntervalMs,
  rateLimitWaitMs,
  requestHeaders,
  untilResetMs,
} from "./events-api.js";
import { fromGitHubEvent, isGitHubEvent, type GitHubEvent } from "./mapping.js";
import { PollMemory } from "./poll-memory.js";
import type { EventSink, SourceLogger } from "./ports.js";

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

export class GitHubPoller {
  /** The ETag and the ids from completed walks. */
  private readonly memory: PollMemory;
  /** Ids recorded by a walk that failed part-way: not re-recorded, but not an end of walk either. */
  private readonly pending = new Set<string>();
  private consecutiveErrors = 0;
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
    this.memory = new PollMemory(
      options.target,
      options.rememberIds ?? 10_000,
      options.stateFile,
      deps.logger,
    );
  }

  get stats(): Readonly<PollStats> {
    return { ...this.counters };
  }

  get firstPageUrl(): string {
    return firstPageUrl(this.options.baseUrl, this.options.target, this.options.perPage);
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
    await this.memory.load();
    this.counters.polls += 1;
    const hadBaseline = this.memory.size > 0;
    const collected: GitHubEvent[] = [];
    const collectedIds = new Set<string>();
    let url: string | null = this.firstPageUrl;
    let pages = 0;
    let reachedSeen = false;
    let firstEtag: string | null = null;
    let intervalMs = 0;
    let lastResponse: Response | null = null;
    let walkError: string | null = null;

    while (url !== null && pages < this.options.maxPages) {
      const response = await this.request(url, pages === 0 ? this.memory.etag : null, signal);
      lastResponse = response;
      if (pages === 0) intervalMs = pollIntervalMs(response);
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
          waitMs: this.nextWait(response, intervalMs),
        };
      }
      if (response.status !== 200) {
        await response.body?.cancel();
        const limited = rateLimitWaitMs(response, this.now());
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
        if (this.memory.has(id)) {
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
      for (const id of this.pending) this.memory.remember(id);
      this.pending.clear();
      for (const event of collected) this.memory.remember(String(event.id));
      this.memory.etag = firstEtag;
    } else {
      // The next poll must walk past these again (no 304, no early stop) to reach the older pages.
      for (const event of collected) this.pending.add(String(event.id));
    }
    await this.memory.save();

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
      waitMs: lastResponse === null ? this.options.intervalMs : this.nextWait(lastResponse, intervalMs),
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
    const timeout = AbortSignal.timeout(this.options.requestTimeoutMs);
    return this.fetch(url, {
      headers: requestHeaders(this.options.token, etag),
      signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
    });
  }

  private nextLink(response: Response): string | null {
    const next = nextPageUrl(response, this.options.baseUrl);
    if (next.refused !== null) {
      this.logger?.warn("github poller: ignoring a next link to another origin", { link: next.refused });
    }
    return next.url;
  }

  /** Waits at least the interval and X-Poll-Interval; until the reset when the limit is spent. */
  private nextWait(response: Response, pollInterval: number): number {
    const wait = Math.max(this.options.intervalMs, pollInterval);
    const untilReset = untilResetMs(response, this.now());
    if (untilReset !== null) {
      this.counters.rateLimited += 1;
      this.logger?.warn("github poller: rate limit spent, waiting for the reset", { waitMs: untilReset });
      return Math.max(wait, untilReset);
    }
    return wait;
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
}
