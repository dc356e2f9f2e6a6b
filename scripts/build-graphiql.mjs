#!/usr/bin/env node
// Bundles the GraphiQL page (GraphiQL 4 + React 18 + the graphql-ws client) into dist/graphiql/ with
// esbuild, from node_modules only: the page must work on machines and networks with no CDN access.
//   node scripts/build-graphiql.mjs              build
//   node scripts/build-graphiql.mjs --if-stale   build only when missing or older than any input
// The server's GraphiQL route calls ensureGraphiqlBuilt() too, so a fresh checkout works without a step.
import { mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const DEFAULT_OUT_DIR = join(root, "dist", "graphiql");
const ENTRY = join(root, "src", "server", "routes", "graphiql", "main.js");
// Every file esbuild read, so staleness covers our entry and CSS as well as an upgraded node_modules.
const INPUTS = "inputs.json";

/**
 * Builds graphiql.js and graphiql.css into outDir. Each file is written to a temporary name and renamed,
 * so a server reading the directory while a build runs sees either the old file or the new one.
 * @param {{ outDir?: string, logLevel?: "silent" | "error" | "warning" | "info" }} [options]
 * @returns {Promise<{ outDir: string, files: { name: string, bytes: number }[], ms: number }>}
 */
export async function buildGraphiql({ outDir = DEFAULT_OUT_DIR, logLevel = "warning" } = {}) {
  // Imported here so that a server without dev dependencies can still load this module and report why
  // it cannot build.
  const { build } = await import("esbuild");
  const started = performance.now();
  const result = await build({
    entryPoints: { graphiql: ENTRY },
    outdir: outDir,
    bundle: true,
    minify: true,
    format: "iife",
    platform: "browser",
    target: ["es2020"],
    // React picks its production build from this.
    define: { "process.env.NODE_ENV": '"production"' },
    // The fonts are data: URLs inside GraphiQL's CSS; anything else referenced from CSS is copied.
    loader: { ".woff": "file", ".woff2": "file", ".ttf": "file", ".svg": "file", ".png": "file" },
    assetNames: "[name]-[hash]",
    legalComments: "eof",
    charset: "utf8",
    write: false,
    metafile: true,
    logLevel,
  });
  await mkdir(outDir, { recursive: true });
  const files = [];
  for (const file of result.outputFiles) {
    const temporary = `${file.path}.${process.pid}.tmp`;
    await writeFile(temporary, file.contents);
    await rename(temporary, file.path);
    files.push({ name: basename(file.path), bytes: file.contents.byteLength });
  }
  // Written last: its presence says the bundle is complete.
  const inputs = Object.keys(result.metafile.inputs).map((input) => relative(root, resolve(root, input)));
  await writeFile(join(outDir, INPUTS), `${JSON.stringify(inputs)}\n`);
  return { outDir, files, ms: Math.round(performance.now() - started) };
}

/**
 * True when outDir holds a complete bundle that no input has changed since. About a thousand stat calls
 * (a few ms): cheap enough for every `npm start` and test run.
 * @param {string} [outDir]
 */
export async function isGraphiqlBundleFresh(outDir = DEFAULT_OUT_DIR) {
  try {
    const built = (await stat(join(outDir, "graphiql.js"))).mtimeMs;
    const inputs = JSON.parse(await readFile(join(outDir, INPUTS), "utf8"));
    for (const input of inputs) {
      if ((await stat(resolve(root, input))).mtimeMs > built) return false;
    }
    return true;
  } catch {
    return false; // missing bundle, or an input that moved away
  }
}

/**
 * Builds when the bundle is missing or stale.
 * @param {{ outDir?: string, logLevel?: "silent" | "error" | "warning" | "info" }} [options]
 * @returns {Promise<{ built: boolean }>}
 */
export async function ensureGraphiqlBuilt(options = {}) {
  if (await isGraphiqlBundleFresh(options.outDir)) return { built: false };
  await buildGraphiql(options);
  return { built: true };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  if (process.argv.includes("--if-stale") && (await isGraphiqlBundleFresh())) {
    console.log(`GraphiQL bundle in ${DEFAULT_OUT_DIR} is up to date`);
    process.exit(0);
  }
  const { outDir, files, ms } = await buildGraphiql();
  for (const { name, bytes } of files) console.log(`${join(outDir, name)}  ${(bytes / 1024).toFixed(0)} KiB`);
  console.log(`GraphiQL bundle built in ${ms} ms`);
}
