import { describe, expect, it } from "vitest";
import type { AddressInfo } from "node:net";
import { WebSocket, WebSocketServer } from "ws";
import {
  encodePushes,
  messageLength,
  wireLength,
  type PushFrame,
} from "../../src/server/websocket/push-frames.js";

/**
 * Writes bytes to a real ws connection's TCP socket, as the outbox does, and returns the messages a
 * ws client parsed from them, in order (its own parser: text frames only, no protocol error).
 */
async function receive(bytes: Buffer, count: number): Promise<string[]> {
  const server = new WebSocketServer({ port: 0, perMessageDeflate: false });
  await new Promise((resolve) => server.once("listening", resolve));
  server.on("connection", (_socket, request) => request.socket.write(bytes));
  const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
  const messages: string[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      client.on("message", (data: Buffer, isBinary: boolean) => {
        if (isBinary) reject(new Error("a binary frame"));
        messages.push(data.toString("utf8"));
        if (messages.length === count) resolve();
      });
      client.on("error", reject);
      client.on("close", (code) => reject(new Error(`closed with ${code}`)));
    });
  } finally {
    client.terminate();
    await new Promise((resolve) => server.close(resolve));
  }
  return messages;
}

const push = (id: string, payload: string): PushFrame => ({
  head: Buffer.from(`{"id":${JSON.stringify(id)},"type":"next","payload":`),
  body: Buffer.from(payload),
});

describe("encodePushes", () => {
  it("writes consecutive pushes of every frame length (7-, 16- and 64-bit) that a client parses back", async () => {
    // Messages of about 60 bytes, 300 bytes and 70,000 bytes (past 65,535), with two-byte characters.
    const frames = [1, 120, 35_000].map((n, i) =>
      push(`s${i}`, JSON.stringify({ data: { t: "é".repeat(n) } })),
    );
    const total = frames.reduce((sum, frame) => sum + wireLength(frame), 0);
    const messages = await receive(encodePushes(frames, total), frames.length);
    expect(messages).toEqual(frames.map((f) => `${f.head.toString()}${f.body.toString()}}`));
    expect(messages.map((m) => JSON.parse(m) as unknown)).toEqual(
      [1, 120, 35_000].map((n, i) => ({
        id: `s${i}`,
        type: "next",
        payload: { data: { t: "é".repeat(n) } },
      })),
    );
  });

  it("puts the length boundaries in the right header size", () => {
    for (const [length, header] of [
      [125, 2],
      [126, 4],
      [65_535, 4],
      [65_536, 10],
    ] as const) {
      const head = Buffer.from("{");
      const frame: PushFrame = { head, body: Buffer.alloc(length - 2, 0x20) };
      expect(messageLength(frame)).toBe(length);
      expect(wireLength(frame)).toBe(header + length);
      expect(encodePushes([frame], wireLength(frame)).length).toBe(header + length);
    }
  });

  it("refuses a total that is not the frames' length rather than send a torn frame", () => {
    const frame = push("a", "{}");
    expect(() => encodePushes([frame], wireLength(frame) + 1)).toThrow(/announced/);
  });
});
