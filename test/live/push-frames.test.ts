import { describe, expect, it } from "vitest";
import { Receiver } from "ws";
import {
  encodePushes,
  messageLength,
  wireLength,
  type PushFrame,
} from "../../src/server/websocket/push-frames.js";

/** Parses bytes as a client does, with ws's own frame parser: the messages, in order. */
async function receive(bytes: Buffer): Promise<string[]> {
  const receiver = new Receiver({ isServer: false, maxPayload: 0 });
  const messages: string[] = [];
  receiver.on("message", (data: Buffer, isBinary: boolean) => {
    expect(isBinary).toBe(false);
    messages.push(data.toString("utf8"));
  });
  const errors: Error[] = [];
  receiver.on("error", (error: Error) => errors.push(error));
  await new Promise<void>((resolve) => receiver.write(bytes, () => resolve()));
  expect(errors).toEqual([]);
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
    const messages = await receive(encodePushes(frames, total));
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
