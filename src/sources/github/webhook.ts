import type { EventDraft } from "../../domain/event.js";
import { fromGitHubEvent, type GitHubEvent } from "./mapping.js";

/**
 * Maps a webhook delivery (`X-GitHub-Event` name + JSON payload) onto the Events API event that
 * GitHub shows for the same activity, so a webhook-fed leaderboard matches one fed by the poller
 * or by GH Archive imports.
 *
 * The rule is "count what the public event stream counts": a delivery becomes an event only for
 * the kinds and actions that appear in the Events API / GH Archive (for example a pull request
 * opened, closed or reopened, but not labeled or synchronized; a release published, but not
 * created or edited, which fire together with it). Everything else is acknowledged and ignored.
 */

/** Which of the two deliveries GitHub sends for one star counts as the WatchEvent. */
export type StarSource = "watch" | "star";

export interface DeliveryMeta {
  /** `X-GitHub-Delivery`: a GUID, the event id (re-deliveries keep it, so they deduplicate). */
  readonly deliveryId: string;
  /** When the delivery arrived: occurredAt for kinds whose payload carries no time of its own. */
  readonly receivedAt: Date;
  readonly starSource?: StarSource;
}

export type WebhookOutcome =
  | { readonly kind: "event"; readonly draft: EventDraft }
  | { readonly kind: "ping"; readonly zen: string | null; readonly hookId: number | null }
  | { readonly kind: "ignored"; readonly reason: string };

/** Webhook names that map onto an Events API type (some only for certain actions). */
export const WEBHOOK_EVENT_TYPES: Readonly<Record<string, string>> = {
  commit_comment: "CommitCommentEvent",
  create: "CreateEvent",
  delete: "DeleteEvent",
  fork: "ForkEvent",
  gollum: "GollumEvent",
  issue_comment: "IssueCommentEvent",
  issues: "IssuesEvent",
  member: "MemberEvent",
  public: "PublicEvent",
  pull_request: "PullRequestEvent",
  pull_request_review: "PullRequestReviewEvent",
  pull_request_review_comment: "PullRequestReviewCommentEvent",
  push: "PushEvent",
  release: "ReleaseEvent",
  repository: "CreateEvent",
  star: "WatchEvent",
  watch: "WatchEvent",
};

/**
 * The actions counted per webhook name, and the action the Events API names them with.
 * Names absent here carry no action (create, delete, fork, gollum, public, push).
 */
const COUNTED_ACTIONS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  commit_comment: { created: "created" },
  issue_comment: { created: "created" },
  issues: { opened: "opened", closed: "closed", reopened: "reopened" },
  member: { added: "added" },
  pull_request: { opened: "opened", closed: "closed", reopened: "reopened" },
  pull_request_review: { submitted: "created" },
  pull_request_review_comment: { created: "created" },
  release: { published: "published" },
  repository: { created: "created" },
  star: { created: "started" },
  watch: { started: "started" },
};

type Json = Record<string, unknown>;

export function fromWebhookDelivery(name: string, body: unknown, meta: DeliveryMeta): WebhookOutcome {
  if (!isObject(body)) return ignored("the payload is not a JSON object");
  if (name === "ping") {
    return {
      kind: "ping",
      zen: typeof body["zen"] === "string" ? body["zen"] : null,
      hookId: typeof body["hook_id"] === "number" ? body["hook_id"] : null,
    };
  }
  const type = WEBHOOK_EVENT_TYPES[name];
  if (type === undefined) return ignored(`"${name}" deliveries are not scored`);
  const starSource = meta.starSource ?? "watch";
  if ((name === "star" || name === "watch") && name !== starSource) {
    return ignored(`stars are counted from "${starSource}" deliveries (GitHub sends both for one star)`);
  }

  const counted = COUNTED_ACTIONS[name];
  const rawAction = typeof body["action"] === "string" ? body["action"] : null;
  let action: string | null = null;
  if (counted !== undefined) {
    action = rawAction === null ? null : (counted[rawAction] ?? null);
    if (action === null) return ignored(`"${name}" with action "${rawAction ?? "(none)"}" is not scored`);
  }

  const sender = objectAt(body, "sender");
  const login = stringAt(sender, "login");
  if (login === null) return ignored("the payload has no sender.login");
  const repository = objectAt(body, "repository");
  const repoName = stringAt(repository, "full_name");
  if (repoName === null) return ignored("the payload has no repository.full_name");

  const payload = eventsApiPayload(name, body, action);
  if (payload === null) return ignored(ignoredPushReason(body));
  const occurredAt = payloadTime(name, body, action) ?? meta.receivedAt;
  const organization = stringAt(objectAt(body, "organization"), "login");
  const event: GitHubEvent = {
    id: meta.deliveryId,
    type,
    actor: { login },
    repo: { name: repoName },
    org: organization === null ? null : { login: organization },
    created_at: occurredAt.toISOString(),
    payload,
  };
  return { kind: "event", draft: fromGitHubEvent(event) };
}

/** The payload fields the Events API has for the same event (mapping.ts keeps a summary of them). */
function eventsApiPayload(name: string, body: Json, action: string | null): Json | null {
  switch (name) {
    case "push": {
      const ref = stringAt(body, "ref");
      // Branch deletions arrive as `delete` deliveries and tag pushes as `create`; the public
      // event stream has no PushEvent for either.
      if (body["deleted"] === true || ref === null || ref.startsWith("refs/tags/")) return null;
      const commits = Array.isArray(body["commits"]) ? body["commits"] : [];
      return {
        ref,
        head: body["after"],
        before: body["before"],
        size: commits.length,
        distinct_size: commits.filter((commit) => isObject(commit) && commit["distinct"] !== false).length,
      };
    }
    case "create":
    case "delete":
      return { ref: body["ref"], ref_type: body["ref_type"] };
    case "repository":
      return { ref: null, ref_type: "repository" };
    case "fork":
      return { forkee: body["forkee"] };
    case "issues":
      return { action, number: numberAt(objectAt(body, "issue"), "number") };
    case "pull_request":
      return { action, number: body["number"], pull_request: body["pull_request"] };
    case "pull_request_review":
    case "pull_request_review_comment":
      return { action, pull_request: { number: numberAt(objectAt(body, "pull_request"), "number") } };
    case "issue_comment":
      return { action, number: numberAt(objectAt(body, "issue"), "number") };
    default:
      return action === null ? {} : { action };
  }
}

function ignoredPushReason(body: Json): string {
  if (body["deleted"] === true) return "a push that deletes a ref is counted from the delete delivery";
  return "a tag push is counted from the create delivery";
}

/** The activity's own time where the payload has one; null means "use the receive time". */
function payloadTime(name: string, body: Json, action: string | null): Date | null {
  switch (name) {
    case "push":
      // repository.pushed_at is the push itself; head_commit.timestamp is when the commit was
      // written, which may be long before (rebases, old branches).
      return (
        timeOf(objectAt(body, "repository")?.["pushed_at"]) ??
        timeOf(objectAt(body, "head_commit")?.["timestamp"])
      );
    case "pull_request":
    case "issues": {
      const subject = objectAt(body, name === "issues" ? "issue" : "pull_request");
      const field = action === "opened" ? "created_at" : action === "closed" ? "closed_at" : "updated_at";
      return timeOf(subject?.[field]) ?? timeOf(subject?.["updated_at"]);
    }
    case "issue_comment":
    case "commit_comment":
    case "pull_request_review_comment":
      return timeOf(objectAt(body, "comment")?.["created_at"]);
    case "pull_request_review":
      return timeOf(objectAt(body, "review")?.["submitted_at"]);
    case "release":
      return timeOf(objectAt(body, "release")?.["published_at"]);
    case "fork":
      return timeOf(objectAt(body, "forkee")?.["created_at"]);
    case "star":
      return timeOf(body["starred_at"]);
    case "repository":
      return timeOf(objectAt(body, "repository")?.["created_at"]);
    default:
      return null;
  }
}

/** ISO-8601 text, or epoch seconds (push payloads give repository times as numbers). */
function timeOf(value: unknown): Date | null {
  let time = Number.NaN;
  if (typeof value === "string" && value !== "") time = Date.parse(value);
  else if (typeof value === "number") time = value * 1000;
  return Number.isFinite(time) ? new Date(time) : null;
}

function ignored(reason: string): WebhookOutcome {
  return { kind: "ignored", reason };
}

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function objectAt(parent: Json | null | undefined, key: string): Json | null {
  const value = parent?.[key];
  return isObject(value) ? value : null;
}

function stringAt(parent: Json | null | undefined, key: string): string | null {
  const value = parent?.[key];
  return typeof value === "string" && value !== "" ? value : null;
}

function numberAt(parent: Json | null | undefined, key: string): number | null {
  const value = parent?.[key];
  return typeof value === "number" ? value : null;
}
