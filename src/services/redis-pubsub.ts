import { Redis } from "ioredis";
import { ChannelListeners, type JsonValue, type PubSub, type Unlisten } from "./pubsub.js";

/**
 * Redis pub/sub: every instance publishes to Redis and hears every message, its own included,
 * exactly once. One subscriber connection per process serves all local listeners; a channel is
 * subscribed in Redis while at least one local listener listens to it, and each message is parsed
 * once for all of them.
 */
export class RedisPubSub implements PubSub {
  private readonly listeners = new ChannelListeners();

  private constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    private readonly onError: (error: unknown) => void,
  ) {
    subscriber.on("message", (channel: string, text: string) =>
      this.listeners.deliver(channel, text, this.onError),
    );
  }

  static async connect(
    url: string,
    onError: (error: unknown) => void = () => undefined,
  ): Promise<RedisPubSub> {
    const options = { lazyConnect: true, maxRetriesPerRequest: 3 };
    const publisher = new Redis(url, options);
    const subscriber = new Redis(url, options);
    await Promise.all([publisher.connect(), subscriber.connect()]);
    return new RedisPubSub(publisher, subscriber, onError);
  }

  async publish(channel: string, message: JsonValue): Promise<void> {
    await this.publisher.publish(channel, JSON.stringify(message));
  }

  async listen(channel: string, handler: (message: JsonValue) => void): Promise<Unlisten> {
    if (this.listeners.add(channel, handler)) await this.subscriber.subscribe(channel);
    return () => {
      if (this.listeners.remove(channel, handler) && this.subscriber.status === "ready")
        this.subscriber.unsubscribe(channel).catch(this.onError);
    };
  }

  async close(): Promise<void> {
    this.listeners.clear();
    this.subscriber.disconnect();
    await this.publisher.quit();
  }
}
