import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";
import type { AppHooks } from "../../src/app/app.js";
import type { AggregatorHandle } from "../../src/app/backend.js";
import { loadConfig, type Config } from "../../src/app/config.js";
import { createJsonLogger } from "../../src/app/logger.js";
import { startInstance, type Instance } from "../../src/cli/instance.js";

export interface GraphQLResponse<T = Record<string, unknown>> {
  readonly status: number;
  readonly data?: T | null;
  readonly errors?: { message: string; path?: string[]; extensions?: Record<string, unknown> }[];
}

export interface TestServer {
  readonly instance: Instance;
  readonly url: string;
  readonly wsUrl: string;
  /** The in-process aggregator on the Kafka log (null on the embedded store). */
  readonly aggregator: AggregatorHandle | null;
  /** POSTs a GraphQL operation over real HTTP. */
  gql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<GraphQLResponse<T>>;
  /** A real graphql-ws client connected to this server. */
  wsClient(): Client;
  stop(): Promise<void>;
}

/** Configuration for a test server: loopback, a random port, an in-memory store, fast live updates. */
export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    ...process.env,
    NODE_ENV: "test",
    HOST: "127.0.0.1",
    PORT: "0",
    EVENTSCORE_STORE: "sqlite",
    EVENTSCORE_SQLITE_PATH: ":memory:",
    EVENTSCORE_LEADERBOARD_INTERVAL_MS: "50",
    ...env,
  });
}

/**
 * Starts the real server in-process on a random loopback port, on an in-memory store unless told
 * otherwise. On the Kafka log it also runs an aggregator in the process (as `serve --aggregate`)
 * unless `aggregate` is false. `decorateStore` wraps the store the services read (to count or slow calls).
 */
export async function startTestServer(
  env: Record<string, string> = {},
  options: { aggregate?: boolean; decorateStore?: AppHooks["decorateStore"] } = {},
): Promise<TestServer> {
  const config = testConfig(env);
  const hooks: AppHooks = options.decorateStore ? { decorateStore: options.decorateStore } : {};
  const started = await startInstance(config, createJsonLogger("silent"), undefined, hooks);
  const aggregator =
    options.aggregate !== false && started.app.startAggregator ? await started.app.startAggregator() : null;
  const instance: Instance = {
    ...started,
    stop: async () => {
      await aggregator?.stop();
      await started.stop();
    },
  };
  const url = `http://127.0.0.1:${instance.server.port}/graphql`;
  const wsUrl = url.replace("http:", "ws:");
  const clients: Client[] = [];
  return {
    instance,
    url,
    wsUrl,
    aggregator,
    gql: (query, variables) => postGraphQL(url, query, variables),
    wsClient: () => {
      const client = createClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
      clients.push(client);
      return client;
    },
    stop: async () => {
      await Promise.all(clients.map((client) => client.dispose()));
      await instance.stop();
    },
  };
}

export async function postGraphQL<T>(
  url: string,
  query: string,
  variables?: Record<string, unknown>,
): Promise<GraphQLResponse<T>> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as Omit<GraphQLResponse<T>, "status">;
  return { status: response.status, ...body };
}

/** Collects the next `count` results of a subscription (or fails after `timeoutMs`). */
export function subscribe<T>(client: Client, query: string, variables: Record<string, unknown> = {}) {
  const received: T[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  let failure: unknown = null;
  const unsubscribe = client.subscribe<T>(
    { query, variables },
    {
      next: (value) => {
        if (value.errors) failure = value.errors;
        if (value.data) received.push(value.data as T);
        for (const waiter of waiters.filter((w) => received.length >= w.count)) waiter.resolve();
      },
      error: (error) => {
        failure = error;
        for (const waiter of waiters) waiter.resolve();
      },
      complete: () => undefined,
    },
  );
  return {
    received,
    unsubscribe,
    get failure() {
      return failure;
    },
    async waitFor(count: number, timeoutMs = 5000): Promise<T[]> {
      if (received.length < count) {
        await Promise.race([
          new Promise<void>((resolve) => waiters.push({ count, resolve })),
          new Promise<void>((_, reject) =>
            setTimeout(() => reject(new Error(`got ${received.length} of ${count} results`)), timeoutMs),
          ),
        ]);
      }
      if (failure) throw new Error(`subscription failed: ${JSON.stringify(failure)}`);
      return received.slice(0, count);
    },
  };
}

/** graphql-ws subscribes asynchronously: wait until the server has registered the subscription. */
export async function settle(ms = 150): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Two instances as in production with the embedded store: one SQLite file both open, one Redis
 * pub/sub between them. `stop` stops both and removes the file.
 */
export async function startTwoOverRedis(
  redisUrl: string,
  env: Record<string, string> = {},
): Promise<{ a: TestServer; b: TestServer; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), "eventscore-redis-"));
  const shared = {
    EVENTSCORE_PUBSUB: "redis",
    REDIS_URL: redisUrl,
    EVENTSCORE_SQLITE_PATH: join(dir, "shared.db"),
  };
  const a = await startTestServer({ ...shared, ...env });
  const b = await startTestServer({ ...shared, ...env });
  return {
    a,
    b,
    stop: async () => {
      await a.stop();
      await b.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
