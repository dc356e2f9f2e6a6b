import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LiveSocket, until, type Received } from "../support/live-client.js";
import { productionForTests } from "../support/production.js";
import { redisAvailable, REDIS_URL } from "../support/redis.js";
import { settle, startTestServer, startTwoOverRedis, type TestServer } from "../support/server.js";

const hasRedis = await redisAvailable();
const production = await productionForTests("fanout");
/** Each socket sends its 100 subscribes at once: more than the default message rate allows. */
const OPENING = { EVENTSCORE_WS_MAX_MESSAGES_PER_SECOND: "200" };

const USERS = 2000;
const SCORE = `subscription ($u: String!) { scoreChanged(userId: $u) { userId score events } }`;
const RELEASES = `subscription { eventRecorded(types: ["ReleaseEvent"]) { id userId type } }`;
const BY_USER = `subscription ($u: String) { eventRecorded(userId: $u) { id } }`;
const BOARD = `subscription { leaderboardChanged(window: ALL_TIME, first: 5) { rank userId value } }`;
const RECORD = `mutation ($e: [EventInput!]!) { recordEvents(events: $e) { accepted } }`;
const TYPES = ["PushEvent", "PushEvent", "IssuesEvent", "PullRequestEvent", "WatchEvent", "ReleaseEvent"];

interface Plan {
  readonly batches: { id: string; userId: string; type: string; occurredAt: string }[][];
  /** Per user: their event count after each batch that changed it. */
  readonly counts: Map<string, number[]>;
  readonly releases: string[];
  readonly byUser: Map<string, string[]>;
}

/** 30 batches of 100 events over USERS users, a sixth of them releases; duplicates resent in each batch. */
function plan(run: string): Plan {
  let seed = 7;
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const batches: Plan["batches"] = [];
  const total = new Map<string, number>();
  const counts = new Map<string, number[]>();
  const releases: string[] = [];
  const byUser = new Map<string, string[]>();
  for (let b = 0; b < 30; b++) {
    const batch: Plan["batches"][number] = [];
    const touched = new Set<string>();
    for (let i = 0; i < 100; i++) {
      const userId = `${run}-u${random(USERS)}`;
      const type = TYPES[random(TYPES.length)]!;
      const event = { id: `${run}-${b}-${i}`, userId, type, occurredAt: "2024-06-01T12:00:00Z" };
      batch.push(event);
      total.set(userId, (total.get(userId) ?? 0) + 1);
      touched.add(userId);
      if (type === "ReleaseEvent") releases.push(event.id);
      byUser.set(userId, [...(byUser.get(userId) ?? []), event.id]);
    }
    if (b > 0) batch.push(batches[b - 1]![0]!); // a duplicate: changes nothing, pushes nothing
    for (const userId of touched) counts.set(userId, [...(counts.get(userId) ?? []), total.get(userId)!]);
    batches.push(batch);
  }
  return { batches, counts, releases, byUser };
}

/** Whether `seen` is `all` with some entries left out (latest-wins coalescing), in order. */
function inOrderSubsetOf(seen: readonly number[], all: readonly number[]): boolean {
  let at = 0;
  for (const value of seen) {
    while (at < all.length && all[at] !== value) at++;
    if (at === all.length) return false;
    at++;
  }
  return true;
}

async function openSubscriptions(hosts: TestServer[], run: string) {
  const sockets: LiveSocket[] = [];
  const scores = new Map<
    string,
    Received<{ scoreChanged: { userId: string; score: number; events: number } }>
  >();
  const releases: Received<{ eventRecorded: { id: string } }>[] = [];
  const byUser = new Map<string, Received<{ eventRecorded: { id: string } }>>();
  const boards: Received<{ leaderboardChanged: { userId: string; value: number }[] }>[] = [];
  // 2,000 scoreChanged, 400 eventRecorded(ReleaseEvent), 100 eventRecorded(userId), 50 leaderboardChanged.
  const wanted: { kind: string; user: string }[] = [];
  for (let u = 0; u < USERS; u++) wanted.push({ kind: "score", user: `${run}-u${u}` });
  for (let i = 0; i < 400; i++) wanted.push({ kind: "releases", user: "" });
  for (let u = 0; u < 100; u++) wanted.push({ kind: "byUser", user: `${run}-u${u}` });
  for (let i = 0; i < 50; i++) wanted.push({ kind: "board", user: "" });
  const perHost = hosts.map(() => 0);
  for (let start = 0; start < wanted.length; start += 100) {
    const host = hosts[sockets.length % hosts.length]!;
    perHost[sockets.length % hosts.length]! += Math.min(100, wanted.length - start);
    const socket = await LiveSocket.open(host.wsUrl);
    sockets.push(socket);
    wanted.slice(start, start + 100).forEach(({ kind, user }, i) => {
      const id = `s${start + i}`;
      if (kind === "score") scores.set(user, socket.subscribe(id, SCORE, { u: user }));
      else if (kind === "releases") releases.push(socket.subscribe(id, RELEASES));
      else if (kind === "byUser") byUser.set(user, socket.subscribe(id, BY_USER, { u: user }));
      else boards.push(socket.subscribe(id, BOARD));
    });
  }
  for (const [i, host] of hosts.entries()) {
    await until(
      async () => (await openCount(host)) >= perHost[i]!,
      () => `subscriptions open on ${host.url}`,
    );
  }
  // Counted when graphql-ws accepts them; joined to their watch a moment later.
  await settle(200);
  return { sockets, scores, releases, byUser, boards, total: wanted.length };
}

async function openCount(host: TestServer): Promise<number> {
  const text = await (await fetch(host.url.replace("/graphql", "/metrics"))).text();
  return Number(/^eventscore_subscriptions_open (\d+)/m.exec(text)?.[1] ?? 0);
}

/**
 * `commits`: "requests" when each commit holds whole requests (the embedded store's group commit),
 * so every score pushed is one the plan passes through; "log" when aggregators apply the log in
 * batches of their own, so a push may show a count between two requests' (still never backwards).
 */
async function checkDelivery(
  writer: TestServer,
  hosts: TestServer[],
  run: string,
  commits: "requests" | "log" = "requests",
  whileOpen: () => Promise<void> = async () => undefined,
): Promise<void> {
  const truth = plan(run);
  const opened = await openSubscriptions(hosts, run);
  try {
    await whileOpen();
    for (const batch of truth.batches) {
      const reply = await writer.gql<{ recordEvents: { accepted: number } }>(RECORD, { e: batch });
      expect(reply.data?.recordEvents.accepted).toBe(100);
    }
    const finalCount = (user: string): number => truth.counts.get(user)?.at(-1) ?? 0;
    await until(
      () =>
        [...opened.scores].every(
          ([user, r]) => (r.data.at(-1)?.scoreChanged.events ?? 0) === finalCount(user),
        ) &&
        opened.releases.every((r) => r.data.length === truth.releases.length) &&
        [...opened.byUser].every(([user, r]) => r.data.length === (truth.byUser.get(user)?.length ?? 0)),
      () => "every final value pushed",
      60_000,
    );
    // Scores: in order, never backwards, a subsequence of the changes (latest wins when a socket lags),
    // ending at the final count; and the score is the store's.
    let delivered = 0;
    for (const [user, received] of opened.scores) {
      const seen = received.data.map((d) => d.scoreChanged.events);
      const passes =
        commits === "requests"
          ? inOrderSubsetOf(seen, truth.counts.get(user) ?? [])
          : seen.every((count, i) => i === 0 || count > seen[i - 1]!);
      expect(passes, `${user}: ${seen.join(",")}`).toBe(true);
      delivered += seen.length;
      expect(received.errors).toEqual([]);
    }
    const expectedScorePushes = [...truth.counts.values()].reduce((n, list) => n + list.length, 0);
    expect(delivered).toBeGreaterThan(0);
    if (commits === "requests") expect(delivered).toBeLessThanOrEqual(expectedScorePushes);
    const sample = [...opened.scores.keys()].filter((user) => truth.counts.has(user)).slice(0, 50);
    const query = `{ ${sample.map((u, i) => `u${i}: score(userId: "${u}") { score }`).join(" ")} }`;
    const scores = (await writer.gql<Record<string, { score: number }>>(query)).data!;
    sample.forEach((user, i) =>
      expect(opened.scores.get(user)!.data.at(-1)!.scoreChanged.score).toBe(scores[`u${i}`]!.score),
    );
    // Recorded events: every one, in commit order, none twice (the duplicates pushed nothing).
    // On the log, partitions are applied side by side: order holds per user (one partition each).
    const ownerOf = new Map(truth.batches.flat().map((e) => [e.id, e.userId]));
    const perUser = (ids: readonly string[]) =>
      [...ids].sort((x, y) =>
        ownerOf.get(x)! < ownerOf.get(y)! ? -1 : ownerOf.get(x)! > ownerOf.get(y)! ? 1 : 0,
      );
    for (const received of opened.releases) {
      const ids = received.data.map((d) => d.eventRecorded.id);
      if (commits === "requests") expect(ids).toEqual(truth.releases);
      else expect(perUser(ids)).toEqual(perUser(truth.releases));
    }
    for (const [user, received] of opened.byUser)
      expect(received.data.map((d) => d.eventRecorded.id)).toEqual(truth.byUser.get(user) ?? []);
    // Leaderboards: all subscribers end on the store's final top 5.
    const board = await writer.gql<{
      leaderboard: { nodes: { rank: number; userId: string; value: number }[] };
    }>(`{ leaderboard(window: ALL_TIME, first: 5) { nodes { rank userId value } } }`);
    await until(
      () =>
        opened.boards.every(
          (r) =>
            JSON.stringify(r.data.at(-1)?.leaderboardChanged) ===
            JSON.stringify(board.data!.leaderboard.nodes),
        ),
      () => "final leaderboard pushed",
    );
  } finally {
    for (const socket of opened.sockets) socket.close();
  }
}

describe("live fan-out: 2,550 subscriptions on one instance", { timeout: 180_000 }, () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ EVENTSCORE_LEADERBOARD_INTERVAL_MS: "100", ...OPENING });
  });
  afterAll(() => server?.stop());

  it("gives every subscriber every change it asked for, in order, with the right final value", async () => {
    await checkDelivery(server, [server], `one-${Date.now()}`, "requests", async () => {
      // Held once per distinct watch and execution, however many subscribers share them.
      const text = await (await fetch(server.url.replace("/graphql", "/metrics"))).text();
      const watches = (kind: string) =>
        Number(new RegExp(`^eventscore_live_watches\\{kind="${kind}"\\} (\\d+)`, "m").exec(text)?.[1]);
      expect(watches("scoreChanged")).toBe(USERS);
      expect(watches("eventRecorded")).toBe(101); // the 400 ReleaseEvent filters are one, plus 100 users
      expect(watches("leaderboardChanged")).toBe(1);
      expect(watches("execution")).toBe(USERS + 1 + 100 + 1);
    });
  });
});

describe.skipIf(!hasRedis)("live fan-out across two instances through Redis", { timeout: 180_000 }, () => {
  let a: TestServer;
  let b: TestServer;
  let stop: () => Promise<void>;
  beforeAll(async () => {
    ({ a, b, stop } = await startTwoOverRedis(REDIS_URL, {
      EVENTSCORE_LEADERBOARD_INTERVAL_MS: "100",
      ...OPENING,
    }));
  });
  afterAll(() => stop?.());

  it("serves subscribers on both instances every change written through one of them, each once", async () => {
    await checkDelivery(a, [a, b], `two-${Date.now()}`);
  });
});

describe.skipIf(production === null)(
  "live fan-out on the production path: the aggregator publishes the shard writer's changes",
  { timeout: 300_000 },
  () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer({
        ...production!.env,
        EVENTSCORE_LEADERBOARD_INTERVAL_MS: "100",
        ...OPENING,
      });
    });
    afterAll(async () => {
      await server?.stop();
      await production!.drop();
    });

    it(`gives every subscriber every change it asked for (${production?.source ?? "skipped"})`, async () => {
      await checkDelivery(server, [server], `kafka-${Date.now()}`, "log");
    });
  },
);
