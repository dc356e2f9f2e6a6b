/**
 * The load generator of bench/sqlite-writes.ts, run as its own process (run by http.ts): autocannon
 * with `connections` keep-alive connections for `duration` s, the bodies sent IN ORDER, each at most
 * once (bench/reads/load-generator.ts draws at random, which would resend events). Every answer is
 * read: `ok` counts the 2xx answers of a recordEvent that accepted its event, `failed` the others
 * (GraphQL errors, rejections, duplicates). Reads a JSON job on stdin, prints one JSON result line.
 */
import autocannon from "autocannon";
import { text } from "node:stream/consumers";
import type { WriteJob, WriteResult } from "./http.js";

const job = JSON.parse(await text(process.stdin)) as WriteJob;
let drawn = 0;
let ok = 0;
let failed = 0;

function accepted(status: number, body: string): boolean {
  if (status < 200 || status > 299) return false;
  try {
    const answer = JSON.parse(body) as {
      errors?: unknown;
      data?: { recordEvent?: { accepted?: number; rejected?: unknown[] } } | null;
    };
    const result = answer.data?.recordEvent;
    return answer.errors === undefined && result?.accepted === 1 && result.rejected?.length === 0;
  } catch {
    return false;
  }
}

const latencies: number[] = [];
const result = await new Promise<autocannon.Result>((resolve, reject) => {
  const instance = autocannon(
    {
      url: job.url,
      connections: job.connections,
      duration: job.duration,
      method: "POST",
      headers: { "content-type": "application/json" },
      requests: [
        {
          // Built as a connection sends it: every body is sent once (the last ones may go unanswered).
          setupRequest: (request) => ({ ...request, body: job.bodies[drawn++ % job.bodies.length] }),
          ...(job.check
            ? { onResponse: (status: number, body: string) => (accepted(status, body) ? ok++ : failed++) }
            : {}),
        },
      ],
    },
    (error, done) => (error ? reject(error) : resolve(done)),
  );
  instance.on("response", (_client, _status, _bytes, ms) => latencies.push(ms));
});
latencies.sort((a, b) => a - b);
const quantile = (q: number): number =>
  latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
console.log(
  JSON.stringify({
    rps: result.requests.average,
    total: result.requests.total,
    p50: quantile(0.5),
    p95: quantile(0.95),
    p99: quantile(0.99),
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    drawn,
    ok,
    failed,
  } satisfies WriteResult),
);
