import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cassandraForTests } from "../support/cassandra.js";
import { startChildServer, waitForExit, type ChildServer } from "../support/child-server.js";
import { postGraphQL } from "../support/server.js";
import { expectAggregatesMatch, loadBatch, readLog, type LoadEvent } from "./ledger.js";
import { createSecondNode, secondNodeSupport, type SecondNode } from "./second-cassandra.js";
import { RECORD } from "./support.js";

const ROOT = join(import.meta.dirname, "../..");
const WORKERS = 4;
const BATCH = 20;

// The shared node is resolved first: that also fetches the jars the second node runs from.
const shared = await cassandraForTests();
const unsupported = shared === null ? "no Cassandra for tests" : await secondNodeSupport();
if (unsupported !== null && process.env["CI"] === "true") {
  throw new Error(`the Cassandra outage test needs a node of its own: ${unsupported}`);
}

interface Reply {
  data?: { recordEvents: { accepted: number; duplicates: number; rejected: unknown[] } } | null;
  errors?: { extensions?: { code?: string } }[];
}

describe.skipIf(unsupported !== null)("Cassandra outage mid-load", { timeout: 900_000 }, () => {
  let node: SecondNode;
  let api: ChildServer | null = null;
  const env = (contactPoint: string) => ({
    EVENTSCORE_STORE: "cassandra",
    CASSANDRA_CONTACT_POINTS: contactPoint,
    CASSANDRA_KEYSPACE: "eventscore_outage",
    EVENTSCORE_REQUEST_TIMEOUT_MS: "30000",
  });

  beforeAll(async () => {
    node = await createSecondNode();
    await node.start();
  }, 600_000);

  afterAll(async () => {
    if (api && api.process.exitCode === null) api.process.kill("SIGKILL");
    await node?.destroy();
  }, 600_000);

  it("answers STORE_UNAVAILABLE and 503 readiness while the node is down, recovers by itself, loses no acknowledged event", async () => {
    api = await startChildServer(env(node.contactPoint));
    const server = api;
    const base = server.url.replace(/\/graphql$/, "");
    const sent = new Map<string, LoadEvent[]>();
    const acknowledged = new Set<string>();
    const codes = new Map<string, number>();
    const problems: string[] = [];
    let stop = false;

    const writer = async (worker: number): Promise<void> => {
      // Like a real client, a batch that failed is sent again until it is acknowledged.
      for (let batch = 0; !stop;) {
        const events = loadBatch(worker, batch, BATCH);
        sent.set(`${worker}/${batch}`, events);
        try {
          const response = await fetch(server.url, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ query: RECORD, variables: { events } }),
          });
          if (response.status >= 500) problems.push(`status ${response.status}`);
          const reply = (await response.json()) as Reply;
          if (reply.data?.recordEvents) {
            expect(reply.data.recordEvents.rejected).toEqual([]);
            events.forEach((e) => acknowledged.add(e.id));
            batch += 1;
            continue;
          }
          for (const error of reply.errors ?? []) {
            const code = error.extensions?.code ?? "NONE";
            codes.set(code, (codes.get(code) ?? 0) + 1);
          }
        } catch (error) {
          problems.push(`no answer: ${String(error)}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100)); // a failing client backs off
      }
    };
    const waitUntil = async (what: string, condition: () => Promise<boolean> | boolean, ms: number) => {
      const deadline = Date.now() + ms;
      while (!(await condition())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${await node.logTail()}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    };
    const readiness = async () => (await fetch(`${base}/health/ready`)).status;

    const writers = Array.from({ length: WORKERS }, (_, worker) => writer(worker));
    await waitUntil("load before the outage", () => acknowledged.size >= 400, 120_000);

    await node.stop();
    const beforeOutage = acknowledged.size;
    await waitUntil("readiness to fail", async () => (await readiness()) === 503, 60_000);
    await waitUntil(
      "writes to fail with STORE_UNAVAILABLE",
      () => (codes.get("STORE_UNAVAILABLE") ?? 0) >= 5,
      60_000,
    );
    const query = await postGraphQL(server.url, `{ score(userId: "ana") { score } }`);
    expect(query.errors?.[0]?.extensions?.["code"]).toBe("STORE_UNAVAILABLE");
    expect(query.errors?.[0]?.message).not.toMatch(/127\.0\.0\.1|NoHost|cassandra/i);

    await node.start();
    // Nobody restarts the API: the driver reconnects by itself.
    await waitUntil("readiness to recover", async () => (await readiness()) === 200, 300_000);
    await waitUntil("writes to succeed again", () => acknowledged.size >= beforeOutage + 200, 120_000);
    stop = true;
    await Promise.all(writers);

    expect(problems).toEqual([]);
    // During the outage, clients saw retryable store errors, never internal ones.
    const unexpected = [...codes.keys()].filter((code) => code !== "STORE_UNAVAILABLE" && code !== "TIMEOUT");
    const internal = server
      .output()
      .split("\n")
      .filter((line) => line.includes('"internal error"'))
      .slice(0, 3);
    expect(unexpected, internal.join("\n")).toEqual([]);

    // Every acknowledged event is stored; nothing that was never sent appeared.
    const sentIds = new Set([...sent.values()].flat().map((e) => e.id));
    const log = await readLog(server.url);
    for (const id of acknowledged) expect(log.has(id), `acknowledged ${id} lost`).toBe(true);
    for (const id of log.keys()) expect(sentIds.has(id), `${id} was never sent`).toBe(true);

    // Clients retry what was left unacknowledged when they stopped; an event cut off mid-write is completed in the log and its
    // counts are repaired by `eventscore rebuild` (docs/cassandra.md), after which every count
    // agrees with the log exactly.
    for (const events of sent.values()) {
      if (events.every((e) => acknowledged.has(e.id))) continue;
      const reply = await postGraphQL<Reply["data"]>(server.url, RECORD, { events });
      expect(reply.errors).toBeUndefined();
    }
    const rebuilt = await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", "src/cli/main.ts", "rebuild"],
      {
        cwd: ROOT,
        env: { ...process.env, ...env(node.contactPoint), EVENTSCORE_LOG_LEVEL: "warn" },
        timeout: 300_000,
      },
    );
    expect(rebuilt.stdout).toMatch(/rebuilt aggregates from \d+ events \(cassandra\)/);
    await new Promise((resolve) => setTimeout(resolve, 1500)); // the API follows a rebuilt generation within 1 s
    const after = await readLog(server.url);
    expect(new Set(after.keys())).toEqual(sentIds);
    await expectAggregatesMatch(server.url, after);

    server.process.kill("SIGTERM");
    expect(await waitForExit(server.process)).toBe(0);
  });
});
