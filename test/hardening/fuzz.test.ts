import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { postGraphQL } from "../support/server.js";
import { fuzzCases, type FuzzCase } from "../support/fuzz.js";
import { loadBatch, readLog, USERS } from "./ledger.js";
import { RECORD, startHardenedServer, type HardenedServer } from "./support.js";

const CASES = 3000;
const CONCURRENCY = 16;
const SEED = Number(process.env["EVENTSCORE_FUZZ_SEED"] ?? 20240601);

interface Body {
  data?: { recordEvents?: { accepted: number; rejected: { code: string }[] } } | null;
  errors?: { message?: unknown; extensions?: { code?: unknown } }[];
}

/** Null when the answer is a clear refusal; otherwise what is wrong with it. */
function verdict(fuzz: FuzzCase, status: number, text: string): string | null {
  if (status >= 500) return `status ${status}`;
  if (/stacktrace|\n\s+at \S+ \(/.test(text)) return "a stack trace";
  let body: Body;
  try {
    body = JSON.parse(text) as Body;
  } catch {
    return `a body that is not JSON (status ${status})`;
  }
  const errors = body.errors ?? [];
  const coded =
    errors.length > 0 &&
    errors.every((e) => typeof e.message === "string" && typeof e.extensions?.code === "string");
  if (status >= 400) return coded ? null : `status ${status} without coded errors`;
  if (status !== 200) return `status ${status}`;
  if (coded) {
    return errors.some((e) => e.extensions?.code === "INTERNAL_SERVER_ERROR")
      ? "INTERNAL_SERVER_ERROR"
      : null;
  }
  const recorded = body.data?.recordEvents;
  if (fuzz.allItemsInvalid && recorded) {
    const sent = (JSON.parse(String(fuzz.body)) as { variables: { events: unknown[] } }).variables.events
      .length;
    return recorded.accepted === 0 && recorded.rejected.length === sent ? null : "accepted a poisoned event";
  }
  return "answered without an error";
}

async function snapshot(url: string): Promise<unknown> {
  const log = [...(await readLog(url)).values()].sort((a, b) => (a.id < b.id ? -1 : 1));
  const scores = await postGraphQL(
    url,
    `{ ${USERS.map((u, i) => `u${i}: score(userId: "${u}") { score events breakdown { type count points } } m${i}: score(userId: "${u}", window: MONTH, at: "2024-02-10T00:00:00Z") { score events }`).join(" ")}
       all: leaderboard(first: 100) { nodes { rank userId value } }
       feb: leaderboard(window: MONTH, at: "2024-02-10T00:00:00Z", first: 100) { nodes { rank userId value } }
       pushes: leaderboard(type: "PushEvent", first: 100) { nodes { rank userId value } } }`,
  );
  expect(scores.errors).toBeUndefined();
  return { log, scores: scores.data };
}

describe("fuzz: malformed requests", { timeout: 300_000 }, () => {
  let server: HardenedServer;
  const storedIds: string[] = [];

  beforeAll(async () => {
    server = await startHardenedServer({
      EVENTSCORE_MAX_BODY_BYTES: "65536",
      EVENTSCORE_MAX_PAYLOAD_BYTES: "2048",
    });
    for (let batch = 0; batch < 4; batch++) {
      const events = loadBatch(0, batch, 25);
      const reply = await server.gql(RECORD, { events });
      expect(reply.json?.data).toMatchObject({ recordEvents: { accepted: 25 } });
      storedIds.push(...events.map((e) => e.id));
    }
  });
  afterAll(() => server.stop());

  it(`answers ${CASES} malformed requests with clear errors, stays up and changes nothing (seed ${SEED})`, async () => {
    const before = await snapshot(server.url);
    const cases = fuzzCases(SEED, CASES, { maxBodyBytes: 65_536, maxPayloadBytes: 2048, storedIds });
    const failures: string[] = [];
    const kinds = new Map<string, number>();
    const worker = async (): Promise<void> => {
      for (let next = cases.next(); !next.done; next = cases.next()) {
        const fuzz = next.value;
        kinds.set(fuzz.kind, (kinds.get(fuzz.kind) ?? 0) + 1);
        let problem: string | null;
        try {
          const response = await fetch(`${server.base}${fuzz.path}`, {
            method: fuzz.method,
            headers: fuzz.headers,
            ...(fuzz.body === undefined ? {} : { body: fuzz.body }),
          });
          problem = verdict(fuzz, response.status, await response.text());
        } catch (error) {
          problem = `no answer: ${String(error)}`;
        }
        if (problem !== null && failures.length < 20) {
          const body = typeof fuzz.body === "string" ? fuzz.body.slice(0, 300) : "(bytes)";
          failures.push(`${fuzz.kind}: ${problem}\n  ${fuzz.method} ${fuzz.path.slice(0, 200)} ${body}`);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    expect(failures, failures.join("\n")).toEqual([]);
    // Every kind of malformation was tried.
    expect(kinds.size).toBe(12);

    // Still up and serving, and nothing stored changed.
    expect((await server.fetch("/health/ready")).status).toBe(200);
    expect(await snapshot(server.url)).toEqual(before);
  });

  it("survives malformed graphql-ws traffic: each bad connection is closed with a 44xx code", async () => {
    const frames: (string | Buffer)[] = [
      "not json",
      "{}",
      JSON.stringify({
        type: "subscribe",
        id: "1",
        payload: { query: "{ scoringRules { defaultWeight } }" },
      }), // before init
      JSON.stringify({ type: "connection_init", payload: "x" }),
      Buffer.from([0xff, 0xfe, 0x00]),
      JSON.stringify({ type: "\u0000" }),
    ];
    for (const frame of frames) {
      const code = await new Promise<number>((resolve) => {
        const socket = new WebSocket(server.wsUrl, "graphql-transport-ws");
        socket.on("open", () => socket.send(frame));
        socket.on("close", (closeCode) => resolve(closeCode));
        socket.on("error", () => undefined);
      });
      expect(code, JSON.stringify(String(frame))).toBeGreaterThanOrEqual(4400);
      expect(code).toBeLessThan(4500);
    }
    expect((await server.gql(`{ scoringRules { defaultWeight } }`)).status).toBe(200);
  });
});
