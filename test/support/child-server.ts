import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "../..");

/** Listens on `port` at `host` (0: any free port) and closes again: the port, or null if it is taken. */
function listenProbe(host: string, port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(null));
    probe.listen(port, host, () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === "object" && address ? address.port : null));
    });
  });
}

/** A port that is free on every one of `hosts` (e.g. the loopback addresses of a local cluster). */
export async function freePortOnAll(hosts: readonly [string, ...string[]]): Promise<number> {
  for (;;) {
    const port = await listenProbe(hosts[0], 0);
    if (port === null) throw new Error(`cannot listen on ${hosts[0]}`);
    const others = await Promise.all(hosts.slice(1).map((host) => listenProbe(host, port)));
    if (others.every((free) => free === port)) return port;
  }
}

export async function freePort(): Promise<number> {
  const port = await listenProbe("127.0.0.1", 0);
  if (port === null) throw new Error("no free port on 127.0.0.1");
  return port;
}

export interface ChildServer {
  readonly process: ChildProcess;
  readonly url: string;
  readonly output: () => string;
}

/** How to run the server; by default, the sources through tsx with this process's environment. */
export interface ChildCommand {
  readonly argv: readonly [string, ...string[]];
  readonly cwd: string;
  /** The whole environment but HOST and PORT, instead of this process's. */
  readonly env?: NodeJS.ProcessEnv;
  /** Another user to run it as (this process must be root). */
  readonly uid?: number;
  readonly gid?: number;
  /** How long it may take to become ready (default 60 s; migrations on a cluster take longer). */
  readonly readyTimeoutMs?: number;
}

const FROM_SOURCES: ChildCommand = {
  argv: [process.execPath, "--import", "tsx", "src/cli/main.ts", "serve"],
  cwd: ROOT,
};

/** Runs `eventscore serve` as a separate process (so it can be killed for real) and waits until it is live. */
export async function startChildServer(
  env: Record<string, string>,
  command: ChildCommand = FROM_SOURCES,
): Promise<ChildServer> {
  const port = await freePort();
  const [file, ...args] = command.argv;
  const child = spawn(file, args, {
    cwd: command.cwd,
    env: { ...(command.env ?? process.env), HOST: "127.0.0.1", PORT: String(port), ...env },
    stdio: ["ignore", "pipe", "pipe"],
    ...(command.uid === undefined ? {} : { uid: command.uid }),
    ...(command.gid === undefined ? {} : { gid: command.gid }),
  });
  let output = "";
  let spawnError: Error | undefined;
  child.once("error", (error) => (spawnError = error));
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (command.readyTimeoutMs ?? 60_000);
  while (Date.now() < deadline) {
    if (spawnError !== undefined) throw new Error(`${command.argv.join(" ")}: ${spawnError.message}`);
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${output}`);
    try {
      const response = await fetch(`${base}/health/ready`);
      if (response.ok) return { process: child, url: `${base}/graphql`, output: () => output };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  child.kill("SIGKILL");
  throw new Error(`server did not become ready:\n${output}`);
}

export async function waitForExit(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}
