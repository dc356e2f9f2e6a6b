import type { Socket } from "node:net";
import type { WebSocket } from "ws";
import { OutboxQueue } from "./outbox-queue.js";
import { closeForLimit } from "./websocket-close.js";

/**
 * The close code for a consumer too slow for its updates: more than EVENTSCORE_WS_MAX_BUFFERED_BYTES
 * waited to be written to it. An application code (4000-4999) apart from graphql-ws's own 44xx
 * codes, and not one its client treats as fatal: the client reconnects after a backoff (and should
 * read again what it missed).
 */
export const SLOW_CONSUMER_CLOSE_CODE = 4421;

/** What a socket's transport holds in user space before it stops handing frames to it. */
const WRITE_HIGH_WATER_BYTES = 64 * 1024;

export interface OutboxOptions {
  /** Most bytes that may wait for one socket (queued plus unsent in its transport). */
  readonly maxBufferedBytes: number;
  /** Called when a socket is closed as a slow consumer (for the log and metrics). */
  readonly onSlow?: (bufferedBytes: number) => void;
}

/**
 * Every frame the server sends one graphql-ws socket, protocol replies and live pushes alike, so
 * that they keep their order. Frames wait in a bounded queue (outbox-queue.ts: latest-wins slots
 * for coalescing subscriptions) and are written in batches, one write per socket per turn of the
 * event loop (the transport is corked around a batch), while its transport has room. A socket
 * whose waiting bytes pass the bound is closed with SLOW_CONSUMER_CLOSE_CODE: dropping it is
 * better than letting memory grow, and the other sockets are not held up by it.
 */
export class SocketOutbox {
  private readonly queue = new OutboxQueue();
  private waitingForDrain = false;
  private closed = false;

  constructor(
    private readonly socket: WebSocket,
    /** The TCP socket under `socket`, for its buffered bytes, drain events and corking. */
    private readonly transport: Socket,
    private readonly scheduler: FlushScheduler,
    private readonly options: OutboxOptions,
  ) {
    transport.on("drain", () => {
      if (!this.waitingForDrain) return;
      this.waitingForDrain = false;
      this.scheduler.mark(this);
    });
    socket.once("close", () => this.discard());
  }

  /** Bytes waiting for this socket, here and in its transport. */
  get bufferedBytes(): number {
    return this.queue.bytes + this.transport.writableLength;
  }

  /** Queues a frame; with a slot, it replaces that slot's frame still waiting (latest wins). */
  send(frame: string, slot: string | null = null): void {
    if (this.closed) return;
    this.queue.enqueue(frame, slot);
    if (this.bufferedBytes > this.options.maxBufferedBytes) return this.closeAsSlow();
    if (!this.waitingForDrain) this.scheduler.mark(this);
  }

  /** Forgets what a finished subscription still had waiting in its slot. */
  drop(slot: string): void {
    this.queue.drop(slot);
  }

  /** Writes waiting frames while the transport has room; called by the scheduler. */
  flush(): void {
    if (this.closed || this.queue.length === 0) return;
    if (this.socket.readyState !== this.socket.OPEN) return this.discard();
    this.transport.cork();
    try {
      while (this.transport.writableLength < WRITE_HIGH_WATER_BYTES) {
        const frame = this.queue.shift();
        if (frame === undefined) break;
        this.socket.send(frame);
      }
    } finally {
      this.transport.uncork();
    }
    if (this.queue.length > 0) this.waitingForDrain = true;
  }

  private closeAsSlow(): void {
    const buffered = this.bufferedBytes;
    this.discard();
    this.options.onSlow?.(buffered);
    closeForLimit(
      this.socket,
      SLOW_CONSUMER_CLOSE_CODE,
      `slow consumer: more than ${this.options.maxBufferedBytes} bytes waiting`,
    );
  }

  private discard(): void {
    this.closed = true;
    this.queue.clear();
  }
}

/**
 * Flushes the outboxes that have frames, a few milliseconds at a time: a fan-out to many sockets is
 * written in slices with the event loop free in between (for HTTP requests, ingest and timers).
 */
export class FlushScheduler {
  private dirty = new Set<SocketOutbox>();
  private pending: NodeJS.Immediate | null = null;

  constructor(private readonly sliceMs = 5) {}

  mark(outbox: SocketOutbox): void {
    this.dirty.add(outbox);
    this.pending ??= setImmediate(this.run);
  }

  private readonly run = (): void => {
    this.pending = null;
    const until = performance.now() + this.sliceMs;
    const batch = this.dirty;
    this.dirty = new Set();
    let left: SocketOutbox[] | null = null;
    for (const outbox of batch) {
      if (left !== null) {
        left.push(outbox);
        continue;
      }
      outbox.flush();
      if (performance.now() >= until) left = [];
    }
    for (const outbox of left ?? []) this.mark(outbox);
  };
}
