/**
 * The embedded store's writer, in a worker thread (writer.ts starts it): its own connection to the
 * database file runs each append's transaction, so that the statements and the commit's fsync do
 * not hold the server's event loop. Reads stay on the main connection (WAL: readers never wait for
 * the writer, and see each commit once it is acknowledged).
 */
import { parentPort, workerData } from "node:worker_threads";
import type { StoredEvent } from "../port.js";
import { SqliteStore } from "./sqlite-store.js";
import type { WriterData, WriterReply, WriterRequest } from "./writer.js";

const data = workerData as WriterData;
const port = parentPort!;
const store = new SqliteStore(data);
try {
  // Migrations are the main connection's; this prepares the statements on this one.
  await store.migrate();
  port.postMessage({ ready: true } satisfies WriterReply);
} catch (error) {
  port.postMessage({ failed: describe(error) } satisfies WriterReply);
}

port.on("message", (request: WriterRequest) => {
  store.appendWithChanges(request.events as StoredEvent[]).then(
    (result) => port.postMessage({ id: request.id, result } satisfies WriterReply),
    (error: unknown) => port.postMessage({ id: request.id, error: describe(error) } satisfies WriterReply),
  );
});

function describe(error: unknown): { name: string; message: string; code?: string } {
  if (!(error instanceof Error)) return { name: "Error", message: String(error) };
  const code = (error as { code?: unknown }).code;
  return { name: error.name, message: error.message, ...(typeof code === "string" ? { code } : {}) };
}
