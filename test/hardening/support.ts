import { Writable } from "node:stream";
import { createClient, type Client, type ClientOptions } from "graphql-ws";
import WebSocket from "ws";
import { createLogger, type Logger } from "../../src/app/logger.js";
import { startInstance, type Instance } from "../../src/cli/instance.js";
import { testConfig } from "../support/server.js";

export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The parsed body, or undefined when it is not JSON. */
  readonly json: GraphQLBody | undefined;
}

export interface GraphQLBody {
  data?: Record<string, unknown> | null;
  errors?: { message: string; path?: string[]; extensions?: Record<string, unknown> }[];
}

export interface HardenedServer {
  readonly instance: Instance;
  /** http://127.0.0.1:PORT */
  readonly base: string;
  /** base + /graphql */
  readonly url: string;
  readonly wsUrl: string;
  /** Any request to the server, answered as status, headers and (JSON) body. */
  fetch(path: string, init?: RequestInit): Promise<Reply>;
  /** A JSON POST of one GraphQL operation, with extra headers (e.g. an API key). */
  gql(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<Reply>;
  ws(options?: Partial<ClientOptions>): Client;
  stop(): Promise<void>;
}

/** The real server, in process, on a random loopback port and an in-memory store unless told otherwise. */
export async function startHardenedServer(
  env: Record<string, string> = {},
  logger: Logger = createLogger({ level: "silent" }),
): Promise<HardenedServer> {
  const config = testConfig(env);
  const instance = await startInstance(config, logger);
  // On the Kafka log, an aggregator in the process applies what the server appends.
  const aggregator = instance.app.startAggregator ? await instance.app.startAggregator() : null;
  const base = `http://127.0.0.1:${instance.server.port}`;
  const url = `${base}/graphql`;
  const clients: Client[] = [];
  const fetchReply = async (path: string, init?: RequestInit): Promise<Reply> => {
    const response = await fetch(`${base}${path}`, init);
    const text = await response.text();
    let json: GraphQLBody | undefined;
    try {
      json = JSON.parse(text) as GraphQLBody;
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, text, json };
  };
  return {
    instance,
    base,
    url,
    wsUrl: url.replace("http:", "ws:"),
    fetch: fetchReply,
    gql: (query, variables, headers = {}) =>
      fetchReply("/graphql", {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json", ...headers },
        body: JSON.stringify({ query, variables }),
      }),
    ws: (options = {}) => {
      const client = createClient({
        url: url.replace("http:", "ws:"),
        webSocketImpl: WebSocket,
        retryAttempts: 0,
        lazy: true,
        ...options,
      });
      clients.push(client);
      return client;
    },
    stop: async () => {
      await aggregator?.stop();
      await Promise.all(clients.map((client) => client.dispose()));
      await instance.stop();
    },
  };
}

/** Runs one single-result operation over graphql-ws and returns its result, or the error it ended with. */
export function wsRequest(
  client: Client,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<{ result?: GraphQLBody; error?: unknown }> {
  return new Promise((resolve) => {
    let result: GraphQLBody | undefined;
    client.subscribe(
      { query, variables },
      {
        next: (value) => (result = value as GraphQLBody),
        error: (error) => resolve({ error }),
        complete: () => resolve(result ? { result } : {}),
      },
    );
  });
}

/** A logger that keeps its JSON lines in memory, for asserting what gets logged. */
export function memoryLogger(): {
  logger: Logger;
  lines: () => Record<string, unknown>[];
  text: () => string;
} {
  let text = "";
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return {
    logger: createLogger({ level: "debug", destination }),
    text: () => text,
    lines: () =>
      text
        .split("\n")
        .filter((line) => line.length > 0)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

export const RECORD = `mutation ($events: [EventInput!]!) { recordEvents(events: $events) { accepted duplicates rejected { index code } } }`;

export function events(prefix: string, count: number, userId = "alice"): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `${prefix}-${i}`,
    userId,
    type: "PushEvent",
    occurredAt: "2024-03-01T10:00:00Z",
  }));
}

export const WRITE_KEY = "write-key-0123456789abcdef";
export const READ_KEY = "read-key-0123456789abcdef";
export const OTHER_WRITE_KEY = "other-key-0123456789abcdef";
export const KEYS = `ingest:${WRITE_KEY},dashboard:${READ_KEY}:read,other:${OTHER_WRITE_KEY}`;
