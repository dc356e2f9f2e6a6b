import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

/** One webhook kind of @octokit/webhooks-examples: `name` is the X-GitHub-Event header value. */
export interface WebhookDefinition {
  readonly name: string;
  readonly examples: Record<string, unknown>[];
}

const require = createRequire(import.meta.url);

/** The real example deliveries of api.github.com (58 kinds, 329 payloads). */
export const webhookDefinitions = JSON.parse(
  readFileSync(require.resolve("@octokit/webhooks-examples/api.github.com/index.json"), "utf8"),
) as WebhookDefinition[];
