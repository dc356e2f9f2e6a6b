import { EventEmitter, on } from "node:events";
import { Redis } from "ioredis";
import type { JsonValue, PubSub } from "./pubsub.js";

/**
 * Redis pub/sub: every instance publishes to Redis and hears every message, its own included,
 * exactly once. One subscriber connection per process serves all local subscriptions; a
 * channel is subscribed in Redis while at least one local subscription listens to it.
 */
export class RedisPubSub implements PubSub {
  private readonly local = new EventEmitter();
  private readonly listeners = new Map<string, number>();

  private constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
  ) {
    this.local.setMaxListeners(0);
    subscriber.on("message", (channel: string, text: string) => this.local.emit(channel, text));
  }

  static async connect(url: string): Promise<RedisPubSub> {
    const options = { lazyConnect: true, maxRetriesPerRequest: 3 };
    const publisher = new Redis(url, options);
    const subscriber = new Redis(url, options);
    await Promise.all([publisher.connect(), subscriber.connect()]);
    return new RedisPubSub(publisher, subscriber);
  }

  async publish(channel: string, message: JsonValue): Promise<void> {
    await this.publisher.publish(channel, JSON.stringify(message));
  }

  async *subscribe(channel: string, signal: AbortSignal): AsyncIterable<JsonValue> {
    if (signal.aborted) return;
    const messages = on(this.local, channel, { signal });
    await this.retain(channel);
    try {
      for await (const [text] of messages) yield JSON.parse(text as string) as JsonValue;
    } catch (error) {
      if (!signal.aborted) throw error;
    } finally {
      await this.release(channel);
    }
  }

  async close(): Promise<void> {
    this.local.removeAllListeners();
    this.subscriber.disconnect();
    await this.publisher.quit();
  }

  private async retain(channel: string): Promise<void> {
    const count = this.listeners.get(channel) ?? 0;
    this.listeners.set(channel, count + 1);
    if (count === 0) await this.subscriber.subscribe(channel);
  }

  private async release(channel: string): Promise<void> {
    const count = (this.listeners.get(channel) ?? 1) - 1;
    if (count > 0) {
      this.listeners.set(channel, count);
      return;
    }
    this.listeners.delete(channel);
    if (this.subscriber.status === "ready") await this.subscriber.unsubscribe(channel);
  }
}
