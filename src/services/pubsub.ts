import { EventEmitter, on } from "node:events";

/**
 * The pub/sub port live updates travel through. Messages are JSON values, so that an
 * in-process bus and a Redis bus behave the same: what one instance publishes, every
 * instance's subscribers receive.
 */
export interface PubSub {
  publish(channel: string, message: JsonValue): Promise<void>;
  /** Messages published on `channel` from now on, until `signal` aborts. */
  subscribe(channel: string, signal: AbortSignal): AsyncIterable<JsonValue>;
  close(): Promise<void>;
}

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** One process: an EventEmitter. Messages are copied through JSON so no subscriber shares a publisher's object. */
export class InProcessPubSub implements PubSub {
  private readonly emitter = new EventEmitter();

  constructor() {
    // Every open subscription is a listener; thousands are normal, not a leak.
    this.emitter.setMaxListeners(0);
  }

  async publish(channel: string, message: JsonValue): Promise<void> {
    this.emitter.emit(channel, JSON.stringify(message));
  }

  async *subscribe(channel: string, signal: AbortSignal): AsyncIterable<JsonValue> {
    try {
      for await (const [text] of on(this.emitter, channel, { signal })) {
        yield JSON.parse(text as string) as JsonValue;
      }
    } catch (error) {
      if (!signal.aborted) throw error;
    }
  }

  async close(): Promise<void> {
    this.emitter.removeAllListeners();
  }
}
