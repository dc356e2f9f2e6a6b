import { execFile } from "node:child_process";
import { chmod, chown, cp, mkdir, readFile, realpath, rm, stat, symlink } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, posix, relative } from "node:path";
import { promisify } from "node:util";
import { copyArgs, envPairs, execForm, parseDockerfile } from "./dockerfile.js";

/**
 * Carries out the Dockerfile without a Docker engine: each stage gets a folder standing for its file
 * system root, COPY copies into it, and every RUN command is one this module knows how to do here, or
 * the run fails (so the Dockerfile and this emulation cannot drift apart silently).
 *
 * One shortcut, and why it is faithful: the build stage's `npm ci` is not run again. It would download
 * and compile better-sqlite3 from source (about 2 minutes on 2 cores); the project's own node_modules,
 * installed by `npm ci` from the same package-lock.json, is used instead, once its better-sqlite3 is
 * checked to be the locked version. `npm prune --omit=dev` then runs for real on a copy of it, as in the
 * Dockerfile, so the image keeps that already-compiled binary and nothing else of the dev tree.
 */
export interface AssembledImage {
  /** The runtime stage's file system root; the image's /app is `${root}/app`. */
  readonly root: string;
  /** WORKDIR, in root. */
  readonly workdir: string;
  /** The image's ENV, absolute paths moved into root, and a PATH that finds its /usr/local/bin. */
  readonly env: Record<string, string>;
  readonly cmd: readonly [string, ...string[]];
  readonly healthcheck: readonly [string, ...string[]];
  /** VOLUMEs, in root. */
  readonly volumes: readonly string[];
  /** Whom USER stands for here: nobody when the test runs as root (root ignores file modes). */
  readonly user: { readonly uid?: number; readonly gid?: number };
  /** The RUN commands of the build stage and what was done for each. */
  readonly log: readonly string[];
}

const REPO = join(import.meta.dirname, "../..");
const NOBODY = 65_534;
const run = promisify(execFile);

export async function assembleImage(work: string): Promise<AssembledImage> {
  const stages = parseDockerfile(await readFile(join(REPO, "Dockerfile"), "utf8"));
  const runtime = stages.at(-1);
  if (runtime === undefined) throw new Error("Dockerfile: no stage");
  const ignored = await dockerignore();
  const user = process.getuid?.() === 0 ? { uid: NOBODY, gid: NOBODY } : {};
  const log: string[] = [];
  const roots = new Map<string, string>();

  for (const stage of stages) {
    const root = join(work, `stage-${stage.name}`);
    await mkdir(root, { recursive: true });
    roots.set(stage.name, root);
    const state = { root, workdir: "/", env: {} as Record<string, string>, volumes: [] as string[] };
    let cmd: string[] | undefined;
    let healthcheck: string[] | undefined;
    let userName: string | undefined;
    for (const { keyword, args } of stage.instructions) {
      const at = (path: string): string =>
        join(root, isAbsolute(path) ? path : posix.join(state.workdir, path));
      switch (keyword) {
        case "WORKDIR":
          state.workdir = args;
          await mkdir(at(args), { recursive: true });
          break;
        case "COPY":
          await copy(args, at, (from) => roots.get(from), ignored);
          break;
        case "RUN":
          for (const command of args.split("&&").map((part) => part.trim())) {
            log.push(`${stage.name}: ${command}: ${await runCommand(command, at, user)}`);
          }
          break;
        case "ENV":
          for (const [key, value] of envPairs(args))
            state.env[key] = value.startsWith("/") ? at(value) : value;
          break;
        case "VOLUME":
          state.volumes.push(...execForm(args).map(at));
          break;
        case "USER":
          userName = args;
          break;
        case "HEALTHCHECK":
          healthcheck = execForm(args);
          break;
        case "CMD":
          cmd = execForm(args);
          break;
        case "EXPOSE":
          break;
        default:
          throw new Error(`Dockerfile: this test does not know ${keyword} (stage ${stage.name})`);
      }
    }
    if (stage !== runtime) continue;
    if (userName === undefined || userName === "root" || userName === "0") {
      throw new Error("Dockerfile: the runtime stage must switch to a non-root USER");
    }
    const [command, ...rest] = cmd ?? [];
    const [check, ...checkRest] = healthcheck ?? [];
    if (command === undefined || check === undefined) throw new Error("Dockerfile: no CMD or HEALTHCHECK");
    // Owned by root in the image, so read-only to the server; here also by mode.
    await run("chmod", ["-R", "a-w", join(root, state.workdir)]);
    const path = [join(root, "usr/local/bin"), dirname(process.execPath), "/usr/bin", "/bin"].join(":");
    return {
      root,
      workdir: join(root, state.workdir),
      env: { ...state.env, PATH: path },
      cmd: [command, ...rest],
      healthcheck: [check, ...checkRest],
      volumes: state.volumes,
      user,
      log,
    };
  }
  throw new Error("unreachable");
}

/** COPY from the build context (the repository, minus .dockerignore) or from an earlier stage. */
async function copy(
  args: string,
  at: (path: string) => string,
  stageRoot: (name: string) => string | undefined,
  ignored: (path: string) => boolean,
): Promise<void> {
  const { from, sources, dest } = copyArgs(args);
  if (sources.length > 1 && !dest.endsWith("/")) throw new Error(`Dockerfile: COPY ${args}: DEST needs a /`);
  for (const source of sources) {
    let path: string;
    if (from === undefined) {
      if (ignored(source)) throw new Error(`Dockerfile: COPY ${source}, which .dockerignore leaves out`);
      path = join(REPO, source);
    } else {
      const root = stageRoot(from);
      if (root === undefined) throw new Error(`Dockerfile: COPY --from=${from}: no such stage`);
      path = join(root, source);
    }
    if ((await stat(path)).isDirectory()) {
      await cp(path, at(dest), { recursive: true, verbatimSymlinks: true });
    } else {
      const target = dest.endsWith("/") ? join(at(dest), basename(source)) : at(dest);
      await mkdir(dirname(target), { recursive: true });
      await cp(path, target);
    }
  }
}

/** One command of a RUN; returns what was done. */
async function runCommand(
  command: string,
  at: (path: string) => string,
  user: { uid?: number; gid?: number },
): Promise<string> {
  const cwd = at(".");
  let match: RegExpExecArray | null;
  if (/^apt-get (update|install)\b|^rm -rf \/var\/lib\/apt\/lists\/\*$/.test(command)) {
    return "skipped: this machine's toolchain (nothing is compiled here, see npm ci)";
  }
  if (/^npm ci\b/.test(command)) {
    await reuseInstalledDependencies(cwd);
    return "reused the repository's node_modules (installed by npm ci from the same lockfile)";
  }
  if (command === "npm run build") {
    await run("sh", ["-c", command], { cwd, env: npmEnv(), maxBuffer: 16 * 1024 * 1024 });
    return "ran";
  }
  if (/^npm prune --omit=dev\b/.test(command)) {
    await materializeProductionTree(cwd);
    await run("sh", ["-c", command], { cwd, env: npmEnv(), maxBuffer: 16 * 1024 * 1024 });
    return "ran, on a copy of node_modules without the lockfile's dev packages";
  }
  if ((match = /^ln -s (\S+) (\S+)$/.exec(command)) !== null) {
    await mkdir(dirname(at(match[2] ?? "")), { recursive: true });
    await symlink(at(match[1] ?? ""), at(match[2] ?? ""));
    return "linked";
  }
  if ((match = /^mkdir (\S+)$/.exec(command)) !== null) {
    await mkdir(at(match[1] ?? ""));
    return "made";
  }
  if ((match = /^chown \S+ (\S+)$/.exec(command)) !== null) {
    if (user.uid !== undefined) await chown(at(match[1] ?? ""), user.uid, user.gid ?? user.uid);
    await chmod(at(match[1] ?? ""), 0o755);
    return user.uid === undefined ? "ours already" : `given to uid ${user.uid}`;
  }
  throw new Error(`Dockerfile: this test does not know how to run \`${command}\``);
}

/** npm's own variables name the project npm was started in (npm_config_local_prefix=…); drop them. */
function npmEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key) && key !== "INIT_CWD"),
  );
}

async function lockfile(
  dir: string,
): Promise<{ packages: Record<string, { version?: string; dev?: boolean }> }> {
  return JSON.parse(await readFile(join(dir, "package-lock.json"), "utf8")) as {
    packages: Record<string, { version?: string; dev?: boolean }>;
  };
}

async function reuseInstalledDependencies(cwd: string): Promise<void> {
  const locked = (await lockfile(cwd)).packages["node_modules/better-sqlite3"]?.version;
  const installed = (
    JSON.parse(await readFile(join(REPO, "node_modules/better-sqlite3/package.json"), "utf8")) as {
      version: string;
    }
  ).version;
  if (installed !== locked) {
    throw new Error(`node_modules has better-sqlite3 ${installed}, the lockfile ${locked}: run npm ci`);
  }
  await symlink(await realpath(join(REPO, "node_modules")), join(cwd, "node_modules"));
}

/** Replaces the node_modules link by a copy of the packages the lockfile does not mark dev-only. */
async function materializeProductionTree(cwd: string): Promise<void> {
  const source = await realpath(join(cwd, "node_modules"));
  const devOnly = new Set(
    Object.entries((await lockfile(cwd)).packages)
      .filter(([path, entry]) => path !== "" && entry.dev === true)
      .map(([path]) => path),
  );
  await rm(join(cwd, "node_modules"));
  await cp(source, join(cwd, "node_modules"), {
    recursive: true,
    verbatimSymlinks: true,
    filter: (path) => !devOnly.has(relative(dirname(source), path).split("\\").join("/")),
  });
}

/** The .dockerignore patterns (Go filepath.Match over context-relative paths, and their parents). */
async function dockerignore(): Promise<(path: string) => boolean> {
  const patterns = (await readFile(join(REPO, ".dockerignore"), "utf8"))
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((glob) => new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*")}$`));
  return (path) => {
    const parts = posix.normalize(path).replace(/\/$/, "").split("/");
    return parts.some((_, i) => patterns.some((pattern) => pattern.test(parts.slice(0, i + 1).join("/"))));
  };
}
