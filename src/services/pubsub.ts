/**
 * The pub/sub port live updates and applied notices travel through. Messages are JSON values, so
 * that an in-process bus and a Redis bus behave the same: what one instance publishes, every
 * instance hears once.
 *
 * A channel has few listeners per process (one fan-out hub, one applied waiter), never one per
 * subscriber: a message is decoded once per process and the same value handed to each listener,
 * which must treat it as read-only.
 */
export interface PubSub {
  publish(channel: string, message: JsonValue): Promise<void>;
  /**
   * Calls `handler` with each message published on `channel` from the time the returned promise
   * resolves, until the returned function is called. Delivery never runs inside `publish`.
   */
  listen(channel: string, handler: (message: JsonValue) => void): Promise<Unlisten>;
  close(): Promise<void>;
}

export type Unlisten = () => void;

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * The listeners of each channel, each called in turn with one decoded message; one listener that
 * throws does not keep the message from the others.
 */
export class ChannelListeners {
  private readonly byChannel = new Map<string, Set<(message: JsonValue) => void>>();

  /** Adds a listener; true when it is the channel's first (the bus must start hearing it). */
  add(channel: string, handler: (message: JsonValue) => void): boolean {
    let set = this.byChannel.get(channel);
    const first = set === undefined;
    if (!set) this.byChannel.set(channel, (set = new Set()));
    set.add(handler);
    return first;
  }

  /** Removes a listener; true when it was the channel's last. */
  remove(channel: string, handler: (message: JsonValue) => void): boolean {
    const set = this.byChannel.get(channel);
    if (!set?.delete(handler) || set.size > 0) return false;
    this.byChannel.delete(channel);
    return true;
  }

  has(channel: string): boolean {
    return this.byChannel.has(channel);
  }

  deliver(channel: string, text: string, onError: (error: unknown) => void): void {
    const set = this.byChannel.get(channel);
    if (!set) return;
    let message: JsonValue;
    try {
      message = JSON.parse(text) as JsonValue;
    } catch (error) {
      onError(error);
      return;
    }
    for (const handler of [...set]) {
      try {
        handler(message);
      } catch (error) {
        onError(error);
      }
    }
  }

  clear(): void {
    this.byChannel.clear();
  }
}

/**
 * One process. Messages go through JSON like Redis's do, so no listener shares the publisher's
 * object, and are delivered on a later turn of the event loop: publishing never runs listeners.
 */
export class InProcessPubSub implements PubSub {
  private readonly listeners = new ChannelListeners();

  constructor(private readonly onError: (error: unknown) => void = () => undefined) {}

  async publish(channel: string, message: JsonValue): Promise<void> {
    if (!this.listeners.has(channel)) return;
    const text = JSON.stringify(message);
    setImmediate(() => this.listeners.deliver(channel, text, this.onError));
  }

  async listen(channel: string, handler: (message: JsonValue) => void): Promise<Unlisten> {
    this.listeners.add(channel, handler);
    return () => void this.listeners.remove(channel, handler);
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }
}
