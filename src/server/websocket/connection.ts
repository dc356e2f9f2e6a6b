import type { Context as WsContext } from "graphql-ws";
import { credentialFrom, type Authenticator, type Caller } from "../policy/auth.js";
import type { SocketExtra } from "./transport.js";

/** Per connection: who connected, and what is running on it. */
export type Connection = {
  caller?: Caller;
  connectionId?: string;
  /** The client its socket counts against (LiveLimits), once counted. */
  client?: string;
  /** Ends the in-flight tracking of single-result operations, by operation id. */
  pending?: Map<string, () => void>;
  /** Ids of subscriptions counted against the limits (from subscribe until complete). */
  streams?: Set<string>;
};
export type ConnectionContext = WsContext<Record<string, unknown> | undefined, SocketExtra & Connection>;

/** Who connected: the key from connection_init, else from the upgrade request's headers. */
export function connectingCaller(ctx: ConnectionContext, authenticator: Authenticator): Caller {
  const params = ctx.connectionParams ?? {};
  return authenticator.identify(
    credentialFrom((name) => paramOf(params, name) ?? ctx.extra.request.headers[name]),
  );
}

/** connection_init payloads spell header names freely: `authorization`, `Authorization`, `X-API-Key`. */
function paramOf(params: Record<string, unknown>, name: string): unknown {
  const key = Object.keys(params).find((candidate) => candidate.toLowerCase() === name);
  return key === undefined ? undefined : params[key];
}
