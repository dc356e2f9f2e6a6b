import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "../..");

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
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
  const deadline = Date.now() + 60_000;
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
