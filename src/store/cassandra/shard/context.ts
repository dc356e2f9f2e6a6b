import type { Client } from "../options.js";
import type { ShardCql } from "./statements.js";

/** What the log-fed store's reads and shard writers share. */
export interface LogFedContext {
  readonly client: Client;
  readonly keyspace: string;
  readonly sql: ShardCql;
  /** Requests in flight at once for bulk work. */
  readonly concurrency: number;
}
