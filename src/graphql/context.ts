import type { ScoringRules } from "../domain/scoring.js";
import type { Ingest } from "../services/ingest.js";
import type { QueryService } from "../services/queries.js";
import type { ReportService } from "../services/reports.js";
import type { SubscriptionService } from "../services/subscriptions.js";
import { createLoaders, type Loaders } from "./loaders.js";

/** Everything resolvers need, built once per process. */
export interface Services {
  readonly ingest: Ingest;
  readonly queries: QueryService;
  readonly subscriptions: SubscriptionService;
  readonly reports: ReportService;
  readonly rules: ScoringRules;
  readonly maxPageSize: number;
}

/** Per request (or per subscription event): DataLoaders must never outlive one request. */
export interface Context {
  readonly services: Services;
  readonly loaders: Loaders;
  /** Aborts when the request's work should stop (deadline passed, client gone); absent in tools. */
  readonly deadline?: { readonly signal: AbortSignal };
}

/** Loaders are made on first use: most live pushes and many requests never load anything. */
export function createContext(services: Services): Context {
  let loaders: Loaders | null = null;
  return {
    services,
    get loaders() {
      return (loaders ??= createLoaders(services.queries));
    },
  };
}
