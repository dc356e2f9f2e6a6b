/**
 * The load generator, run as its own process (so that it does not share an event loop with the
 * server it measures): autocannon with `connections` keep-alive connections for `duration` s,
 * each request's body drawn at random from the bodies given. Reads a JSON job on stdin, prints
 * one JSON result line: req/s, latency quantiles (ms), errors.
 */
import autocannon from "autocannon";
import { text } from "node:stream/consumers";

interface Job {
  readonly url: string;
  readonly bodies: readonly string[];
  readonly connections: number;
  readonly duration: number;
  readonly seed: number;
}

const job = JSON.parse(await text(process.stdin)) as Job;
let state = job.seed >>> 0 || 1;
const next = (): number => {
  // xorshift32: the same sequence of bodies for one seed.
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return (state >>> 0) / 4294967296;
};
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
          setupRequest: (request) => ({
            ...request,
            body: job.bodies[Math.floor(next() * job.bodies.length)] ?? job.bodies[0],
          }),
        },
      ],
    },
    (error, done) => (error ? reject(error) : resolve(done)),
  );
  // autocannon's own histogram has no p95: keep every response time (ms) instead.
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
  }),
);
