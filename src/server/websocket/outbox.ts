import type { Socket } from "node:net";
import type { WebSocket } from "ws";
import { OutboxQueue } from "./outbox-queue.js";
import { closeForLimit } from "./close-codes.js";
import type { FlushScheduler } from "./flush-scheduler.js";
import { encodePushes, messageLength, wireLength, type PushFrame } from "./push-frames.js";

export type { PushFrame } from "./push-frames.js";

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
 * event loop (the transport is corked around a batch, and consecutive pushes are one buffer), while
 * its transport has room. A socket whose waiting bytes pass the bound is closed with
 * SLOW_CONSUMER_CLOSE_CODE: dropping it is better than letting memory grow, and the other sockets
 * are not held up by it.
 */
export class SocketOutbox {
  private readonly queue = new OutboxQueue<string | PushFrame>();
  private waitingForDrain = false;
  private closed = false;
  /** Waiting for a turn of the scheduler (set and cleared by it: one turn however many pushes). */
  marked = false;

  constructor(
    private readonly socket: WebSocket,
    /** The TCP socket under `socket`, for its buffered bytes, drain events and corking. */
    private readonly transport: Socket,
    private readonly scheduler: FlushScheduler<SocketOutbox>,
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

  /** Queues a protocol message (a reply, ack, pong, complete or error), kept in order with pushes. */
  send(frame: string): void {
    if (this.closed) return;
    const bytes = Buffer.byteLength(frame);
    this.queue.enqueue(frame, null, bytes);
    this.afterEnqueue(bytes);
  }

  /** Queues a live push; with a slot, it replaces that slot's push still waiting (latest wins). */
  push(frame: PushFrame, slot: string | null): void {
    if (this.closed) return;
    // The message's bytes, as for a protocol message: its frame header is counted once written.
    const bytes = messageLength(frame);
    this.queue.enqueue(frame, slot, bytes);
    this.afterEnqueue(bytes);
  }

  /** Slow: more than the limit was already waiting when this frame came (one frame may be larger). */
  private afterEnqueue(bytes: number): void {
    if (this.bufferedBytes - bytes > this.options.maxBufferedBytes) return this.closeAsSlow();
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
    const pushes: PushFrame[] = [];
    let gathered = 0;
    this.transport.cork();
    try {
      while (this.transport.writableLength + gathered < WRITE_HIGH_WATER_BYTES) {
        const frame = this.queue.shift();
        if (frame === undefined) break;
        if (typeof frame !== "string") {
          pushes.push(frame);
          gathered += wireLength(frame);
          continue;
        }
        // A protocol message goes through ws, after the pushes queued before it.
        this.writePushes(pushes, gathered);
        pushes.length = 0;
        gathered = 0;
        this.socket.send(frame);
      }
      this.writePushes(pushes, gathered);
    } finally {
      this.transport.uncork();
    }
    if (this.queue.length > 0) this.waitingForDrain = true;
  }

  /**
   * Writes pushes as raw frames straight to the TCP socket. Safe beside `ws`'s own writes: without
   * per-message compression (off on this server) `ws` writes each of its frames whole and at once,
   * so frames never interleave.
   */
  private writePushes(pushes: readonly PushFrame[], bytes: number): void {
    if (pushes.length > 0) this.transport.write(encodePushes(pushes, bytes));
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
