import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { readArchive } from "../../src/sources/github/archive.js";
import type { GitHubEvent } from "../../src/sources/github/mapping.js";

/**
 * A fake GitHub Events API on 127.0.0.1 (random port), serving a timeline the test controls:
 * newest first, paginated with `per_page`/`page` and `Link` headers, at most `windowSize`
 * events (GitHub serves only the latest 300), with weak ETags and 304 replies, rate-limit
 * headers that count down, `X-Poll-Interval`, and scripted failures (Retry-After, 500s).
 */

export interface RecordedRequest {
  readonly path: string;
  readonly page: number;
  readonly perPage: number;
  readonly ifNoneMatch: string | null;
  readonly authorization: string | null;
  readonly status: number;
}

export interface ScriptedReply {
  /** "timeline" serves the request normally (to script a failure on a later page). */
  readonly status: number | "timeline";
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

export interface FakeGitHubOptions {
  readonly windowSize?: number;
  readonly pollIntervalSeconds?: number;
  readonly rateLimit?: number;
  /** When set, requests without `Authorization: Bearer <token>` get 401. */
  readonly token?: string;
}

export interface FakeGitHub {
  readonly baseUrl: string;
  readonly requests: RecordedRequest[];
  /** Puts events on top of the timeline (give them oldest first). */
  push(events: readonly GitHubEvent[]): void;
  /** The next requests get these replies, in order, instead of the timeline. */
  script(...replies: ScriptedReply[]): void;
  /** Sets the remaining rate limit and when (epoch seconds) it resets back to the full limit. */
  setRateLimit(remaining: number, resetEpochSeconds: number): void;
  /** Called before each timeline page is served (lets a test move pages mid-walk). */
  onPage(hook: ((page: number) => void) | null): void;
  close(): Promise<void>;
}

export async function startFakeGitHub(options: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  const windowSize = options.windowSize ?? 300;
  const limit = options.rateLimit ?? 5000;
  const timeline: GitHubEvent[] = []; // newest first
  const requests: RecordedRequest[] = [];
  const scripted: ScriptedReply[] = [];
  let remaining = limit;
  let reset = Math.floor(Date.now() / 1000) + 3600;
  let pageHook: ((page: number) => void) | null = null;

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    const perPage = Math.min(100, Math.max(1, Number(url.searchParams.get("per_page") ?? "30") || 30));
    const page = Math.max(1, Number(url.searchParams.get("page") ?? "1") || 1);
    const ifNoneMatch = header(request, "if-none-match");
    const authorization = header(request, "authorization");
    const reply = (status: number, headers: Record<string, string>, body: string): void => {
      requests.push({ path: url.pathname, page, perPage, ifNoneMatch, authorization, status });
      response.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
      response.end(body);
    };

    const next = scripted.shift();
    if (next !== undefined && next.status !== "timeline") {
      reply(next.status, next.headers ?? {}, next.body ?? JSON.stringify({ message: "scripted" }));
      return;
    }
    const filter = targetFilter(url.pathname);
    if (filter === null) {
      reply(404, {}, JSON.stringify({ message: "Not Found" }));
      return;
    }
    if (options.token !== undefined && authorization !== `Bearer ${options.token}`) {
      reply(401, {}, JSON.stringify({ message: "Bad credentials" }));
      return;
    }
    const now = Math.floor(Date.now() / 1000);
    if (now >= reset) {
      remaining = limit;
      reset = now + 3600;
    }
    const rateHeaders = (): Record<string, string> => ({
      "x-ratelimit-limit": String(limit),
      "x-ratelimit-remaining": String(remaining),
      "x-ratelimit-reset": String(reset),
      "x-ratelimit-used": String(limit - remaining),
    });
    if (remaining <= 0) {
      reply(403, rateHeaders(), JSON.stringify({ message: "API rate limit exceeded" }));
      return;
    }

    pageHook?.(page);
    const visible = timeline.filter(filter).slice(0, windowSize);
    const items = visible.slice((page - 1) * perPage, page * perPage);
    const etag = `W/"${createHash("sha1")
      .update(JSON.stringify([perPage, page, items.map((e) => e.id)]))
      .digest("hex")}"`;
    const common = { etag, "x-poll-interval": String(options.pollIntervalSeconds ?? 60) };
    if (ifNoneMatch === etag) {
      // Conditional requests answered 304 do not count against the rate limit.
      reply(304, { ...common, ...rateHeaders() }, "");
      return;
    }
    remaining -= 1;
    const lastPage = Math.max(1, Math.ceil(visible.length / perPage));
    const link = (n: number, rel: string): string => {
      const target = new URL(`http://${request.headers.host ?? "127.0.0.1"}${url.pathname}`);
      target.searchParams.set("per_page", String(perPage));
      target.searchParams.set("page", String(n));
      return `<${target.toString()}>; rel="${rel}"`;
    };
    const links: string[] = [];
    if (page < lastPage) links.push(link(page + 1, "next"), link(lastPage, "last"));
    if (page > 1) links.push(link(1, "first"), link(page - 1, "prev"));
    reply(
      200,
      { ...common, ...rateHeaders(), ...(links.length > 0 ? { link: links.join(", ") } : {}) },
      JSON.stringify(items),
    );
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    push: (events) => {
      for (const event of events) timeline.unshift(event);
    },
    script: (...replies) => {
      scripted.push(...replies);
    },
    setRateLimit: (left, resetAt) => {
      remaining = left;
      reset = resetAt;
    },
    onPage: (hook) => {
      pageHook = hook;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function targetFilter(path: string): ((event: GitHubEvent) => boolean) | null {
  if (path === "/events") return () => true;
  const user = /^\/users\/([^/]+)\/events$/.exec(path);
  if (user) return (event) => event.actor.login === user[1];
  const org = /^\/orgs\/([^/]+)\/events$/.exec(path);
  if (org) return (event) => event.org?.login === org[1];
  const repo = /^\/repos\/([^/]+\/[^/]+)\/events$/.exec(path);
  if (repo) return (event) => event.repo.name === repo[1];
  return null;
}

function header(request: IncomingMessage, name: string): string | null {
  const value = request.headers[name];
  return typeof value === "string" ? value : null;
}

/** The events of a GH Archive file, oldest first (created_at, then id), as the timeline grew. */
export async function loadTimeline(path: string): Promise<GitHubEvent[]> {
  const events: GitHubEvent[] = [];
  for await (const line of readArchive(path)) if (line.kind === "event") events.push(line.event);
  return events.sort(
    (a, b) => a.created_at.localeCompare(b.created_at) || compareIds(String(a.id), String(b.id)),
  );
}

function compareIds(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}
