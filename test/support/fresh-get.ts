import { get } from "node:http";

export interface FreshResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

/**
 * GET on a connection of its own. fetch keeps connections alive, and after a pause longer than the
 * server's keep-alive timeout (5 s; a loaded machine stretches pauses) it may reuse a socket the server
 * is closing at that very moment, failing with "other side closed". Probes between slow steps use this.
 */
export function freshGet(url: string | URL, headers: Record<string, string> = {}): Promise<FreshResponse> {
  return new Promise((resolve, reject) => {
    const request = get(url, { agent: false, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }),
      );
      response.on("error", reject);
    });
    request.on("error", reject);
  });
}
