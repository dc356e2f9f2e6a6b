import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket, WebSocketServer } from "ws";
import { FlushScheduler } from "../../src/server/websocket/flush-scheduler.js";
import { SLOW_CONSUMER_CLOSE_CODE, SocketOutbox } from "../../src/server/websocket/outbox.js";
import type { PushFrame } from "../../src/server/websocket/push-frames.js";

/** A real ws connection: the server side's outbox, and what the client received, in order. */
interface Pair {
  readonly outbox: SocketOutbox;
  readonly received: string[];
  readonly client: WebSocket;
  readonly closed: Promise<number>;
}

const servers: WebSocketServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    for (const client of server.clients) client.terminate();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function connect(maxBufferedBytes = 1 << 20): Promise<Pair> {
  const server = new WebSocketServer({ port: 0, perMessageDeflate: false });
  servers.push(server);
  await new Promise((resolve) => server.once("listening", resolve));
  const scheduler = new FlushScheduler<SocketOutbox>();
  const accepted = new Promise<SocketOutbox>((resolve) =>
    server.once("connection", (socket, request) =>
      resolve(new SocketOutbox(socket, request.socket, scheduler, { maxBufferedBytes })),
    ),
  );
  const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
  const received: string[] = [];
  client.on("message", (data: Buffer) => received.push(data.toString("utf8")));
  const closed = new Promise<number>((resolve) => client.once("close", resolve));
  await new Promise((resolve) => client.once("open", resolve));
  return { outbox: await accepted, received, client, closed };
}

const push = (id: string, payload: unknown): PushFrame => ({
  head: Buffer.from(`{"id":${JSON.stringify(id)},"type":"next","payload":`),
  body: Buffer.from(JSON.stringify(payload)),
});

const next = (id: string, payload: unknown) => JSON.stringify({ id, type: "next", payload });

async function until(done: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe("SocketOutbox", () => {
  it("keeps protocol messages and pushes in the order they were queued, coalescing only slotted pushes", async () => {
    const { outbox, received } = await connect();
    outbox.send('{"type":"connection_ack"}');
    outbox.push(push("score", { n: 1 }), "score");
    outbox.push(push("events", { e: 1 }), null);
    outbox.push(push("score", { n: 2 }), "score"); // replaces n: 1 in its place
    outbox.send('{"id":"q","type":"complete"}');
    outbox.push(push("events", { e: 2 }), null);
    await until(() => received.length === 5);
    expect(received).toEqual([
      '{"type":"connection_ack"}',
      next("score", { n: 2 }),
      next("events", { e: 1 }),
      '{"id":"q","type":"complete"}',
      next("events", { e: 2 }),
    ]);
  });

  it("writes past the transport's high-water mark over several turns, every frame intact and in order", async () => {
    const { outbox, received } = await connect(64 << 20);
    const blob = "é".repeat(20_000); // 40 KB a push: a few per turn before the transport is full
    const count = 200;
    for (let i = 0; i < count; i++) {
      outbox.push(push("big", { i, blob }), null);
      if (i % 50 === 0) outbox.send(`{"id":"p${i}","type":"pong"}`);
    }
    await until(() => received.length === count + 4);
    const order = received.map((m) => {
      const message = JSON.parse(m) as { id: string; payload?: { i: number; blob: string } };
      if (message.payload) expect(message.payload.blob).toBe(blob);
      return message.payload ? message.payload.i : message.id;
    });
    const expected: (number | string)[] = [];
    for (let i = 0; i < count; i++) {
      expected.push(i);
      if (i % 50 === 0) expected.push(`p${i}`);
    }
    expect(order).toEqual(expected);
  });

  it(`closes a consumer that lets more than its bound wait with ${SLOW_CONSUMER_CLOSE_CODE}`, async () => {
    const { outbox, client, closed } = await connect(256 * 1024);
    client.pause(); // reads nothing: the kernel's buffers fill, then the outbox
    const blob = "x".repeat(10_000);
    for (let i = 0; i < 2000 && outbox.bufferedBytes <= 256 * 1024; i++) {
      outbox.push(push("e", { i, blob }), null);
      await new Promise((resolve) => setImmediate(resolve));
    }
    outbox.push(push("e", { blob }), null);
    client.resume();
    expect(await closed).toBe(SLOW_CONSUMER_CLOSE_CODE);
  });
});
