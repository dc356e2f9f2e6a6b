import { createConnection } from "node:net";

export const REDIS_URL = process.env["REDIS_URL"] ?? "redis://127.0.0.1:6379";

/**
 * True when Redis answers. Without it the caller skips with one loud line, except under CI,
 * where a missing Redis is a broken machine and must fail the run.
 */
export async function redisAvailable(): Promise<boolean> {
  const { hostname, port } = new URL(REDIS_URL);
  const reachable = await new Promise<boolean>((resolve) => {
    const socket = createConnection({ host: hostname, port: Number(port || 6379) });
    socket.setTimeout(1000);
    socket.once("connect", () => {
      socket.end();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
    socket.once("timeout", () => {
      socket.destroy();
      resolve(false);
    });
  });
  if (reachable) return true;
  if (process.env["CI"] === "true") throw new Error(`Redis is not reachable at ${REDIS_URL}; CI needs it`);
  console.warn(
    `SKIPPED: Redis tests — no Redis at ${REDIS_URL}. Install and start it: apt-get install redis-server && redis-server --daemonize yes`,
  );
  return false;
}
