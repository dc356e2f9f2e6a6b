import type { Metrics } from "../../app/metrics.js";
import { sendText, type Route } from "../http/responses.js";

export const METRICS_PATH = "/metrics";

/** `GET /metrics` in the Prometheus text format. Counts only, no secrets: safe to scrape unauthenticated. */
export function metricsRoute(metrics: Metrics): Route {
  return async (request, response, url) => {
    if (url.pathname !== METRICS_PATH || request.method !== "GET") return false;
    sendText(response, 200, await metrics.registry.metrics(), metrics.registry.contentType);
    return true;
  };
}
