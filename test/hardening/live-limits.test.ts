import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SLOW_CONSUMER_CLOSE_CODE } from "../../src/server/websocket/outbox.js";
import { TOO_MANY_SOCKETS_CLOSE_CODE } from "../../src/server/websocket/limits.js";
import { LiveSocket, until } from "../support/live-client.js";
import { settle } from "../support/server.js";
import { startHardenedServer, type HardenedServer } from "./support.js";

const RECORD = `mutation ($e: [EventInput!]!) { recordEvents(events: $e) { accepted } }`;
const EVENTS = `subscription { eventRecorded { id } }`;
const SCORE = `subscription ($u: String!) { scoreChanged(userId: $u) { events } }`;
const KEY = "live-limits-test-key-0123456789";

const event = (id: string, userId = "lim", payload: unknown = null) => ({
  id,
  userId,
  type: "PushEvent",
  occurredAt: "2024-06-01T00:00:00Z",
  payload,
});

function metric(text: string, name: string, labels = ""): number {
  const line = text.split("\n").find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? 0 : Number(line.split(" ")[1]);
}

describe("live-update limits", () => {
  let server: HardenedServer;
  beforeAll(async () => {
    server = await startHardenedServer({
      EVENTSCORE_WS_MAX_SUBSCRIPTIONS_PER_SOCKET: "3",
      EVENTSCORE_MAX_SUBSCRIPTIONS: "5",
      EVENTSCORE_WS_MAX_SOCKETS_PER_CLIENT: "2",
      EVENTSCORE_API_KEYS: `ingest:${KEY}`,
    });
  });
  afterAll(() => server.stop());

  it("refuses a subscription past the socket's limit with TOO_MANY_SUBSCRIPTIONS and keeps serving the others", async () => {
    const socket = await LiveSocket.open(server.wsUrl);
    try {
      const kept = [1, 2, 3].map((n) => socket.subscribe<{ eventRecorded: { id: string } }>(`k${n}`, EVENTS));
      await settle();
      const refused = socket.subscribe("k4", EVENTS);
      await until(
        () => refused.errors.length > 0,
        () => "the fourth subscription refused",
      );
      expect(refused.errors).toEqual([
        expect.objectContaining({
          extensions: { code: "TOO_MANY_SUBSCRIPTIONS", limit: 3, scope: "socket" },
        }),
      ]);
      await server.gql(RECORD, { e: [event("sock-1")] }, { authorization: `Bearer ${KEY}` });
      await until(
        () => kept.every((r) => r.data.length === 1),
        () => "the three kept subscriptions served",
      );
      // Ending one frees its place on the socket.
      socket.complete("k1");
      await settle();
      const again = socket.subscribe("k5", EVENTS);
      await settle();
      expect(again.errors).toEqual([]);
    } finally {
      socket.close();
      await settle();
    }
  });

  it("refuses a subscription past the instance's limit, whichever socket asks", async () => {
    const first = await LiveSocket.open(server.wsUrl);
    const second = await LiveSocket.open(server.wsUrl, { authorization: `Bearer ${KEY}` });
    try {
      [1, 2, 3].forEach((n) => first.subscribe(`a${n}`, SCORE, { u: `user-${n}` }));
      await settle();
      second.subscribe("b1", SCORE, { u: "user-4" });
      second.subscribe("b2", SCORE, { u: "user-5" });
      await settle();
      const refused = second.subscribe("b3", SCORE, { u: "user-6" });
      await until(
        () => refused.errors.length > 0,
        () => "the sixth subscription refused",
      );
      expect(refused.errors).toEqual([
        expect.objectContaining({
          extensions: { code: "TOO_MANY_SUBSCRIPTIONS", limit: 5, scope: "instance" },
        }),
      ]);
    } finally {
      first.close();
      second.close();
      await settle();
    }
  });

  it(`closes a socket past the client's limit with ${TOO_MANY_SOCKETS_CLOSE_CODE}; API keys count apart from addresses`, async () => {
    const anonymous = [await LiveSocket.open(server.wsUrl), await LiveSocket.open(server.wsUrl)];
    const keyed = [
      await LiveSocket.open(server.wsUrl, { authorization: `Bearer ${KEY}` }),
      await LiveSocket.open(server.wsUrl, { "x-api-key": KEY }),
    ];
    try {
      await expect(LiveSocket.open(server.wsUrl)).rejects.toThrow(
        `closed with ${TOO_MANY_SOCKETS_CLOSE_CODE}`,
      );
      await expect(LiveSocket.open(server.wsUrl, { authorization: `Bearer ${KEY}` })).rejects.toThrow(
        `closed with ${TOO_MANY_SOCKETS_CLOSE_CODE}`,
      );
      // The ones already open are still served; a closed one frees its place.
      const served = anonymous[0]!.subscribe<{ eventRecorded: { id: string } }>("e", EVENTS);
      await settle();
      await server.gql(RECORD, { e: [event("sock-2")] }, { authorization: `Bearer ${KEY}` });
      await until(
        () => served.data.length === 1,
        () => "an open socket served",
      );
      anonymous[1]!.close();
      await anonymous[1]!.closed;
      await settle();
      const replacement = await LiveSocket.open(server.wsUrl);
      replacement.close();
      expect((await server.fetch("/health/ready")).status).toBe(200);
    } finally {
      for (const socket of [...anonymous, ...keyed]) socket.close();
      await settle();
    }
  });
});

describe("slow consumers", () => {
  let server: HardenedServer;
  beforeAll(async () => {
    server = await startHardenedServer({ EVENTSCORE_WS_MAX_BUFFERED_BYTES: "65536" });
  });
  afterAll(() => server.stop());

  it("writes pushes of every WebSocket frame length (7-, 16- and 64-bit) intact", async () => {
    const socket = await LiveSocket.open(server.wsUrl);
    const received = socket.subscribe<{ eventRecorded: { id: string; payload: { text: string } } }>(
      "sizes",
      `subscription { eventRecorded(userId: "sizes") { id payload } }`,
    );
    await settle();
    // Two-byte characters: frames of about 90 bytes, 290 bytes and 65,600 bytes (past 65,535).
    const lengths = [1, 100, 32_760];
    await server.gql(RECORD, {
      e: lengths.map((n) => event(`size-${n}`, "sizes", { text: "é".repeat(n) })),
    });
    await until(
      () => received.data.length === lengths.length,
      () => "every size pushed",
    );
    expect(received.data.map((d) => d.eventRecorded.payload.text)).toEqual(lengths.map((n) => "é".repeat(n)));
    socket.close();
  });

  it(`closes a socket that does not read its updates with ${SLOW_CONSUMER_CLOSE_CODE}, and keeps serving the others`, async () => {
    const slow = await LiveSocket.open(server.wsUrl);
    const healthy = await LiveSocket.open(server.wsUrl);
    const slowEvents = slow.subscribe("big", `subscription { eventRecorded { id payload } }`);
    const healthyEvents = healthy.subscribe<{ eventRecorded: { id: string } }>("ids", EVENTS);
    const healthyScore = healthy.subscribe<{ scoreChanged: { events: number } }>("score", SCORE, {
      u: "big",
    });
    await settle();
    // It stops reading: what the server writes piles up in the kernel's buffers, then in its own.
    slow.socket.pause();
    const blob = "x".repeat(60_000);
    let sent = 0;
    for (let batch = 0; batch < 20; batch++) {
      const events = Array.from({ length: 20 }, (_, i) => event(`big-${batch}-${i}`, "big", { blob }));
      await server.gql(RECORD, { e: events });
      sent += events.length;
      const metrics = await server.fetch("/metrics");
      if (metric(metrics.text, "eventscore_live_limit_refusals_total", '{reason="slow_consumer"}') >= 1)
        break;
    }
    const metrics = await server.fetch("/metrics");
    expect(metric(metrics.text, "eventscore_live_limit_refusals_total", '{reason="slow_consumer"}')).toBe(1);
    // Reading again, it gets what was already on its way, then the close frame.
    slow.socket.resume();
    expect((await slow.closed).code).toBe(SLOW_CONSUMER_CLOSE_CODE);
    expect(slowEvents.data.length).toBeLessThan(sent);
    // The other socket got every event and the final score, and the server answers.
    await until(
      () => healthyEvents.data.length === sent,
      () => `healthy socket: ${healthyEvents.data.length} of ${sent}`,
    );
    await until(
      () => healthyScore.data.at(-1)?.scoreChanged.events === sent,
      () => "healthy socket's final score",
    );
    expect((await server.fetch("/health/ready")).status).toBe(200);
    healthy.close();
  });
});
