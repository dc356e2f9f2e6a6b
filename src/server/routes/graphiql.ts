import { createHash, randomBytes } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { dirname, extname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { gzip } from "node:zlib";
import { renderPage } from "./graphiql/page.js";
import type { Route } from "../http/routes.js";

// Same depth from src/server/routes/ (tsx) and dist/server/routes/ (tsc output), so the project root resolves alike.
const HERE = fileURLToPath(import.meta.url);
const ROOT = resolve(dirname(HERE), "..", "..", "..");
/**
 * True when this module runs as `npm run build` output (dist/server/routes/graphiql.js) rather than through
 * tsx. The bundle is then part of that build: the server only reads it, so it runs from a read-only
 * folder (the image) and needs neither esbuild nor the GraphiQL sources.
 */
const COMPILED = extname(HERE) === ".js";
const DEFAULT_BUILD: BuildBundle | false = COMPILED ? false : buildIfStale;
export const GRAPHIQL_BUNDLE_DIR = join(ROOT, "dist", "graphiql");
const BUILD_SCRIPT = join(ROOT, "scripts", "build-graphiql.mjs");
export const GRAPHIQL_ASSET_PREFIX = "/graphiql/assets/";

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".woff2": "font/woff2",
  ".woff": "font/woff",
  ".ttf": "font/ttf",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

interface Asset {
  readonly body: Buffer;
  readonly gzipped: Buffer;
  readonly contentType: string;
  /** Content hash: the ETag and the ?v= of the page's links. */
  readonly hash: string;
}
export type GraphiqlBundle = ReadonlyMap<string, Asset>;
export type BuildBundle = (bundleDir: string) => Promise<void>;

export interface GraphiqlOptions {
  /** The GraphQL path; the page is served there to browsers. */
  readonly endpoint: string;
  readonly title?: string;
  /** Default: dist/graphiql in the project. */
  readonly bundleDir?: string;
  /**
   * Builds a missing or stale bundle into bundleDir, or `false`: serve what is there, never build.
   * Default: scripts/build-graphiql.mjs from the sources, `false` when compiled (see COMPILED).
   */
  readonly build?: BuildBundle | false;
}

/**
 * GraphiQL at the GraphQL path for browsers, and its bundle under /graphiql/assets/: two routes, both
 * public (the page holds no data; its queries go through GraphQL's own key rules). Everything else,
 * including GET /graphql asking for JSON, falls through to GraphQL.
 *
 * From the sources, the bundle is built on first use when missing or stale (a fresh checkout needs no
 * extra step); the compiled server serves the one `npm run build` made. If it is missing and cannot be
 * built, the page answers 503 saying how to build it, and the next request tries again. Once loaded,
 * the bundle is kept in memory for the life of the server.
 */
export function graphiqlRoutes(options: GraphiqlOptions): Route[] {
  const bundleDir = options.bundleDir ?? GRAPHIQL_BUNDLE_DIR;
  const title = options.title ?? "eventscore GraphiQL";
  const build = options.build ?? DEFAULT_BUILD;
  let bundle: Promise<GraphiqlBundle> | undefined;
  const loadOnce = (): Promise<GraphiqlBundle> => {
    bundle ??= ensureGraphiqlBundle(bundleDir, build).catch((error: unknown) => {
      bundle = undefined;
      throw error;
    });
    return bundle;
  };

  const handle: Route["handle"] = async (request, response, url) => {
    if (request.method !== "GET" && request.method !== "HEAD") return false;
    const isPage = url.pathname === options.endpoint && prefersHtml(request.headers.accept);
    const isAsset = url.pathname.startsWith(GRAPHIQL_ASSET_PREFIX);
    if (!isPage && !isAsset) return false;

    let assets: GraphiqlBundle;
    try {
      assets = await loadOnce();
    } catch (error) {
      const why =
        build === false
          ? `its bundle is missing from ${bundleDir}, which \`npm run build\` fills. Run it and retry`
          : `its bundle is missing from ${bundleDir} and could not be built ` +
            `(${(error as Error).message}). Run \`npm run build:graphiql\` and retry`;
      sendText(response, 503, `GraphiQL is unavailable: ${why}.\n`);
      return true;
    }

    if (isPage) {
      sendPage(request, response, assets, options.endpoint, title);
      return true;
    }
    // Only names present in the bundle are served: no path from the URL reaches the file system.
    const asset = assets.get(url.pathname.slice(GRAPHIQL_ASSET_PREFIX.length));
    if (asset === undefined) sendText(response, 404, `no GraphiQL asset ${url.pathname}\n`);
    else sendAsset(request, response, asset, url.searchParams.get("v") === asset.hash);
    return true;
  };
  return [
    { path: options.endpoint, access: "public", handle },
    { path: GRAPHIQL_ASSET_PREFIX, access: "public", handle },
  ];
}

/**
 * Brings the bundle up to date when it can (see the build script's ensureGraphiqlBuilt), then loads it.
 * A stale bundle that cannot be rebuilt (no esbuild in a production install) is still served; a missing
 * one rethrows the build's error.
 */
export async function ensureGraphiqlBundle(
  bundleDir: string = GRAPHIQL_BUNDLE_DIR,
  build: BuildBundle | false = DEFAULT_BUILD,
): Promise<GraphiqlBundle> {
  let buildError: unknown;
  try {
    if (build !== false) await build(bundleDir);
  } catch (error) {
    buildError = error;
  }
  try {
    return await loadBundle(bundleDir);
  } catch (error) {
    throw buildError ?? error;
  }
}

async function loadBundle(bundleDir: string): Promise<GraphiqlBundle> {
  const names = await readdir(bundleDir);
  if (!names.includes("graphiql.js") || !names.includes("graphiql.css")) {
    throw new Error(`no GraphiQL bundle in ${bundleDir}`);
  }
  const assets = new Map<string, Asset>();
  for (const name of names) {
    const contentType = CONTENT_TYPES[extname(name)];
    if (contentType === undefined) continue; // e.g. a build's temporary file
    const body = await readFile(join(bundleDir, name));
    // Compressed once here: the script is ~1.3 MB and gzips to a third of that.
    const gzipped = await promisify(gzip)(body, { level: 9 });
    const hash = createHash("sha256").update(body).digest("base64url").slice(0, 16);
    assets.set(name, { body, gzipped, contentType, hash });
  }
  return assets;
}

async function buildIfStale(bundleDir: string): Promise<void> {
  // A .mjs script rather than a TS module, so that `npm run build:graphiql` needs only node; its
  // export is typed here.
  const script = (await import(pathToFileURL(BUILD_SCRIPT).href)) as {
    ensureGraphiqlBuilt(options: { outDir: string; logLevel: "error" }): Promise<unknown>;
  };
  await script.ensureGraphiqlBuilt({ outDir: bundleDir, logLevel: "error" });
}

function sendPage(
  request: IncomingMessage,
  response: ServerResponse,
  assets: GraphiqlBundle,
  endpoint: string,
  title: string,
): void {
  const link = (name: string): string => `${GRAPHIQL_ASSET_PREFIX}${name}?v=${assets.get(name)?.hash ?? ""}`;
  const styleNonce = randomBytes(16).toString("base64");
  const html = renderPage({
    title,
    endpoint,
    scriptUrl: link("graphiql.js"),
    styleUrl: link("graphiql.css"),
    styleNonce,
  });
  response.writeHead(200, {
    "content-type": "text/html; charset=utf-8",
    "content-length": Buffer.byteLength(html),
    "content-security-policy": contentSecurityPolicy(request.headers.host, styleNonce),
    // The same URL answers JSON to GraphQL clients.
    vary: "Accept",
    "cache-control": "no-cache",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
  });
  response.end(html);
}

/**
 * Same origin only, no inline script or eval; inline styles only with this response's nonce. GraphiQL's
 * fonts and icons are data: URLs inside its CSS. WebSocket URLs are listed explicitly because CSP
 * 'self' covers ws: only in newer browsers.
 */
function contentSecurityPolicy(host: string | undefined, styleNonce: string): string {
  const sockets = host !== undefined && /^[\w.-]+(:\d+)?$|^\[[\d a-f:.]+\](:\d+)?$/i.test(host);
  return [
    "default-src 'none'",
    "script-src 'self'",
    `style-src 'self' 'nonce-${styleNonce}'`,
    "img-src 'self' data:",
    "font-src 'self' data:",
    `connect-src 'self'${sockets ? ` ws://${host} wss://${host}` : ""}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}

function sendAsset(
  request: IncomingMessage,
  response: ServerResponse,
  asset: Asset,
  versioned: boolean,
): void {
  const etag = `"${asset.hash}"`;
  const useGzip = acceptsGzip(request.headers["accept-encoding"]);
  const headers: Record<string, string | number> = {
    "content-type": asset.contentType,
    etag,
    // A ?v= link names this exact content, so it never changes; other URLs revalidate by ETag.
    "cache-control": versioned ? "public, max-age=31536000, immutable" : "no-cache",
    vary: "Accept-Encoding",
    "x-content-type-options": "nosniff",
  };
  if (request.headers["if-none-match"] === etag) {
    response.writeHead(304, headers);
    response.end();
    return;
  }
  const body = useGzip ? asset.gzipped : asset.body;
  if (useGzip) headers["content-encoding"] = "gzip";
  headers["content-length"] = body.byteLength;
  response.writeHead(200, headers);
  response.end(body);
}

function sendText(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, {
    "content-type": "text/plain; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
  });
  response.end(text);
}

/**
 * True when the client ranks text/html, named explicitly, at least as high as every JSON type: browsers
 * navigating. `*\/*` alone (curl, fetch) or a JSON type ranked higher means a GraphQL request.
 */
export function prefersHtml(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  let html = 0;
  let json = 0;
  for (const part of accept.split(",")) {
    const [range = "", ...params] = part.split(";").map((s) => s.trim().toLowerCase());
    const qParam = params.find((p) => p.startsWith("q="));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    if (!Number.isFinite(q)) continue;
    if (range === "text/html") html = Math.max(html, q);
    else if (/^application\/(json|graphql-response\+json)$|^application\/\*$|^\*\/\*$/.test(range)) {
      json = Math.max(json, q);
    }
  }
  return html > 0 && html >= json;
}

function acceptsGzip(acceptEncoding: string | string[] | undefined): boolean {
  const value = Array.isArray(acceptEncoding) ? acceptEncoding.join(",") : (acceptEncoding ?? "");
  return value.split(",").some((part) => {
    const [coding = "", ...params] = part.split(";").map((s) => s.trim().toLowerCase());
    return (coding === "gzip" || coding === "*") && !params.some((p) => /^q=0(\.0*)?$/.test(p));
  });
}
