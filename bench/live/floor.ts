/**
 * The floor of bench/live.ts: a bare `ws` server that sends each subscriber the same messages the
 * API would, with nothing else: no GraphQL, no store, no outbox. It speaks just enough of
 * graphql-transport-ws for the benchmark's subscribers (init, subscribe by the three queries of the
 * plan), takes batches as `POST /graphql` with the benchmark's mutation, keeps tallies in memory
 * and answers once every message of the batch is handed to `ws`. Leaderboards are sent at most once
 * per second, when their top 10 changed, as the API does. `GET /count` says how many
 * subscriptions it holds.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { WebSocketServer, type WebSocket } from "ws";
import { githubDefaultRules, weightOf } from "../../src/domain/scoring.js";
import { boardFingerprint, topOf, type BenchEvent } from "./plan.js";

interface Target {
  readonly socket: WebSocket;
  readonly id: string;
}

const rules = githubDefaultRules();
const scores = new Map<string, Target[]>();
const releases: Target[] = [];
const boards: Target[] = [];
const counts = new Map<string, number>();
const points = new Map<string, number>();
let subscriptions = 0;
let boardDirty = false;
let lastBoard = "";

const send = (target: Target, data: unknown): void => {
  if (target.socket.readyState === target.socket.OPEN)
    target.socket.send(JSON.stringify({ id: target.id, type: "next", payload: { data } }));
};

function record(events: readonly BenchEvent[]): void {
  const touched = new Set<string>();
  for (const event of events) {
    counts.set(event.userId, (counts.get(event.userId) ?? 0) + 1);
    points.set(event.userId, (points.get(event.userId) ?? 0) + weightOf(rules, event.type));
    touched.add(event.userId);
    if (event.type === "ReleaseEvent") for (const target of releases) send(target, { eventRecorded: event });
  }
  for (const userId of touched) {
    const data = { scoreChanged: { score: points.get(userId)!, events: counts.get(userId)! } };
    for (const target of scores.get(userId) ?? []) send(target, data);
  }
  boardDirty = true;
}

setInterval(() => {
  if (!boardDirty) return;
  boardDirty = false;
  const top = topOf(points);
  const fingerprint = boardFingerprint(top);
  if (fingerprint === lastBoard) return;
  lastBoard = fingerprint;
  for (const target of boards) send(target, { leaderboardChanged: top });
}, 1000);

const http = createServer((request: IncomingMessage, response: ServerResponse) => {
  if (request.method === "GET") {
    response.end(request.url === "/count" ? String(subscriptions) : "ok");
    return;
  }
  let body = "";
  request.on("data", (chunk: Buffer) => (body += chunk.toString()));
  request.on("end", () => {
    const events = (JSON.parse(body) as { variables: { e: BenchEvent[] } }).variables.e;
    record(events);
    response.setHeader("content-type", "application/json");
    response.end(JSON.stringify({ data: { recordEvents: { accepted: events.length } } }));
  });
});

const wss = new WebSocketServer({ server: http, path: "/graphql" });
wss.on("connection", (socket) => {
  socket.on("message", (data) => {
    const message = JSON.parse(String(data)) as {
      type: string;
      id?: string;
      payload?: { query: string; variables?: { u?: string } };
    };
    if (message.type === "connection_init") return socket.send(JSON.stringify({ type: "connection_ack" }));
    if (message.type !== "subscribe" || message.id === undefined || !message.payload) return;
    const target = { socket, id: message.id };
    subscriptions += 1;
    const { query, variables } = message.payload;
    if (query.includes("scoreChanged")) {
      const user = variables?.u ?? "";
      scores.set(user, [...(scores.get(user) ?? []), target]);
    } else if (query.includes("eventRecorded")) releases.push(target);
    else boards.push(target);
  });
});

http.listen(Number(process.env["PORT"] ?? 0), "127.0.0.1", () => {
  const address = http.address();
  process.send?.({ kind: "listening", port: typeof address === "object" && address ? address.port : 0 });
});
