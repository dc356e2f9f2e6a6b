import { createHash, randomUUID } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { checkKeyspaceName } from "./keyspace.js";
import { replicationCql, type Client, type Replication } from "./options.js";

export interface CqlMigration {
  readonly version: number;
  readonly name: string;
  /** Statements with the keyspace and replication filled in. */
  readonly statements: readonly string[];
}

export interface MigrationTarget {
  readonly keyspace: string;
  readonly replication: Replication;
}

const LEASE_VERSION = 0;
const LEASE_TTL_SECONDS = 120;
const LEASE_WAIT_MS = 180_000;
const AGREEMENT_WAIT_MS = 60_000;

/**
 * The cql/ folder at the repository root: three levels up from src/store/cassandra/ and from its
 * build, dist/store/cassandra/ (`npm run build`); four from a build that keeps the src/ level.
 */
export function cqlFolder(): string {
  for (const up of ["../../../cql/", "../../../../cql/"]) {
    const path = fileURLToPath(new URL(up, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new Error("cql/ migrations folder not found next to the eventscore sources");
}

/** Reads `NNN_name.cql` files in version order and fills in the keyspace placeholders. */
export function loadMigrations(target: MigrationTarget, folder = cqlFolder()): CqlMigration[] {
  const keyspace = checkKeyspaceName(target.keyspace);
  const replication = replicationCql(target.replication);
  return readdirSync(folder)
    .filter((file) => /^\d+_[\w-]+\.cql$/.test(file))
    .sort()
    .map((file) => {
      const text = readFileSync(`${folder}/${file}`, "utf8")
        .replaceAll("{{keyspace}}", keyspace)
        .replaceAll("{{replication}}", replication);
      return {
        version: Number.parseInt(file, 10),
        name: file.replace(/\.cql$/, ""),
        statements: splitCql(text),
      };
    });
}

/** Splits a CQL script on semicolons that end a line, after dropping whole-line `--` comments. */
export function splitCql(text: string): string[] {
  const code = text
    .split("\n")
    .filter((line) => !line.trim().startsWith("--"))
    .join("\n");
  return code
    .split(/;[ \t]*(?:\n|$)/)
    .map((statement) => statement.trim())
    .filter((statement) => statement.length > 0);
}

/**
 * Applies pending migrations and records them in `schema_migrations`.
 *
 * Safe when several processes start at once: the keyspace and bookkeeping table are created
 * with IF NOT EXISTS (the table with an id derived from its name, so concurrent creations on
 * different coordinators agree instead of forking the schema), then a lease row taken with an
 * LWT lets one process at a time apply the rest. Every step waits for schema agreement.
 */
export async function runMigrations(client: Client, target: MigrationTarget): Promise<number[]> {
  const migrations = loadMigrations(target);
  const ks = target.keyspace;
  const [keyspaceMigration] = migrations;
  if (keyspaceMigration === undefined) throw new Error("no migrations found in cql/");
  for (const statement of keyspaceMigration.statements) await client.execute(statement);
  await client.execute(
    `CREATE TABLE IF NOT EXISTS ${ks}.schema_migrations (
       version int PRIMARY KEY, name text, applied_at timestamp, owner uuid
     ) WITH comment = 'migrate(): applied cql/ versions. Version 0 is the lease that lets one process migrate at a time'
       AND id = ${deterministicTableId(ks, "schema_migrations")}`,
  );
  await waitForSchemaAgreement(client);
  const owner = randomUUID();
  await acquireLease(client, ks, owner);
  try {
    const applied = new Set(
      (await client.execute(`SELECT version FROM ${ks}.schema_migrations`)).rows.map((row) =>
        Number(row["version"]),
      ),
    );
    const done: number[] = [];
    for (const migration of migrations) {
      if (applied.has(migration.version)) continue;
      for (const statement of migration.statements) await client.execute(statement);
      await waitForSchemaAgreement(client);
      await client.execute(
        `INSERT INTO ${ks}.schema_migrations (version, name, applied_at) VALUES (?, ?, toTimestamp(now()))`,
        [migration.version, migration.name],
        { prepare: true, isIdempotent: true },
      );
      done.push(migration.version);
    }
    return done;
  } finally {
    await client.execute(
      `DELETE FROM ${ks}.schema_migrations WHERE version = ? IF owner = ?`,
      [LEASE_VERSION, owner],
      {
        prepare: true,
      },
    );
  }
}

async function acquireLease(client: Client, ks: string, owner: string): Promise<void> {
  const deadline = Date.now() + LEASE_WAIT_MS;
  for (;;) {
    const result = await client.execute(
      `INSERT INTO ${ks}.schema_migrations (version, name, owner) VALUES (?, 'lease', ?) IF NOT EXISTS USING TTL ${LEASE_TTL_SECONDS}`,
      [LEASE_VERSION, owner],
      { prepare: true },
    );
    if (result.wasApplied()) return;
    // A lease of our own means an earlier attempt of this very LWT timed out but was applied.
    if (String(result.first()?.["owner"]) === owner) return;
    if (Date.now() > deadline)
      throw new Error(`migrations: another process holds the lease on ${ks} for too long`);
    await new Promise((resolve) => setTimeout(resolve, 250 + Math.random() * 500));
  }
}

/** Polls every node's schema version until they agree (the driver also waits after each DDL). */
export async function waitForSchemaAgreement(client: Client): Promise<void> {
  const deadline = Date.now() + AGREEMENT_WAIT_MS;
  const { metadata } = client;
  if (!canCheckSchemaAgreement(metadata))
    throw new Error("migrations: this cassandra-driver cannot check schema agreement (driver 4.x needed)");
  while ((await metadata.checkSchemaAgreement()) !== true) {
    if (Date.now() > deadline) throw new Error("migrations: nodes did not reach schema agreement in time");
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** checkSchemaAgreement exists at run time (driver 4.x) but is missing from its typings. */
function canCheckSchemaAgreement(metadata: object): metadata is { checkSchemaAgreement(): Promise<unknown> } {
  return "checkSchemaAgreement" in metadata && typeof metadata.checkSchemaAgreement === "function";
}

/** A name-based UUID (version 3 layout over SHA-256) so every process picks the same table id. */
function deterministicTableId(keyspace: string, table: string): string {
  const bytes = createHash("sha256").update(`eventscore:${keyspace}.${table}`).digest().subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x30;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
