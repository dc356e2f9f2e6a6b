import { describe, expect, it } from "vitest";
import {
  firstPageUrl,
  nextPageUrl,
  parseLinkHeader,
  pollIntervalMs,
  rateLimitWaitMs,
  requestHeaders,
  untilResetMs,
} from "../../../src/sources/github/events-api.js";

const NOW = Date.parse("2026-11-22T12:00:00Z");
const reply = (status: number, headers: Record<string, string> = {}): Response =>
  new Response(status === 304 ? null : "[]", { status, headers });

describe("GitHub Events API over HTTP", () => {
  it("builds the first page of each kind of target", () => {
    expect(firstPageUrl("https://api.github.com/", "events", 100)).toBe(
      "https://api.github.com/events?per_page=100",
    );
    expect(firstPageUrl("https://ghe.example/api/v3", "orgs/acme", 30)).toBe(
      "https://ghe.example/api/v3/orgs/acme/events?per_page=30",
    );
  });

  it("sends the token and the ETag only when there are some", () => {
    expect(requestHeaders(null, null)).not.toHaveProperty("authorization");
    expect(requestHeaders(null, null)).not.toHaveProperty("if-none-match");
    expect(requestHeaders("t0ken", 'W/"abc"')).toMatchObject({
      authorization: "Bearer t0ken",
      "if-none-match": 'W/"abc"',
      "x-github-api-version": "2022-11-28",
    });
  });

  it("parses next and last from a Link header", () => {
    expect(
      parseLinkHeader(
        '<https://api.github.com/events?page=2>; rel="next", <https://api.github.com/events?page=3>; rel="last"',
      ),
    ).toEqual({ next: "https://api.github.com/events?page=2", last: "https://api.github.com/events?page=3" });
    expect(parseLinkHeader(null)).toEqual({});
    expect(parseLinkHeader("garbage, <x>")).toEqual({});
  });

  it("follows next links on the API's origin only, so the token goes nowhere else", () => {
    const base = "https://api.github.com";
    const link = (url: string) => reply(200, { link: `<${url}>; rel="next"` });
    expect(nextPageUrl(link("https://api.github.com/events?page=2"), base)).toEqual({
      url: "https://api.github.com/events?page=2",
      refused: null,
    });
    expect(nextPageUrl(link("/events?page=3"), base).url).toBe("https://api.github.com/events?page=3");
    for (const elsewhere of ["https://evil.example/events?page=2", "http://api.github.com/events?page=2"]) {
      expect(nextPageUrl(link(elsewhere), base)).toEqual({ url: null, refused: elsewhere });
    }
    expect(nextPageUrl(reply(200), base)).toEqual({ url: null, refused: null });
  });

  it("reads X-Poll-Interval in seconds, ignoring nonsense", () => {
    expect(pollIntervalMs(reply(200, { "x-poll-interval": "60" }))).toBe(60_000);
    expect(pollIntervalMs(reply(200, { "x-poll-interval": "soon" }))).toBe(0);
    expect(pollIntervalMs(reply(200))).toBe(0);
  });

  it("waits for the reset, plus a second, only when the limit is spent", () => {
    const resetIn = (seconds: number, remaining: string) =>
      reply(200, { "x-ratelimit-remaining": remaining, "x-ratelimit-reset": String(NOW / 1000 + seconds) });
    expect(untilResetMs(resetIn(30, "0"), NOW)).toBe(31_000);
    expect(untilResetMs(resetIn(30, "1"), NOW)).toBeNull();
    expect(untilResetMs(resetIn(-30, "0"), NOW)).toBe(1_000); // a reset already past: retry soon
    expect(untilResetMs(reply(200, { "x-ratelimit-remaining": "0" }), NOW)).toBe(60_000);
  });

  it("honours Retry-After in seconds or as a date, then the reset, then a minute for a bare 429", () => {
    expect(rateLimitWaitMs(reply(429, { "retry-after": "7" }), NOW)).toBe(7_000);
    const date = new Date(NOW + 90_000).toUTCString();
    expect(rateLimitWaitMs(reply(403, { "retry-after": date }), NOW)).toBe(90_000);
    const spent = { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(NOW / 1000 + 10) };
    expect(rateLimitWaitMs(reply(403, spent), NOW)).toBe(11_000);
    expect(rateLimitWaitMs(reply(429), NOW)).toBe(60_000);
    // A 403 that is not about the rate limit (a missing scope, say) is an error, not a wait.
    expect(rateLimitWaitMs(reply(403), NOW)).toBeNull();
    expect(rateLimitWaitMs(reply(500, { "retry-after": "7" }), NOW)).toBeNull();
  });
});
