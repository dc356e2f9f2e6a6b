import type { EventReader, StoreLifecycle } from "../../store/port.js";
import { LIVENESS_PATH, sendJson } from "../http/responses.js";
import type { Route } from "../http/routes.js";

export const READINESS_PATH = "/health/ready";

/**
 * /health/live: the process answers. /health/ready: the store answers a ping and a read of the
 * event log, which fails unless its migrations have been applied, within `timeoutMs` (a node
 * that just died can leave a driver waiting far longer than a load balancer should). While the
 * server drains for shutdown, readiness fails before this route is reached (see http/server.ts).
 */
export function healthRoutes(store: StoreLifecycle & EventReader, timeoutMs = 2000): Route[] {
  const isRead = (method: string | undefined): boolean => method === "GET" || method === "HEAD";
  return [
    {
      path: LIVENESS_PATH,
      access: "public",
      handle: (request, response) => {
        if (!isRead(request.method)) return false;
        sendJson(response, 200, { status: "ok" });
        return true;
      },
    },
    {
      path: READINESS_PATH,
      access: "public",
      handle: async (request, response) => {
        if (!isRead(request.method)) return false;
        const problem = await probe(store, timeoutMs);
        if (problem === null) sendJson(response, 200, { status: "ok", store: store.kind });
        else sendJson(response, 503, { status: "unavailable", store: store.kind, reason: problem });
        return true;
      },
    },
  ];
}

async function probe(store: StoreLifecycle & EventReader, timeoutMs: number): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`the store did not answer within ${timeoutMs} ms`), timeoutMs);
  });
  const check = (async (): Promise<string | null> => {
    await store.ping();
    await store.history({
      userId: "health-probe",
      from: new Date(0),
      to: new Date(1),
      types: null,
      limit: 1,
      after: null,
    });
    return null;
  })().catch((error: unknown) => (error instanceof Error ? error.message : String(error)));
  try {
    return await Promise.race([check, late]);
  } finally {
    clearTimeout(timer);
  }
}
