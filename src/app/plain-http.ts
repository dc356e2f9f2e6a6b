/**
 * A request as a handler without HTTP objects sees it: what a webhook's delivery logic needs
 * and no more, so that logic lives with its source (src/sources) and the server only mounts it
 * (src/server/http/reply-route.ts). Here because both rooms speak it and neither imports the other.
 */
export interface PlainRequest {
  readonly method: string;
  /** A header's first value; null when absent or empty. */
  header(name: string): string | null;
  /** The body's bytes up to `limit`; null when it is larger (nothing more is read). */
  readBody(limit: number): Promise<Buffer | null>;
  readonly remoteAddress: string | null;
}

/** A JSON answer, with any headers it needs. */
export interface PlainReply {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}
