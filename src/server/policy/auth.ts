import { createHash, timingSafeEqual } from "node:crypto";
import type { OperationTypeNode } from "graphql";
import type { ApiKey, KeyScope } from "../../app/api-keys.js";
import { forbidden, unauthenticated, type RequestError } from "../http/request-errors.js";

/** Who is calling, as far as this server can tell. Logs and metrics use `name`, never the key. */
export type Caller =
  | { readonly kind: "anonymous" }
  | { readonly kind: "key"; readonly name: string; readonly scope: KeyScope }
  /** Presented a credential that matches no key: refused whatever the operation. */
  | { readonly kind: "invalid" };

export const ANONYMOUS: Caller = { kind: "anonymous" };

/**
 * Matches presented credentials against the configured keys in constant time: both sides are
 * hashed to equal-length digests and every key is compared, so neither the length nor the
 * position of a match shows in the response time.
 */
export class Authenticator {
  private readonly keys: readonly { readonly digest: Buffer; readonly caller: Caller }[];

  constructor(keys: readonly ApiKey[]) {
    this.keys = keys.map((k) => ({
      digest: digest(k.key),
      caller: { kind: "key", name: k.name, scope: k.scope },
    }));
  }

  /** Without keys the API is open (development default); see README "Production". */
  get enabled(): boolean {
    return this.keys.length > 0;
  }

  identify(credential: string | null): Caller {
    if (credential === null) return ANONYMOUS;
    const presented = digest(credential);
    let match: Caller = { kind: "invalid" };
    for (const key of this.keys) {
      if (timingSafeEqual(presented, key.digest)) match = key.caller;
    }
    return match;
  }
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}

/** `Authorization: Bearer <key>` or `X-API-Key: <key>`; over WebSocket the same names in connection_init. */
export function credentialFrom(get: (name: string) => unknown): string | null {
  const authorization = get("authorization");
  if (typeof authorization === "string" && authorization.trim() !== "") {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization.trim());
    // A malformed Authorization header is still a credential: it must not pass as anonymous.
    return match?.[1] ?? authorization;
  }
  const apiKey = get("x-api-key");
  return typeof apiKey === "string" && apiKey.trim() !== "" ? apiKey.trim() : null;
}

export interface AccessPolicy {
  readonly keysConfigured: boolean;
  readonly queriesRequireKey: boolean;
}

/** Mutations need a write key once keys are configured; queries and subscriptions only if told so. */
export function authorize(
  operation: OperationTypeNode,
  caller: Caller,
  policy: AccessPolicy,
): RequestError | null {
  if (caller.kind === "invalid") return unauthenticated("the API key is not valid");
  if (!policy.keysConfigured) return null;
  if (operation === "mutation") {
    if (caller.kind === "anonymous") {
      return unauthenticated("mutations need an API key: send Authorization: Bearer <key>");
    }
    if (caller.scope !== "write") return forbidden(`the key ${caller.name} may read but not record events`);
    return null;
  }
  if (policy.queriesRequireKey && caller.kind === "anonymous") {
    return unauthenticated(
      "this server needs an API key for every operation: send Authorization: Bearer <key>",
    );
  }
  return null;
}

export function callerName(caller: Caller): string {
  return caller.kind === "key" ? caller.name : caller.kind;
}
