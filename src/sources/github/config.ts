import { isPollTarget } from "./events-api.js";
import type { PollerOptions } from "./poller.js";
import type { StarSource } from "./webhook.js";
import { ConfigError, EnvReader, type Env } from "../../app/env.js";

export interface GitHubWebhookConfig {
  /** GITHUB_WEBHOOK_SECRET; null leaves POST /webhooks/github answering 503. */
  readonly secret: string | null;
  /** GitHub caps deliveries at 25 MB. */
  readonly maxBodyBytes: number;
  /** GitHub sends both a `watch` and a `star` delivery for one star: which one counts. */
  readonly starSource: StarSource;
}

export interface GitHubPollConfig extends PollerOptions {
  /** Start the poller with `eventscore serve`. */
  readonly onStart: boolean;
}

export interface GitHubConfig {
  readonly webhook: GitHubWebhookConfig;
  readonly poll: GitHubPollConfig;
}

/** Reads the GitHub settings (webhook, poller); throws ConfigError naming the first bad variable. */
export function loadGitHubConfig(env: Env = process.env): GitHubConfig {
  const read = new EnvReader(env);
  const secret = read.optionalString("GITHUB_WEBHOOK_SECRET");
  const baseUrl = read.string("GITHUB_POLL_URL", "https://api.github.com").replace(/\/+$/, "");
  let parsed: URL;
  try {
    parsed = new URL(baseUrl);
  } catch {
    throw new ConfigError("GITHUB_POLL_URL", `"${baseUrl}" is not a URL`);
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    throw new ConfigError("GITHUB_POLL_URL", `"${baseUrl}" must be an http(s) URL`);
  }
  const target = read.string("GITHUB_POLL_TARGET", "events").replace(/^\/+|\/+$/g, "");
  if (!isPollTarget(target)) {
    throw new ConfigError(
      "GITHUB_POLL_TARGET",
      `"${target}" is not one of events, users/NAME, orgs/NAME, repos/OWNER/NAME`,
    );
  }
  return {
    webhook: {
      secret,
      maxBodyBytes: read.integer("GITHUB_WEBHOOK_MAX_BYTES", 26_214_400, 1024, 1_073_741_824),
      starSource: read.oneOf("GITHUB_WEBHOOK_STARS", ["watch", "star"] as const, "watch"),
    },
    poll: {
      onStart: read.boolean("GITHUB_POLL_ON_START", false),
      baseUrl,
      target,
      token: read.optionalString("GITHUB_TOKEN"),
      intervalMs: read.integer("GITHUB_POLL_INTERVAL_MS", 60_000, 0, 86_400_000),
      perPage: read.integer("GITHUB_POLL_PER_PAGE", 100, 1, 100),
      maxPages: read.integer("GITHUB_POLL_MAX_PAGES", 10, 1, 100),
      maxBackoffMs: read.integer("GITHUB_POLL_MAX_BACKOFF_MS", 900_000, 0, 86_400_000),
      requestTimeoutMs: read.integer("GITHUB_POLL_TIMEOUT_MS", 30_000, 100, 600_000),
      stateFile: read.optionalString("GITHUB_POLL_STATE_FILE"),
    },
  };
}
