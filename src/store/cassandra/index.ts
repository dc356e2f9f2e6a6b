export { CassandraLogFedStore, createLogFedStore, type LogFedStoreSettings } from "./log-fed-store.js";
export { loadMigrations, runMigrations, waitForSchemaAgreement, type CqlMigration } from "./migrations.js";
export {
  createClient,
  DEFAULT_KEYSPACE,
  DEV_REPLICATION,
  type CassandraStoreOptions,
  type ConsistencyName,
  type Replication,
} from "./options.js";
