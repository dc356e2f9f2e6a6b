import type { EventReader, StoreLifecycle } from "../../store/port.js";
import { LIVENESS_PATH, sendJson, type Route } from "../http/responses.js";

export const READINESS_PATH = "/health/ready";

/**
 * /health/live: the process answers. /health/ready: the store answers a ping and a read of the
 * event log, which fails unless its migrations have been applied, within `timeoutMs` (a node
 * that just died can leave a driver waiting far longer than a load balancer should). While the
 * server drains for shutdown, readiness fails before this route is reached (see http-server).
 */
export function healthRoute(store: StoreLifecycle & EventReader, timeoutMs = 2000): Route {
  return async (request, response, url) => {
    if (request.method !== "GET" && request.method !== "HEAD") return false;
    if (url.pathname === LIVENESS_PATH) {
      sendJson(response, 200, { status: "ok" });
      return true;
    }
    if (url.pathname === READINESS_PATH) {
      const problem = await probe(store, timeoutMs);
      if (problem === null) sendJson(response, 200, { status: "ok", store: store.kind });
      else sendJson(response, 503, { status: "unavailable", store: store.kind, reason: problem });
      return true;
    }
    return false;
  };
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
