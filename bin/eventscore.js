#!/usr/bin/env node
// The `eventscore` command of a build (`npm run build`; the image's command). It loads the compiled
// server into this very process, with no tsx and no child process, so the signals a supervisor sends
// (docker stop's SIGTERM) reach the server and start its graceful shutdown. From the sources, in
// development, use `npm start` or `npm run cli -- COMMAND` instead.
import { existsSync } from "node:fs";

const entry = new URL("../dist/cli/main.js", import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write(
    "eventscore: no build in dist/: run `npm run build` first " +
      "(or run the sources with `npm start` / `npm run cli -- COMMAND`)\n",
  );
  process.exit(1);
}
await import(entry.href);
