/**
 * What test/support/cassandra.ts and test/support/kafka.ts share to find or start a real service:
 * a TCP probe, command lookup, one skip warning per vitest run, and a start of scripts/NAME.sh that
 * two test files (worker processes) may ask for at once and that the vitest global setup of the
 * run stops afterwards (only when this run started it).
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "./child-server.js";

export const run = promisify(execFile);
export const ROOT = new URL("../../", import.meta.url).pathname;

export function portAnswers(host: string, port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host, port, timeout: 1_000 });
    const finish = (ok: boolean): void => {
      socket.destroy();
      done(ok);
    };
    socket.once("connect", () => finish(true));
    socket.once("error", () => finish(false));
    socket.once("timeout", () => finish(false));
  });
}

export async function hasCommand(name: string): Promise<boolean> {
  try {
    await run("sh", ["-c", `command -v ${name}`]);
    return true;
  } catch {
    return false;
  }
}

/** Test files run in several worker processes of one vitest run: only the first one warns. */
export function firstToWarn(service: string): boolean {
  try {
    writeFileSync(skipWarnedMarker(service, process.ppid), "", { flag: "wx" });
    return true;
  } catch {
    return false;
  }
}

export function skipWarnedMarker(service: string, vitestPid: number): string {
  return join(tmpdir(), `eventscore-${service}-skip-warned-${vitestPid}`);
}

/** The file that says "the vitest run with this pid started the local SERVICE". */
export function startedMarker(service: string, vitestPid: number): string {
  return join(tmpdir(), `eventscore-${service}-started-by-vitest-${vitestPid}`);
}

/**
 * Runs `scripts/SERVICE.sh start` unless `isUp()` already holds. The script is idempotent, but
 * two test files may get here at once: a lock directory makes the second wait, then find the
 * service up. The marker file tells the global setup of this vitest run (our parent process)
 * that the service is ours to stop.
 */
export async function startWithScript(service: string, isUp: () => Promise<boolean>): Promise<void> {
  const lock = join(tmpdir(), `eventscore-${service}-start.lock`);
  const deadline = Date.now() + 600_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A holder that died leaves the directory behind; no start takes longer than the deadline.
      if (Date.now() - lockMtime(lock) > 900_000) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock} (remove it if stale)`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    if (!(await isUp())) {
      console.warn(
        `${service}: starting a local one with scripts/${service}.sh (the first run fetches jars with Maven)`,
      );
      await run("bash", [join(ROOT, `scripts/${service}.sh`), "start"], { cwd: ROOT, timeout: 900_000 });
      writeFileSync(startedMarker(service, process.ppid), `${Date.now()}\n`);
    }
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function lockMtime(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return Date.now();
  }
}

/** JDK 17 + (the jars already fetched into .NAME/lib, or Maven to fetch them). */
export async function canRunScript(service: string, javaHome: string): Promise<boolean> {
  if (!existsSync(join(javaHome, "bin/java"))) return false;
  return existsSync(join(ROOT, `.${service}/lib`)) || (await hasCommand("mvn"));
}

/**
 * A vitest global setup's teardown: stops the service with `scripts/SERVICE.sh stop` if a test
 * file of this run started it; one that was running before is left alone.
 */
export function stopIfStartedByThisRun(service: string): () => Promise<void> {
  return async () => {
    rmSync(skipWarnedMarker(service, process.pid), { force: true });
    const marker = startedMarker(service, process.pid);
    if (!existsSync(marker)) return;
    rmSync(marker, { force: true });
    await run("bash", [join(ROOT, `scripts/${service}.sh`), "stop"], { timeout: 120_000 });
  };
}

/** Another instance of a service: scripts/SERVICE.sh with a state directory and free ports of its own. */
export interface ScriptInstance {
  readonly stateDir: string;
  readonly ports: number[];
  /** Runs `scripts/SERVICE.sh COMMAND ARGS...` for this instance; its output. */
  script(command: string, ...args: string[]): Promise<string>;
  /** Stops the instance and deletes its state directory. */
  destroy(): Promise<void>;
  logTail(): Promise<string>;
}

/** `ports`: how many free ports to pick, or the ports themselves (e.g. shared by a cluster's nodes). */
export async function scriptInstance(
  service: string,
  portsWanted: number | readonly number[],
  environment: (stateDir: string, ports: number[]) => Record<string, string>,
): Promise<ScriptInstance> {
  const stateDir = mkdtempSync(join(tmpdir(), `eventscore-${service}-private-`));
  const ports: number[] = typeof portsWanted === "number" ? [] : [...portsWanted];
  while (typeof portsWanted === "number" && ports.length < portsWanted) {
    const port = await freePort();
    if (!ports.includes(port)) ports.push(port);
  }
  const env = { ...process.env, ...environment(stateDir, ports) };
  const script = async (command: string, ...args: string[]): Promise<string> => {
    const { stdout, stderr } = await run("bash", [join(ROOT, `scripts/${service}.sh`), command, ...args], {
      cwd: ROOT,
      env,
      timeout: 600_000,
    });
    return `${stdout}${stderr}`;
  };
  return {
    stateDir,
    ports,
    script,
    destroy: async () => {
      try {
        await script("stop");
      } finally {
        rmSync(stateDir, { recursive: true, force: true });
      }
    },
    logTail: () => script("logs", "60").catch((error: unknown) => String(error)),
  };
}
