import { createCassandraStore } from "../store/cassandra/index.js";
import type { EventStore } from "../store/port.js";
import type { CassandraConfig } from "./config.js";

/** Loaded only when EVENTSCORE_STORE=cassandra, so the embedded default never loads the driver. */
export async function openCassandraStore(config: CassandraConfig): Promise<EventStore> {
  return createCassandraStore({
    contactPoints: config.contactPoints,
    localDataCenter: config.localDataCenter,
    keyspace: config.keyspace,
    replicationFactor: config.replicationFactor,
    consistency: config.consistency,
    username: config.username ?? undefined,
    password: config.password ?? undefined,
    migrate: config.migrate,
  });
}
