import type { Metrics } from "../../app/metrics.js";
import { sendText } from "../http/responses.js";
import type { Route } from "../http/routes.js";

export const METRICS_PATH = "/metrics";

/** `GET /metrics` in the Prometheus text format. Counts only, no secrets: safe to scrape unauthenticated. */
export function metricsRoute(metrics: Metrics): Route {
  return {
    path: METRICS_PATH,
    access: "public",
    handle: async (request, response) => {
      if (request.method !== "GET") return false;
      sendText(response, 200, await metrics.registry.metrics(), metrics.registry.contentType);
      return true;
    },
  };
}
