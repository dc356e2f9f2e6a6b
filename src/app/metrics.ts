import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { IngestResult } from "../services/ingest.js";

/**
 * The Prometheus metrics of one instance. Each instance has its own registry (tests run several
 * servers in one process; a shared default registry would mix their counts).
 */
export class Metrics {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: "eventscore_http_requests_total",
    help: "HTTP requests answered, by route, method and status",
    labelNames: ["route", "method", "status"] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: "eventscore_http_request_duration_seconds",
    help: "Time from request to the end of the response, by route",
    labelNames: ["route", "method"] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  readonly graphqlErrors = new Counter({
    name: "eventscore_graphql_errors_total",
    help: "GraphQL errors sent to clients, by extensions.code and transport",
    labelNames: ["code", "transport"] as const,
    registers: [this.registry],
  });

  readonly ingestedEvents = new Counter({
    name: "eventscore_ingested_events_total",
    help: "Events received for recording, by outcome (accepted, duplicate, rejected, failed: the write failed)",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });

  readonly aggregatedEvents = new Counter({
    name: "eventscore_aggregated_records_total",
    help: "Log records applied by this process's aggregator (replays included)",
    registers: [this.registry],
  });

  readonly batchSize = new Histogram({
    name: "eventscore_ingest_batch_size",
    help: "Events per recording request (GraphQL mutation, webhook delivery, import batch)",
    buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
    registers: [this.registry],
  });

  readonly storeLatency = new Histogram({
    name: "eventscore_store_operation_duration_seconds",
    help: "Store port calls, by operation and outcome (ok, error)",
    labelNames: ["operation", "outcome"] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly subscriptionsOpen = new Gauge({
    name: "eventscore_subscriptions_open",
    help: "GraphQL subscriptions currently open over WebSocket",
    registers: [this.registry],
  });

  readonly websocketLimitCloses = new Counter({
    name: "eventscore_live_limit_refusals_total",
    help: "Sockets closed and subscriptions refused by the live-update limits, by reason",
    labelNames: ["reason"] as const,
    registers: [this.registry],
  });

  /** What the live fan-out holds, read when scraped (set by the WebSocket server). */
  liveSizes: (() => { events: number; scores: number; leaderboards: number; executions: number }) | null =
    null;

  readonly liveWatches = new Gauge({
    name: "eventscore_live_watches",
    help: "Distinct live watches held (subscribers sharing one count once), by kind; kind execution: distinct subscription executions",
    labelNames: ["kind"] as const,
    registers: [this.registry],
    collect: () => {
      const sizes = this.liveSizes?.();
      if (!sizes) return;
      this.liveWatches.set({ kind: "eventRecorded" }, sizes.events);
      this.liveWatches.set({ kind: "scoreChanged" }, sizes.scores);
      this.liveWatches.set({ kind: "leaderboardChanged" }, sizes.leaderboards);
      this.liveWatches.set({ kind: "execution" }, sizes.executions);
    },
  });

  readonly livePushes = new Counter({
    name: "eventscore_live_pushes_total",
    help: "Live pushes queued for subscribers (before latest-wins coalescing in slow sockets' outboxes)",
    registers: [this.registry],
  });

  readonly websocketsOpen = new Gauge({
    name: "eventscore_websocket_connections_open",
    help: "graphql-ws connections currently open",
    registers: [this.registry],
  });

  readonly requestsInFlight = new Gauge({
    name: "eventscore_http_requests_in_flight",
    help: "HTTP requests being handled now",
    registers: [this.registry],
  });

  constructor(options: { readonly processMetrics?: boolean } = {}) {
    if (options.processMetrics ?? true)
      collectDefaultMetrics({ register: this.registry, prefix: "eventscore_" });
  }

  private readonly httpChildren = new Map<
    string,
    { readonly count: { inc(): void }; readonly duration: { observe(value: number): void } }
  >();

  /**
   * One answered HTTP request. The labelled children are kept per label set: looking labels up
   * by object on every request costs more than the counting itself.
   */
  observeHttp(route: string, method: string, status: number, seconds: number): void {
    const key = `${route} ${method} ${status}`;
    let children = this.httpChildren.get(key);
    if (children === undefined) {
      children = {
        count: this.httpRequests.labels(route, method, String(status)),
        duration: this.httpDuration.labels(route, method),
      };
      this.httpChildren.set(key, children);
    }
    children.count.inc();
    children.duration.observe(seconds);
  }

  recordIngest(requested: number, result: IngestResult): void {
    this.batchSize.observe(requested);
    this.ingestedEvents.inc({ outcome: "accepted" }, result.accepted);
    this.ingestedEvents.inc({ outcome: "duplicate" }, result.duplicates);
    this.ingestedEvents.inc({ outcome: "rejected" }, result.rejected.length);
  }
}
