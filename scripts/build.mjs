#!/usr/bin/env node
// `npm run build`: what production runs, in dist/. The server compiled by tsc (dist/cli/main.js, started
// by bin/eventscore.js) and the GraphiQL bundle (dist/graphiql/). dist/ is emptied first so that no file
// of a deleted or renamed source survives into an image.
import { spawnSync } from "node:child_process";
import { rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { buildGraphiql } from "./build-graphiql.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const started = performance.now();
await rm(join(root, "dist"), { recursive: true, force: true });

const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
const compiled = spawnSync(process.execPath, [tsc, "-p", join(root, "tsconfig.build.json")], {
  cwd: root,
  stdio: "inherit",
});
if (compiled.status !== 0) process.exit(compiled.status ?? 1);

const { files } = await buildGraphiql();
const kib = files.reduce((sum, file) => sum + file.bytes, 0) / 1024;
console.log(
  `built dist/ in ${Math.round(performance.now() - started)} ms (GraphiQL bundle: ${kib.toFixed(0)} KiB)`,
);
