import type { Socket } from "node:net";
import type { WebSocket } from "ws";
import { OutboxQueue } from "./outbox-queue.js";
import { closeForLimit } from "./close-codes.js";

/**
 * The close code for a consumer too slow for its updates: more than EVENTSCORE_WS_MAX_BUFFERED_BYTES
 * waited to be written to it. An application code (4000-4999) apart from graphql-ws's own 44xx
 * codes, and not one its client treats as fatal: the client reconnects after a backoff (and should
 * read again what it missed).
 */
export const SLOW_CONSUMER_CLOSE_CODE = 4421;

/** What a socket's transport holds in user space before it stops handing frames to it. */
const WRITE_HIGH_WATER_BYTES = 64 * 1024;

/**
 * A live push, written as a raw WebSocket text frame: `head` (this subscription's
 * `{"id":…,"type":"next","payload":`), `body` (the payload, serialized once and shared by every
 * subscriber of the same operation), then `}`. No copy of the payload is made per subscriber.
 */
export interface PushFrame {
  readonly head: Buffer;
  readonly body: Buffer;
}

const FRAME_END = Buffer.from("}");

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
  private readonly queue = new OutboxQueue<string | PushFrame>();
  private waitingForDrain = false;
  private closed = false;
  /** Marked for the scheduler's next turn (saves marking it again for every push of a fan-out). */
  marked = false;

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
    const bytes = frame.head.length + frame.body.length + FRAME_END.length;
    this.queue.enqueue(frame, slot, bytes);
    this.afterEnqueue(bytes);
  }

  /** Slow: more than the limit was already waiting when this frame came (one frame may be larger). */
  private afterEnqueue(bytes: number): void {
    if (this.bufferedBytes - bytes > this.options.maxBufferedBytes) return this.closeAsSlow();
    if (!this.waitingForDrain && !this.marked) this.scheduler.mark(this);
  }

  /** Forgets what a finished subscription still had waiting in its slot. */
  drop(slot: string): void {
    this.queue.drop(slot);
  }

  /** Writes waiting frames while the transport has room; called by the scheduler. */
  flush(): void {
    this.marked = false;
    if (this.closed || this.queue.length === 0) return;
    if (this.socket.readyState !== this.socket.OPEN) return this.discard();
    this.transport.cork();
    try {
      while (this.transport.writableLength < WRITE_HIGH_WATER_BYTES) {
        const frame = this.queue.shift();
        if (frame === undefined) break;
        if (typeof frame === "string") this.socket.send(frame);
        else this.writePush(frame);
      }
    } finally {
      this.transport.uncork();
    }
    if (this.queue.length > 0) this.waitingForDrain = true;
  }

  /**
   * Writes a push as one unmasked, unfragmented text frame straight to the TCP socket. Safe beside
   * `ws`'s own writes: without per-message compression (off on this server) `ws` writes each of
   * its frames whole and at once, so frames never interleave.
   */
  private writePush({ head, body }: PushFrame): void {
    const length = head.length + body.length + FRAME_END.length;
    const headerLength = length < 126 ? 2 : length < 65_536 ? 4 : 10;
    const start = Buffer.allocUnsafe(headerLength + head.length);
    start[0] = 0x81; // FIN, text
    if (headerLength === 2) start[1] = length;
    else if (headerLength === 4) {
      start[1] = 126;
      start.writeUInt16BE(length, 2);
    } else {
      start[1] = 127;
      start.writeBigUInt64BE(BigInt(length), 2);
    }
    head.copy(start, headerLength);
    this.transport.write(start);
    this.transport.write(body);
    this.transport.write(FRAME_END);
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
    outbox.marked = true;
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
