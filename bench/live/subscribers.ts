/**
 * The subscribing side of bench/live.ts, a process of its own: opens the plan's subscriptions on
 * sockets of `perSocket` each, and records for every push the batch it reflects and when it came.
 * Talks to the driver over the IPC channel: "open" -> {opened}, "finish" (with the batches' send
 * and answer times) -> {report}.
 */
import { LiveSocket } from "../../test/support/live-client.js";
import { quantiles } from "../github-data.js";
import {
  BOARD_QUERY,
  boardFingerprint,
  makePlan,
  RELEASES_QUERY,
  SCORE_QUERY,
  subscriptionKinds,
  type Plan,
  type PlanSettings,
} from "./plan.js";

export interface OpenRequest {
  readonly kind: "open";
  readonly url: string;
  readonly perSocket: number;
  readonly plan: PlanSettings;
}

export interface FinishRequest {
  readonly kind: "finish";
  /** Epoch ms at which each batch was sent and answered. */
  readonly sentAt: readonly number[];
  readonly answeredAt: readonly number[];
  readonly waitMs: number;
}

export interface LatencySummary {
  readonly count: number;
  readonly fromSend: { p50: number; p95: number; p99: number };
  readonly fromAnswer: { p50: number; p95: number; p99: number };
}

export interface SubscriberReport {
  readonly openMs: number;
  readonly sockets: number;
  readonly closedSockets: number;
  readonly closeCodes: Record<string, number>;
  readonly errors: number;
  readonly score: {
    expected: number;
    delivered: number;
    finalRight: number;
    users: number;
    backwards: number;
  };
  /**
   * `complete`: subscriptions that got every release once; `sameOrder`: of those, how many saw them
   * in the order of the first one (the commit order; requests sent 100 ms apart may still commit
   * out of the plan's order when answers are slower than that).
   */
  readonly releases: {
    expected: number;
    delivered: number;
    complete: number;
    sameOrder: number;
    subscriptions: number;
  };
  readonly board: { pushes: number; finalRight: number; subscriptions: number };
  /** Pushes that reflect one commit: scoreChanged and eventRecorded. */
  readonly perCommit: LatencySummary;
  /** leaderboardChanged, coalesced to one push per interval by design. */
  readonly leaderboard: LatencySummary;
  readonly finishedWaitingMs: number;
}

/** Samples: the batch a push reflects and its arrival (epoch ms), in growable typed arrays. */
class Samples {
  private batches = new Int32Array(1 << 16);
  private times = new Float64Array(1 << 16);
  length = 0;

  add(batch: number, at: number): void {
    if (this.length === this.batches.length) {
      const batches = new Int32Array(this.length * 2);
      batches.set(this.batches);
      this.batches = batches;
      const times = new Float64Array(this.length * 2);
      times.set(this.times);
      this.times = times;
    }
    this.batches[this.length] = batch;
    this.times[this.length++] = at;
  }

  summary(sentAt: readonly number[], answeredAt: readonly number[]): LatencySummary {
    const fromSend: number[] = [];
    const fromAnswer: number[] = [];
    for (let i = 0; i < this.length; i++) {
      const batch = this.batches[i]!;
      fromSend.push(this.times[i]! - sentAt[batch]!);
      fromAnswer.push(this.times[i]! - answeredAt[batch]!);
    }
    return { count: this.length, fromSend: quantiles(fromSend), fromAnswer: quantiles(fromAnswer) };
  }
}

const now = (): number => performance.timeOrigin + performance.now();

let plan: Plan;
const sockets: LiveSocket[] = [];
const closeCodes = new Map<number, number>();
const perCommit = new Samples();
const boardSamples = new Samples();
const scoreSeen = new Map<string, number>(); // user -> last events count pushed
let scoreDelivered = 0;
let backwards = 0;
const releaseSeen: string[][] = [];
const boardLast: string[] = [];
let boardPushes = 0;

async function open(request: OpenRequest): Promise<number> {
  plan = makePlan(request.plan);
  const started = performance.now();
  const kinds = subscriptionKinds(plan);
  let nextUser = 0;
  const work: { kind: (typeof kinds)[number]; user: string; index: number }[] = kinds.map((kind, index) => ({
    kind,
    index,
    user: kind === "score" ? plan.users[nextUser++]! : "",
  }));
  const groups: (typeof work)[] = [];
  for (let i = 0; i < work.length; i += request.perSocket) groups.push(work.slice(i, i + request.perSocket));
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < groups.length) {
      const group = groups[next++]!;
      const socket = await LiveSocket.open(request.url);
      sockets.push(socket);
      void socket.closed.then(({ code }) => closeCodes.set(code, (closeCodes.get(code) ?? 0) + 1));
      for (const { kind, user, index } of group) subscribeOne(socket, kind, user, index);
    }
  };
  await Promise.all(Array.from({ length: 50 }, worker));
  return performance.now() - started;
}

function subscribeOne(socket: LiveSocket, kind: string, user: string, index: number): void {
  const id = String(index);
  if (kind === "score") {
    const batches = plan.countBatch.get(user) ?? [];
    const record = socket.subscribe<{ scoreChanged: { events: number } }>(
      id,
      SCORE_QUERY,
      { u: user },
      (data) => {
        const at = now();
        const count = data.scoreChanged.events;
        if (count <= (scoreSeen.get(user) ?? 0)) backwards += 1;
        scoreSeen.set(user, count);
        scoreDelivered += 1;
        const batch = batches[count - 1];
        if (batch !== undefined) perCommit.add(batch, at);
      },
    );
    watchErrors(record);
  } else if (kind === "releases") {
    const seen: string[] = [];
    releaseSeen.push(seen);
    watchErrors(
      socket.subscribe<{ eventRecorded: { id: string } }>(id, RELEASES_QUERY, {}, (data) => {
        const at = now();
        seen.push(data.eventRecorded.id);
        const batch = plan.releaseBatch.get(data.eventRecorded.id);
        if (batch !== undefined) perCommit.add(batch, at);
      }),
    );
  } else {
    const slot = boardLast.length;
    boardLast.push("");
    watchErrors(
      socket.subscribe<{ leaderboardChanged: { rank: number; userId: string; value: number }[] }>(
        id,
        BOARD_QUERY,
        {},
        (data) => {
          const at = now();
          const fingerprint = boardFingerprint(data.leaderboardChanged);
          boardLast[slot] = fingerprint;
          boardPushes += 1;
          const batch = plan.boardBatch.get(fingerprint);
          if (batch !== undefined) boardSamples.add(batch, at);
        },
      ),
    );
  }
}

/** Every subscription's record, for the errors it received. */
const records: { errors: unknown[] }[] = [];

function watchErrors(record: { errors: unknown[] }): void {
  records.push(record);
}

function finalCount(user: string): number {
  return plan.countBatch.get(user)?.length ?? 0;
}

function complete(): boolean {
  if (!plan.users.every((user) => (scoreSeen.get(user) ?? 0) === finalCount(user))) return false;
  if (!releaseSeen.every((seen) => seen.length >= plan.releases)) return false;
  return boardLast.every((fingerprint) => fingerprint === plan.finalBoard);
}

async function finish(request: FinishRequest): Promise<SubscriberReport> {
  const started = performance.now();
  while (!complete() && performance.now() - started < request.waitMs)
    await new Promise((r) => setTimeout(r, 50));
  const finishedWaitingMs = performance.now() - started;
  const releaseIds = [...plan.releaseBatch.keys()].sort().join();
  const whole = releaseSeen.filter(
    (seen) => seen.length === plan.releases && [...seen].sort().join() === releaseIds,
  );
  const order = whole[0]?.join();
  const expectedScore = plan.users.reduce((n, user) => n + new Set(plan.countBatch.get(user) ?? []).size, 0);
  const report: SubscriberReport = {
    openMs: 0,
    sockets: sockets.length,
    closedSockets: [...closeCodes.values()].reduce((a, b) => a + b, 0),
    closeCodes: Object.fromEntries(closeCodes),
    errors: records.reduce((n, record) => n + record.errors.length, 0),
    score: {
      expected: expectedScore,
      delivered: scoreDelivered,
      finalRight: plan.users.filter((user) => (scoreSeen.get(user) ?? 0) === finalCount(user)).length,
      users: plan.users.length,
      backwards,
    },
    releases: {
      expected: plan.releases * releaseSeen.length,
      delivered: releaseSeen.reduce((n, seen) => n + seen.length, 0),
      complete: whole.length,
      sameOrder: whole.filter((seen) => seen.join() === order).length,
      subscriptions: releaseSeen.length,
    },
    board: {
      pushes: boardPushes,
      finalRight: boardLast.filter((fingerprint) => fingerprint === plan.finalBoard).length,
      subscriptions: boardLast.length,
    },
    perCommit: perCommit.summary(request.sentAt, request.answeredAt),
    leaderboard: boardSamples.summary(request.sentAt, request.answeredAt),
    finishedWaitingMs,
  };
  for (const socket of sockets) socket.socket.terminate();
  return report;
}

process.on("message", (message: OpenRequest | FinishRequest) => {
  void (async () => {
    if (message.kind === "open") process.send?.({ kind: "opened", openMs: await open(message) });
    else process.send?.({ kind: "report", report: await finish(message) });
  })().catch((error: unknown) => {
    process.send?.({ kind: "failed", error: String((error as Error).stack ?? error) });
  });
});
