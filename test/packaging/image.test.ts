import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdtemp, readdir, readFile, readlink, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join, relative } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  startChildServer,
  waitForExit,
  type ChildCommand,
  type ChildServer,
} from "../support/child-server.js";
import { expectGracefulStop, sigtermDuringWork } from "../support/drain.js";
import { freshGet } from "../support/fresh-get.js";
import { postGraphQL } from "../support/server.js";
import { events, RECORD } from "../hardening/support.js";
import { assembleImage, type AssembledImage } from "./assemble.js";

const run = promisify(execFile);

/** Every file under dir with its size and modification time, to show that nothing wrote there. */
async function snapshot(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const lines = await Promise.all(
    entries.map(async (entry) => {
      const path = join(entry.parentPath, entry.name);
      const info = await stat(path).catch(() => undefined);
      return `${relative(dir, path)} ${info?.size ?? "-"} ${info?.mtimeMs ?? "-"}`;
    }),
  );
  return lines.sort();
}

/** The processes whose parent is pid (from /proc: Linux only, like the image). */
async function childrenOf(pid: number): Promise<number[]> {
  const children: number[] = [];
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const status = await readFile(`/proc/${name}/status`, "utf8").catch(() => "");
    if (new RegExp(`^PPid:\\s+${pid}$`, "m").test(status)) children.push(Number(name));
  }
  return children;
}

/** The processes running in dir: only this test's, since dir is its own temporary folder. */
async function processesIn(dir: string): Promise<number[]> {
  const found: number[] = [];
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const cwd = await readlink(`/proc/${name}/cwd`).catch(() => "");
    if (cwd.startsWith(`${dir}/`)) found.push(Number(name));
  }
  return found;
}

describe("the image, assembled from the Dockerfile without Docker", { timeout: 120_000 }, () => {
  let work: string;
  let image: AssembledImage;
  let app: string;
  let data: string;
  let as: ChildCommand;
  const children: ChildServer[] = [];

  /** Another of the image's commands (docker run IMAGE eventscore …, compose `command:`). */
  const command = (argv: readonly string[], env: Record<string, string> = {}) =>
    run(argv[0] ?? "", argv.slice(1), {
      cwd: image.workdir,
      env: { ...image.env, ...env },
      ...image.user,
    });

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "eventscore-image-"));
    // The server's user must be able to reach the image's folders.
    await chmod(work, 0o755);
    image = await assembleImage(work);
    app = image.workdir;
    data = image.volumes[0] ?? "";
    as = { argv: image.cmd, cwd: app, env: image.env, ...image.user };
  }, 240_000);

  afterAll(async () => {
    for (const { process } of children) {
      if (process.exitCode === null && process.signalCode === null) process.kill("SIGKILL");
    }
    if (work !== undefined) {
      // Also a server that a broken bin would have left orphaned.
      for (const pid of await processesIn(work)) process.kill(pid, "SIGKILL");
      await run("chmod", ["-R", "u+w", work]);
      await rm(work, { recursive: true, force: true });
    }
  });

  it("holds the production dependencies and the built output only", async () => {
    expect((await readdir(app)).sort()).toEqual(
      ["bin", "cql", "dist", "node_modules", "package-lock.json", "package.json"].sort(),
    );
    expect(existsSync(join(app, "dist/cli/main.js"))).toBe(true);
    expect(existsSync(join(app, "dist/graphiql/graphiql.js"))).toBe(true);
    const lock = JSON.parse(await readFile(join(app, "package-lock.json"), "utf8")) as {
      packages: Record<string, { dev?: boolean; optional?: boolean }>;
    };
    const present = (path: string) => existsSync(join(app, path));
    const packages = Object.entries(lock.packages).filter(([path]) => path !== "");
    expect(packages.filter(([path, entry]) => entry.dev === true && present(path)).map(([p]) => p)).toEqual(
      [],
    );
    expect(packages.filter(([path, entry]) => !entry.dev && !entry.optional && !present(path))).toEqual([]);
    // In particular no TypeScript at run time, and the better-sqlite3 binary that the build compiled.
    for (const dev of ["tsx", "typescript", "esbuild", "vitest"])
      expect(present(`node_modules/${dev}`)).toBe(false);
    expect(present("node_modules/better-sqlite3/build/Release/better_sqlite3.node")).toBe(true);
    expect(data).not.toBe("");
  });

  it("finds the Cassandra migrations from the build", async () => {
    const { stdout } = await command([
      "node",
      "--input-type=module",
      "-e",
      `const m = await import("./dist/store/cassandra/migrations.js"); console.log(m.cqlFolder());`,
    ]);
    expect(stdout.trim()).toBe(`${join(app, "cql")}/`);
  });

  it("runs one-shot commands the way compose does (eventscore migrate)", async () => {
    const { stdout } = await command(["eventscore", "migrate"]);
    expect(stdout).toContain("migrations applied (sqlite)");
    expect(existsSync(join(data, "eventscore.db"))).toBe(true);
  });

  it("serves from a read-only app folder, is healthy, serves GraphiQL, and drains on SIGTERM", async () => {
    const before = await snapshot(app);
    const child = await startChildServer({}, as);
    children.push(child);
    const port = new URL(child.url).port;
    const pid = child.process.pid ?? 0;

    // The process the signal goes to is the server itself: node running the bin, no tsx, no child.
    const argv = (await readFile(`/proc/${pid}/cmdline`, "utf8")).split("\0").filter(Boolean);
    expect(basename(argv[0] ?? "")).toBe("node");
    expect(argv.slice(1)).toEqual([join(image.root, "usr/local/bin/eventscore"), "serve"]);
    expect(argv.join(" ")).not.toMatch(/tsx/);
    expect(await childrenOf(pid)).toEqual([]);

    // The HEALTHCHECK, with the image's own HOST (0.0.0.0) as it runs inside the container.
    const healthy = await command(image.healthcheck, { PORT: port });
    expect(healthy.stdout).toContain("ready");

    const page = await freshGet(child.url, { accept: "text/html" });
    expect(page.status).toBe(200);
    const html = page.body.toString();
    expect(html).toContain("<title>eventscore GraphiQL</title>");
    const script = /<script[^>]+src="([^"]+)"/.exec(html)?.[1] ?? "";
    const bundle = await freshGet(new URL(script, child.url));
    expect(bundle.status).toBe(200);
    expect(bundle.headers["content-type"]).toMatch(/^text\/javascript/);
    expect(bundle.body).toEqual(await readFile(join(app, "dist/graphiql/graphiql.js")));

    const body = JSON.stringify({ query: RECORD, variables: { events: events("image", 200) } });
    const outcome = await sigtermDuringWork(child, body);
    expectGracefulStop(outcome, child, 200);
    await expect(command(image.healthcheck, { PORT: port })).rejects.toMatchObject({ code: 1 });

    // Nothing was written into the app folder; the events are in the data folder.
    expect(await snapshot(app)).toEqual(before);
    const again = await startChildServer({}, as);
    children.push(again);
    const score = await postGraphQL<{ score: { events: number } }>(
      again.url,
      `{ score(userId: "alice") { events } }`,
    );
    expect(score.data?.score.events).toBe(200);
    again.process.kill("SIGTERM");
    expect(await waitForExit(again.process)).toBe(0);
  });
});
