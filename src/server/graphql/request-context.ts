import { createContext, type Context, type Services } from "../../graphql/context.js";
import type { Caller } from "../policy/auth.js";
import type { Deadline } from "./deadline.js";

/** What resolvers get (services, loaders) plus what the server's checks need about the caller. */
export interface RequestContext extends Context {
  readonly caller: Caller;
  /** The ingest rate limit's bucket: the key name, or the client address without a key. */
  readonly rateKey: string;
  readonly requestId: string;
  readonly deadline: Deadline;
}

export function createRequestContext(
  services: Services,
  caller: Caller,
  remoteAddress: string | undefined,
  requestId: string,
  deadline: Deadline,
): RequestContext {
  // Assigned onto the context, not spread from it: a spread would call its `loaders` getter and
  // make every request's DataLoaders, used or not (each live push paid for them).
  return Object.assign(createContext(services), {
    caller,
    rateKey: clientKey(caller, remoteAddress),
    requestId,
    deadline,
  });
}

/** Who a caller counts as for per-client limits: the key's name, or the client address without a key. */
export function clientKey(caller: Caller, remoteAddress: string | undefined): string {
  return caller.kind === "key" ? `key:${caller.name}` : `address:${remoteAddress ?? "unknown"}`;
}
