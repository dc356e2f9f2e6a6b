import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, validate } from "graphql";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/app/config.js";
import {
  ensureGraphiqlBundle,
  graphiqlRoutes,
  type GraphiqlOptions,
} from "../../src/server/routes/graphiql.js";
import { DEFAULT_QUERY } from "../../src/server/routes/graphiql/page.js";
import { createJsonLogger } from "../../src/app/logger.js";
import { startInstance, type Instance } from "../../src/cli/instance.js";
import { chromiumAvailable, launchChromium } from "../support/browser.js";

const CDN =
  /unpkg\.com|jsdelivr\.net|cdnjs|esm\.sh|skypack\.dev|googleapis\.com|gstatic\.com|apollographql\.com/i;
const BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

let instance: Instance;
let base: string;

beforeAll(async () => {
  // Built here rather than on the page's first request, so a slow build cannot eat the navigation timeout.
  await ensureGraphiqlBundle();
  const config = loadConfig({
    ...process.env,
    PORT: "0",
    HOST: "127.0.0.1",
    EVENTSCORE_SQLITE_PATH: ":memory:",
    EVENTSCORE_LEADERBOARD_INTERVAL_MS: "50",
  });
  instance = await startInstance(config, createJsonLogger("silent"));
  base = `http://127.0.0.1:${instance.server.port}`;
});

afterAll(async () => {
  await instance?.stop();
});

async function graphql(query: string, variables: Record<string, unknown> = {}): Promise<unknown> {
  const response = await fetch(`${base}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: unknown; errors?: unknown };
  expect(body.errors).toBeUndefined();
  return body.data;
}

async function record(id: string, userId: string, type: string): Promise<void> {
  const data = await graphql(
    `
      mutation ($event: EventInput!) {
        recordEvent(event: $event) {
          accepted
          duplicates
        }
      }
    `,
    { event: { id, userId, type, occurredAt: new Date().toISOString() } },
  );
  expect(data).toEqual({ recordEvent: { accepted: 1, duplicates: 0 } });
}

describe("GraphiQL over HTTP", () => {
  it("serves a self-contained page to browsers with a strict CSP", async () => {
    const response = await fetch(`${base}/graphql`, { headers: { accept: BROWSER_ACCEPT } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    const csp = response.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/unsafe-(inline|eval)/);
    const html = await response.text();
    // Every script and stylesheet is ours: no absolute URL in any src or href.
    expect(html).not.toMatch(/(src|href)\s*=\s*["']?(https?:)?\/\//i);
    const assets = [...html.matchAll(/(?:src|href)="(\/graphiql\/assets\/[^"]+)"/g)].map((m) => m[1] ?? "");
    expect(assets.map((a) => a.replace(/\?.*/, "")).sort()).toEqual([
      "/graphiql/assets/graphiql.css",
      "/graphiql/assets/graphiql.js",
    ]);
    for (const asset of assets) {
      const file = await fetch(`${base}${asset}`);
      expect(file.status).toBe(200);
      expect(file.headers.get("cache-control")).toContain("immutable");
      expect(file.headers.get("etag")).toBeTruthy();
      expect(file.headers.get("content-type")).toMatch(
        asset.includes(".js") ? /^text\/javascript/ : /^text\/css/,
      );
      const text = await file.text();
      expect(text).not.toMatch(CDN);
      // No code that fetches a script or stylesheet from elsewhere at run time.
      expect(text).not.toMatch(/(import\(|src=|href=|@import\s+(url\()?)["']https?:/i);
    }
  });

  it("opens with a walkthrough that is valid against the schema", () => {
    expect(validate(instance.app.schema, parse(DEFAULT_QUERY)).map((e) => e.message)).toEqual([]);
  });

  it("answers revalidation and unknown assets, and leaves JSON GETs to GraphQL", async () => {
    const asset = await fetch(`${base}/graphiql/assets/graphiql.css`);
    expect(asset.headers.get("cache-control")).toBe("no-cache");
    const etag = asset.headers.get("etag") ?? "";
    const revalidated = await fetch(`${base}/graphiql/assets/graphiql.css`, {
      headers: { "if-none-match": etag },
    });
    expect(revalidated.status).toBe(304);
    expect((await fetch(`${base}/graphiql/assets/other.js`)).status).toBe(404);

    const query = encodeURIComponent("{ scoringRules { defaultWeight } }");
    const json = await fetch(`${base}/graphql?query=${query}`, {
      headers: { accept: "application/json", "apollo-require-preflight": "true" },
    });
    expect(json.headers.get("content-type")).toMatch(/^application\/(graphql-response\+)?json/);
    expect(await json.json()).toMatchObject({
      data: { scoringRules: { defaultWeight: expect.any(Number) } },
    });
  });
});

describe("GraphiQL without a bundle", () => {
  /** Serves only the GraphiQL route (404 otherwise) and returns what GET /graphql answers a browser. */
  async function pageStatus(
    options: GraphiqlOptions,
    requests = 1,
  ): Promise<{ status: number; text: string }[]> {
    const [page] = graphiqlRoutes(options);
    if (page === undefined) throw new Error("graphiqlRoutes returned no page route");
    const server = createServer((request, response) => {
      const url = new URL(request.url ?? "/", "http://localhost");
      void Promise.resolve(page.handle(request, response, url)).then((handled) => {
        if (!handled) response.writeHead(404).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const get = async (): Promise<{ status: number; text: string }> => {
        const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
          headers: { accept: BROWSER_ACCEPT },
        });
        return { status: response.status, text: await response.text() };
      };
      return await Promise.all(Array.from({ length: requests }, get));
    } finally {
      server.close();
    }
  }

  it("builds it once on the first requests", async () => {
    const dir = await mkdtemp(join(tmpdir(), "graphiql-"));
    let builds = 0;
    const build = async (bundleDir: string): Promise<void> => {
      builds++;
      await writeFile(join(bundleDir, "graphiql.js"), "void 0;");
      await writeFile(join(bundleDir, "graphiql.css"), "");
    };
    try {
      const answers = await pageStatus({ endpoint: "/graphql", bundleDir: dir, build }, 3);
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
      expect(builds).toBe(1);
    } finally {
      await rm(dir, { recursive: true });
    }
  });

  it("answers 503 with the way out when it cannot be built", async () => {
    const build = (): Promise<void> => Promise.reject(new Error("Cannot find package 'esbuild'"));
    const [answer] = await pageStatus({ endpoint: "/graphql", bundleDir: "/nonexistent/graphiql", build });
    expect(answer?.status).toBe(503);
    expect(answer?.text).toContain("Cannot find package 'esbuild'");
    expect(answer?.text).toContain("npm run build:graphiql");
  });

  it("never builds with build: false (the compiled server's default) and names the build that fills it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "graphiql-"));
    try {
      const [answer] = await pageStatus({ endpoint: "/graphql", bundleDir: dir, build: false });
      expect(answer?.status).toBe(503);
      expect(answer?.text).toContain(`its bundle is missing from ${dir}, which \`npm run build\` fills`);
      expect(await readdir(dir)).toEqual([]);
    } finally {
      await rm(dir, { recursive: true });
    }
  });
});

describe.skipIf(!chromiumAvailable())("GraphiQL in Chromium", () => {
  let browser: Browser;
  /** Requests to anywhere but the test server: must stay empty, the page has to work offline. */
  const external: string[] = [];
  /** Console errors and warnings, uncaught exceptions and CSP violations. */
  const problems: string[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
  });

  async function open(query: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.route("**/*", async (route) => {
      const url = new URL(route.request().url());
      if (url.hostname === "127.0.0.1") return route.continue();
      external.push(url.href);
      return route.abort("blockedbyclient");
    });
    page.on("console", (message) => {
      if (message.type() === "error" || message.type() === "warning") problems.push(message.text());
    });
    page.on("pageerror", (error) => problems.push(error.message));
    // GraphiQL's ?query= convention (implemented by our entry script) fills the editor.
    await page.goto(`${base}/graphql?query=${encodeURIComponent(query)}`);
    await page.locator(".graphiql-query-editor .CodeMirror").waitFor();
    return page;
  }

  const resultText = (page: Page): Promise<string> => page.locator(".graphiql-response").innerText();

  it("runs a query and shows data recorded over HTTP", async () => {
    await record("e2e-query-1", "ada", "PushEvent");
    await record("e2e-query-2", "ada", "IssuesEvent");
    const page = await open(
      "query Board {\n  leaderboard(window: ALL_TIME) { nodes { rank userId value } }\n}",
    );
    try {
      await page.locator(".graphiql-execute-button").click();
      await expect.poll(() => resultText(page), { timeout: 10_000 }).toContain('"userId": "ada"');
      expect(await resultText(page)).toContain('"rank": 1');
      // The settings dialog adds a <style> element: the CSP must let it in through the page's nonce.
      await page.locator('button[aria-label^="Open settings"]').click();
      await page.getByRole("dialog").waitFor();
      expect(problems).toEqual([]);
      expect(external).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it("runs a subscription over WebSocket and shows events as they are recorded", async () => {
    const page = await open("subscription Live {\n  eventRecorded { id userId type }\n}");
    try {
      await page.locator(".graphiql-execute-button").click();
      // The socket subscribes asynchronously after the click; record until one event shows up, then
      // check that an event recorded after that arrives too.
      let n = 0;
      await expect
        .poll(
          async () => {
            await record(`e2e-warmup-${++n}`, "grace", "PushEvent");
            return resultText(page);
          },
          { timeout: 15_000, interval: 250 },
        )
        .toMatch(/e2e-warmup-\d+/);
      await record("e2e-live-1", "grace", "ReleaseEvent");
      await expect.poll(() => resultText(page), { timeout: 10_000 }).toContain('"id": "e2e-live-1"');
      expect(await resultText(page)).toContain('"type": "ReleaseEvent"');
      await page.screenshot({ path: "/tmp/graphiql.png" });
      expect(problems).toEqual([]);
      expect(external).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
