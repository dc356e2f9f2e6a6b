import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { AppendResult, StoredEvent } from "../port.js";

export interface WriterData {
  readonly path: string;
  readonly synchronous: "FULL" | "NORMAL";
  readonly cacheMiB?: number;
  readonly mmapMiB?: number;
}

export interface WriterRequest {
  readonly id: number;
  readonly events: readonly StoredEvent[];
}

type ErrorShape = { name: string; message: string; code?: string };

export type WriterReply =
  | { readonly ready: true }
  | { readonly failed: ErrorShape }
  | { readonly id: number; readonly result: AppendResult }
  | { readonly id: number; readonly error: ErrorShape };

/** Run from the sources (tsx, tests) the thread's module is TypeScript too, and needs tsx to load. */
const FROM_SOURCES = import.meta.url.endsWith(".ts");

/**
 * A new thread of the built server loads writer-thread.js. From the sources, the thread first
 * registers tsx in itself (a loader registered in the parent does not reach a worker's entry in
 * Node 20), then imports writer-thread.ts; tsx is a dev dependency, present wherever sources run.
 */
function newWorker(data: WriterData): Worker {
  if (!FROM_SOURCES) return new Worker(new URL("./writer-thread.js", import.meta.url), { workerData: data });
  const api = createRequire(import.meta.url)
    .resolve("tsx/esm/api")
    .replace(/\.cjs$/, ".mjs");
  const entry = new URL("./writer-thread.ts", import.meta.url).href;
  const code = `import(${JSON.stringify(pathToFileURL(api).href)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(code, { eval: true, workerData: data });
}

/**
 * The handle of writer-thread.ts: appends go to the thread one at a time (the group committer
 * keeps one in flight) and come back with their outcomes and changes. A thread that dies fails
 * what it had in hand; the next append starts a new one.
 */
export class WriterThread {
  private worker: Worker | null = null;
  private starting: Promise<Worker> | null = null;
  private readonly pending = new Map<
    number,
    { resolve: (r: AppendResult) => void; reject: (e: Error) => void }
  >();
  private nextId = 0;

  constructor(private readonly data: WriterData) {}

  /** Starts the thread and waits until its connection is ready. */
  async start(): Promise<void> {
    await this.ready();
  }

  async append(events: readonly StoredEvent[]): Promise<AppendResult> {
    const worker = await this.ready();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, events } satisfies WriterRequest);
    });
  }

  async close(): Promise<void> {
    const worker = this.worker ?? (await this.starting?.catch(() => null)) ?? null;
    this.worker = null;
    this.starting = null;
    if (worker) await worker.terminate();
  }

  private ready(): Promise<Worker> {
    if (this.worker) return Promise.resolve(this.worker);
    this.starting ??= this.spawn().then(
      (worker) => {
        this.worker = worker;
        this.starting = null;
        return worker;
      },
      (error: unknown) => {
        this.starting = null;
        throw error;
      },
    );
    return this.starting;
  }

  private spawn(): Promise<Worker> {
    const worker = newWorker(this.data);
    return new Promise((resolve, reject) => {
      worker.on("message", (reply: WriterReply) => {
        if ("ready" in reply) return resolve(worker);
        if ("failed" in reply) return reject(toError(reply.failed));
        const waiter = this.pending.get(reply.id);
        this.pending.delete(reply.id);
        if ("result" in reply) waiter?.resolve(reply.result);
        else waiter?.reject(toError(reply.error));
      });
      const fail = (error: Error): void => {
        if (this.worker === worker) this.worker = null;
        reject(error);
        for (const waiter of this.pending.values()) waiter.reject(error);
        this.pending.clear();
      };
      worker.on("error", fail);
      worker.on("exit", (code) => fail(new Error(`the SQLite writer thread exited (${code})`)));
    });
  }
}

/** An error as the thread saw it, with the name and code that isSqliteUnavailable (errors.ts) reads. */
function toError(shape: ErrorShape): Error {
  const error = new Error(shape.message);
  error.name = shape.name;
  if (shape.code !== undefined) Object.assign(error, { code: shape.code });
  return error;
}
