import { GraphQLError } from "graphql";

/**
 * The close code for a socket opened past EVENTSCORE_WS_MAX_SOCKETS_PER_CLIENT: its API key (or,
 * without a key, its client address) already holds that many. Not fatal to the graphql-ws client,
 * which retries after a backoff, by when another socket of the same client may have closed.
 */
export const TOO_MANY_SOCKETS_CLOSE_CODE = 4420;

export interface LiveLimitsOptions {
  /** Most open graphql-ws sockets per API key, or per client address without a key. */
  readonly maxSocketsPerClient: number;
  /** Most subscriptions open at once on one socket. */
  readonly maxSubscriptionsPerSocket: number;
  /** Most subscriptions open at once on this instance. */
  readonly maxSubscriptions: number;
}

/**
 * The live-update limits of one instance. A socket past its client's limit is closed (4420); a
 * subscription past the socket's or the instance's limit is refused with TOO_MANY_SUBSCRIPTIONS
 * and the socket stays open for what it already has.
 */
export class LiveLimits {
  private readonly socketsByClient = new Map<string, number>();
  private subscriptions = 0;

  constructor(readonly options: LiveLimitsOptions) {}

  get openSubscriptions(): number {
    return this.subscriptions;
  }

  /** Counts a socket of `client`; false (nothing counted) when the client has its most. */
  openSocket(client: string): boolean {
    const open = this.socketsByClient.get(client) ?? 0;
    if (open >= this.options.maxSocketsPerClient) return false;
    this.socketsByClient.set(client, open + 1);
    return true;
  }

  closeSocket(client: string): void {
    const open = (this.socketsByClient.get(client) ?? 1) - 1;
    if (open > 0) this.socketsByClient.set(client, open);
    else this.socketsByClient.delete(client);
  }

  /** Counts one more subscription on a socket that has `onSocket` open, or says why not. */
  reserveSubscription(onSocket: number): GraphQLError | null {
    if (onSocket >= this.options.maxSubscriptionsPerSocket)
      return tooMany(
        `one connection may hold at most ${this.options.maxSubscriptionsPerSocket} subscriptions`,
        {
          limit: this.options.maxSubscriptionsPerSocket,
          scope: "socket",
        },
      );
    if (this.subscriptions >= this.options.maxSubscriptions)
      return tooMany(
        `this server holds its most subscriptions (${this.options.maxSubscriptions}); retry later`,
        {
          limit: this.options.maxSubscriptions,
          scope: "instance",
        },
      );
    this.subscriptions += 1;
    return null;
  }

  releaseSubscription(): void {
    this.subscriptions = Math.max(0, this.subscriptions - 1);
  }
}

function tooMany(message: string, extensions: { limit: number; scope: "socket" | "instance" }): GraphQLError {
  return new GraphQLError(message, { extensions: { code: "TOO_MANY_SUBSCRIPTIONS", ...extensions } });
}
