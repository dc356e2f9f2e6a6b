import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { describeStoreContract } from "./store-contract.js";

describeStoreContract("sqlite (file, WAL)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "eventscore-contract-"));
  const store = new SqliteStore({ path: join(dir, "events.db") });
  await store.migrate();
  return {
    store,
    dispose: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describeStoreContract("sqlite (:memory:)", async () => {
  const store = new SqliteStore({ path: ":memory:" });
  await store.migrate();
  return { store, dispose: () => store.close() };
});
