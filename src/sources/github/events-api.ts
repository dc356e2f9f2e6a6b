/**
 * What the poller knows of GitHub's Events API over HTTP: the targets it can poll, the headers
 * it sends, and how to read the paging and rate-limit headers GitHub answers with. Pure
 * functions of a `Response` and a clock, so each rule is testable on its own.
 *
 * https://docs.github.com/en/rest/activity/events and
 * https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api
 */

export const API_VERSION = "2022-11-28";

const TARGET_PATTERN =
  /^(events|users\/[A-Za-z0-9-]{1,39}|orgs\/[A-Za-z0-9-]{1,39}|repos\/[A-Za-z0-9-]{1,39}\/[A-Za-z0-9._-]{1,100})$/;

/** `events`, `users/NAME`, `orgs/NAME` or `repos/OWNER/NAME`. */
export function isPollTarget(target: string): boolean {
  return TARGET_PATTERN.test(target);
}

/** The first page of a target's events, e.g. https://api.github.com/orgs/acme/events?per_page=100. */
export function firstPageUrl(baseUrl: string, target: string, perPage: number): string {
  const base = baseUrl.replace(/\/+$/, "");
  const path = target === "events" ? "events" : `${target}/events`;
  return `${base}/${path}?per_page=${perPage}`;
}

export function requestHeaders(token: string | null, etag: string | null): Record<string, string> {
  const headers: Record<string, string> = {
    accept: "application/vnd.github+json",
    "x-github-api-version": API_VERSION,
    "user-agent": "eventscore-poller",
  };
  if (token !== null) headers["authorization"] = `Bearer ${token}`;
  // A 304 answer to a conditional request does not count against the rate limit.
  if (etag !== null) headers["if-none-match"] = etag;
  return headers;
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

/**
 * The `rel="next"` link, or null when there is none or it leaves the API's origin: the token
 * is sent with every page, so it must not follow a link anywhere else.
 */
export function nextPageUrl(
  response: Response,
  baseUrl: string,
): { url: string | null; refused: string | null } {
  const next = parseLinkHeader(response.headers.get("link"))["next"];
  if (next === undefined) return { url: null, refused: null };
  let target: URL;
  try {
    target = new URL(next, baseUrl);
  } catch {
    return { url: null, refused: null };
  }
  if (target.origin !== new URL(baseUrl).origin) return { url: null, refused: next };
  return { url: target.toString(), refused: null };
}

/** `X-Poll-Interval` in milliseconds, 0 when absent or unreadable. */
export function pollIntervalMs(response: Response): number {
  const value = Number(response.headers.get("x-poll-interval"));
  return Number.isFinite(value) && value > 0 ? value * 1000 : 0;
}

/**
 * Time until `X-RateLimit-Reset` when `X-RateLimit-Remaining` is 0, else null. One second more
 * than the headers say: the reset is given in whole seconds and clocks differ.
 */
export function untilResetMs(response: Response, now: number): number | null {
  if (response.headers.get("x-ratelimit-remaining")?.trim() !== "0") return null;
  const reset = Number(response.headers.get("x-ratelimit-reset"));
  if (!Number.isFinite(reset) || reset <= 0) return 60_000;
  return Math.max(0, reset * 1000 - now) + 1000;
}

/** For a 403/429: the wait `Retry-After` or the rate-limit reset asks for, or null when neither applies. */
export function rateLimitWaitMs(response: Response, now: number): number | null {
  if (response.status !== 403 && response.status !== 429) return null;
  const retryAfter = response.headers.get("retry-after");
  if (retryAfter !== null) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
    const date = Date.parse(retryAfter);
    if (Number.isFinite(date)) return Math.max(0, date - now);
  }
  const untilReset = untilResetMs(response, now);
  if (untilReset !== null) return untilReset;
  // GitHub's secondary rate limits may come without headers: wait at least a minute.
  return response.status === 429 ? 60_000 : null;
}
