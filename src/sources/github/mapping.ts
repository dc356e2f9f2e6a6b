import type { EventDraft } from "../../domain/event.js";

/** The fields eventscore reads from a GitHub Events API / GH Archive event. */
export interface GitHubEvent {
  readonly id: string;
  readonly type: string;
  readonly actor: { readonly login: string };
  readonly repo: { readonly name: string };
  readonly org?: { readonly login: string } | null;
  readonly created_at: string;
  readonly payload?: Record<string, unknown> | null;
}

/**
 * Maps a GitHub event onto an eventscore event: user = actor login, type = the Events API type,
 * repo = owner/name, category = the repo owner, groups = [org login], occurredAt = created_at.
 *
 * Only a small summary of the payload is kept: full GitHub payloads (a push lists every commit,
 * with author emails) are large, hold personal data, and are not needed to score.
 */
export function fromGitHubEvent(event: GitHubEvent): EventDraft {
  const owner = event.repo.name.split("/")[0] ?? null;
  return {
    id: String(event.id),
    userId: event.actor.login,
    type: event.type,
    occurredAt: new Date(event.created_at),
    repo: event.repo.name,
    category: owner === "" ? null : owner,
    groups: event.org?.login ? [event.org.login] : [],
    payload: summarizePayload(event.payload ?? null),
  };
}

const KEPT_FIELDS = [
  "action",
  "ref",
  "ref_type",
  "size",
  "distinct_size",
  "number",
  "forkee_full_name",
] as const;

function summarizePayload(payload: Record<string, unknown> | null): Record<string, unknown> | null {
  if (payload === null) return null;
  const summary: Record<string, unknown> = {};
  for (const field of KEPT_FIELDS) {
    const value = payload[field];
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean")
      summary[field] = value;
  }
  const pullRequest = payload["pull_request"] as { merged?: unknown; number?: unknown } | undefined;
  if (pullRequest && typeof pullRequest.merged === "boolean") summary["merged"] = pullRequest.merged;
  if (pullRequest && typeof pullRequest.number === "number") summary["number"] = pullRequest.number;
  const forkee = payload["forkee"] as { full_name?: unknown } | null | undefined;
  if (forkee && typeof forkee.full_name === "string") summary["forkee_full_name"] = forkee.full_name;
  return Object.keys(summary).length > 0 ? summary : null;
}

/** A cheap structural check before mapping, so malformed archive lines are counted, not thrown. */
export function isGitHubEvent(value: unknown): value is GitHubEvent {
  if (typeof value !== "object" || value === null) return false;
  const event = value as Record<string, unknown>;
  const actor = event["actor"] as Record<string, unknown> | undefined;
  const repo = event["repo"] as Record<string, unknown> | undefined;
  return (
    (typeof event["id"] === "string" || typeof event["id"] === "number") &&
    typeof event["type"] === "string" &&
    typeof event["created_at"] === "string" &&
    typeof actor?.["login"] === "string" &&
    typeof repo?.["name"] === "string"
  );
}
