/**
 * The image's HEALTHCHECK: `node dist/cli/healthcheck.js` exits 0 when this container's server answers
 * GET /health/ready with 200 (store reachable, migrations applied), else 1 with the reason on stdout,
 * which `docker inspect` shows. A standalone file on purpose: it runs every few seconds, and loading the
 * whole `eventscore` command (GraphQL, drivers) each time would cost far more than the check.
 */
const TIMEOUT_MS = 3_000;

/** Where the server listens, seen from inside its container: a wildcard HOST is reached on loopback. */
function readinessUrl(env: NodeJS.ProcessEnv): string {
  const host = env["HOST"] ?? "";
  const target = host === "" || host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
  const literal = target.includes(":") ? `[${target}]` : target;
  return `http://${literal}:${env["PORT"] ?? "4000"}/health/ready`;
}

async function check(url: string): Promise<string | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    return response.ok ? undefined : `${url}: HTTP ${response.status} ${await response.text()}`;
  } catch (error) {
    // fetch says only "fetch failed"; the reason (ECONNREFUSED, a timeout) is its cause.
    const { message, cause } = error as Error & { cause?: { code?: string; message?: string } };
    return `${url}: ${cause?.code ?? cause?.message ?? message}`;
  }
}

const url = readinessUrl(process.env);
const problem = await check(url);
process.stdout.write(problem === undefined ? `${url}: ready\n` : `unhealthy: ${problem}\n`);
process.exit(problem === undefined ? 0 : 1);
