import WebSocket from "ws";

/** What a subscription received: each `next` payload's data (with the time it arrived), errors, completion. */
export interface Received<T = unknown> {
  readonly data: T[];
  readonly at: number[];
  readonly errors: unknown[];
  completed: boolean;
}

/**
 * A lean graphql-transport-ws client for tests and benchmarks that open thousands of
 * subscriptions: one `ws` socket, many operations, every frame parsed once. (The graphql-ws client
 * works too; this one keeps the client's own cost low when it shares the machine with the server.)
 */
export class LiveSocket {
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly operations = new Map<string, Received & { onNext?: (data: unknown) => void }>();
  private acknowledged: Promise<void>;

  private constructor(
    readonly socket: WebSocket,
    connectionParams: Record<string, unknown>,
  ) {
    this.closed = new Promise((resolve) =>
      socket.once("close", (code, reason) => resolve({ code, reason: String(reason) })),
    );
    this.acknowledged = new Promise((resolve, reject) => {
      socket.once("open", () =>
        socket.send(JSON.stringify({ type: "connection_init", payload: connectionParams })),
      );
      socket.once("error", reject);
      void this.closed.then(({ code, reason }) => reject(new Error(`closed with ${code} ${reason}`)));
      socket.on("message", (data) => {
        const message = JSON.parse(String(data)) as { type: string; id?: string; payload?: unknown };
        if (message.type === "connection_ack") return resolve();
        if (message.type === "ping") return socket.send(JSON.stringify({ type: "pong" }));
        const operation = message.id === undefined ? undefined : this.operations.get(message.id);
        if (!operation) return;
        if (message.type === "next") {
          const data = (message.payload as { data?: unknown; errors?: unknown[] }) ?? {};
          if (data.errors) operation.errors.push(...data.errors);
          if (data.data !== undefined) {
            operation.data.push(data.data);
            operation.at.push(performance.now());
            operation.onNext?.(data.data);
          }
        } else if (message.type === "error") operation.errors.push(...(message.payload as unknown[]));
        else if (message.type === "complete") operation.completed = true;
      });
    });
    this.acknowledged.catch(() => undefined);
  }

  /** Connects and waits for connection_ack (rejects if the server closes first). */
  static async open(url: string, connectionParams: Record<string, unknown> = {}): Promise<LiveSocket> {
    const live = new LiveSocket(new WebSocket(url, "graphql-transport-ws"), connectionParams);
    await live.acknowledged;
    return live;
  }

  /** Starts an operation; what it receives accumulates in the returned record. */
  subscribe<T>(
    id: string,
    query: string,
    variables: Record<string, unknown> = {},
    onNext?: (data: T) => void,
  ): Received<T> {
    const received = { data: [], at: [], errors: [], completed: false, onNext } as Received & {
      onNext?: (data: unknown) => void;
    };
    this.operations.set(id, received);
    this.socket.send(JSON.stringify({ type: "subscribe", id, payload: { query, variables } }));
    return received as Received<T>;
  }

  complete(id: string): void {
    this.socket.send(JSON.stringify({ type: "complete", id }));
  }

  close(): void {
    this.socket.close();
  }
}

/** Resolves once `done()` is true, checking every `everyMs`; rejects with `describe()` after `timeoutMs`. */
export async function until(
  done: () => boolean | Promise<boolean>,
  describe: () => string,
  timeoutMs = 30_000,
  everyMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
