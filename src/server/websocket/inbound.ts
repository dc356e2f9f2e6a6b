import type { RawData, WebSocket } from "ws";
import { closeForLimit } from "./close-codes.js";

/**
 * The close code for a socket that sent more than EVENTSCORE_WS_MAX_MESSAGES_PER_SECOND messages
 * in a second. An application code (4000-4999) apart from graphql-ws's own 44xx codes, and not one
 * the graphql-ws client treats as fatal: a client that burst too hard reconnects after a backoff.
 */
export const MESSAGE_RATE_CLOSE_CODE = 4008;

export interface InboundOptions {
  /** Messages a socket may send in one second (a token bucket holding as many, refilled at that rate). */
  readonly maxMessagesPerSecond: number;
  /** Longest the scheduler runs message handlers before it lets the event loop serve other I/O. */
  readonly sliceMs?: number;
  /** Called when a socket is closed for its message rate (for the log). */
  readonly onLimit?: (socket: WebSocket) => void;
}

type Listener = (data: RawData, isBinary: boolean) => void;

/** One socket's bucket and the messages it sent that have not been handled yet. */
interface Inbox {
  readonly socket: WebSocket;
  readonly listeners: readonly Listener[];
  readonly pending: [RawData, boolean][];
  tokens: number;
  refilledAt: number;
  closed: boolean;
}

/**
 * Incoming WebSocket messages, rate-limited per socket and handled fairly across sockets.
 *
 * Without it, `ws` hands graphql-ws every frame of a TCP read at once, and graphql-ws parses and
 * validates each one synchronously: 100 sockets sending 200 frames each kept the event loop busy
 * for 16-30 s, and health probes waited all that time. Here each socket's messages wait in its
 * own inbox and are handed to graphql-ws one socket at a time, round robin, for at most `sliceMs`
 * before the scheduler yields (setImmediate) so that HTTP requests, other sockets and timers are
 * served in between. A socket past its rate is closed with MESSAGE_RATE_CLOSE_CODE and what it
 * still had waiting is dropped.
 *
 * It takes over the 'message' listeners already on a socket (graphql-ws's), so `attach` must run
 * after graphql-ws has seen the connection: register it on the server's 'connection' event after
 * `useServer`.
 */
export class InboundScheduler {
  private readonly sliceMs: number;
  private readonly turns: Inbox[] = [];
  private head = 0;
  private scheduled = false;

  constructor(private readonly options: InboundOptions) {
    this.sliceMs = options.sliceMs ?? 5;
  }

  attach(socket: WebSocket): void {
    const listeners = socket.listeners("message") as Listener[];
    socket.removeAllListeners("message");
    const inbox: Inbox = {
      socket,
      listeners,
      pending: [],
      tokens: this.options.maxMessagesPerSecond,
      refilledAt: performance.now(),
      closed: false,
    };
    socket.on("message", (data: RawData, isBinary: boolean) => this.receive(inbox, data, isBinary));
    socket.once("close", () => {
      inbox.closed = true;
      inbox.pending.length = 0;
    });
  }

  private receive(inbox: Inbox, data: RawData, isBinary: boolean): void {
    if (inbox.closed) return;
    const now = performance.now();
    const rate = this.options.maxMessagesPerSecond;
    inbox.tokens = Math.min(rate, inbox.tokens + ((now - inbox.refilledAt) / 1000) * rate);
    inbox.refilledAt = now;
    if (inbox.tokens < 1) {
      inbox.closed = true;
      inbox.pending.length = 0;
      this.options.onLimit?.(inbox.socket);
      closeForLimit(inbox.socket, MESSAGE_RATE_CLOSE_CODE, `more than ${rate} messages in a second`);
      return;
    }
    inbox.tokens -= 1;
    inbox.pending.push([data, isBinary]);
    if (inbox.pending.length === 1) this.turns.push(inbox);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.run);
  }

  private readonly run = (): void => {
    this.scheduled = false;
    const until = performance.now() + this.sliceMs;
    while (this.head < this.turns.length && performance.now() < until) {
      const inbox = this.turns[this.head++]!;
      const next = inbox.pending.shift();
      // A socket closing for another reason (graphql-ws closes on protocol errors) gets no more.
      if (next === undefined || inbox.closed || inbox.socket.readyState !== inbox.socket.OPEN) continue;
      // Another turn at the back of the line for what this socket still has waiting.
      if (inbox.pending.length > 0) this.turns.push(inbox);
      deliver(inbox, next);
    }
    if (this.head === this.turns.length) {
      this.turns.length = 0;
      this.head = 0;
    } else {
      if (this.head > 1024) {
        this.turns.splice(0, this.head);
        this.head = 0;
      }
      this.schedule();
    }
  };
}

function deliver(inbox: Inbox, [data, isBinary]: [RawData, boolean]): void {
  for (const listener of inbox.listeners) {
    try {
      listener.call(inbox.socket, data, isBinary);
    } catch {
      // graphql-ws handles its own errors (its listener is async); a throw here is a broken socket.
      inbox.socket.terminate();
    }
  }
}
