import {
  getNamedType,
  isLeafType,
  isObjectType,
  type GraphQLField,
  type GraphQLFieldResolver,
  type GraphQLSchema,
} from "graphql";
import { cpuBudgetExceeded, timedOut, type RequestError } from "../http/request-errors.js";

/**
 * A request's deadline, and its CPU budget: the total time its resolvers may hold the event loop
 * (EVENTSCORE_MAX_CPU_MS), which bounds how long one request can keep every other client waiting
 * however little it waits on I/O. Two mechanisms enforce the deadline, because neither suffices alone:
 * - a timer (`withDeadline`) answers for requests stuck waiting on I/O (a slow store node);
 * - a check before each resolver (`enforceDeadlines`) stops work that never yields to the
 *   event loop long enough for a timer to fire (SQLite answers synchronously, so a big query
 *   can run start to end in microtasks).
 * Either way the client gets TIMEOUT, and `signal` aborts, so that work that checks it (reports
 * between days, batched loads before their store call) stops; a store call already started still
 * completes (it cannot be recalled), which is safe because writes are idempotent. A client that
 * closes its connection aborts the signal too.
 */
export class Deadline {
  private readonly at: number;
  private cpuMs = 0;
  private failure: RequestError | null = null;
  /**
   * Made on first use: most requests and every live push never read the signal nor abort, and an
   * AbortController with its signal was half the cost of each push's resolver checks
   * (bench:live, 50,000 subscriptions: one per push, ~1,000 pushes a second).
   */
  private controller: AbortController | null = null;

  constructor(
    readonly timeoutMs: number,
    readonly cpuBudgetMs: number = Number.POSITIVE_INFINITY,
  ) {
    this.at = timeoutMs === Number.POSITIVE_INFINITY ? timeoutMs : performance.now() + timeoutMs;
  }

  static none(): Deadline {
    return new Deadline(Number.POSITIVE_INFINITY);
  }

  /** True once the deadline passed or the CPU budget ran out, as seen by a check. */
  get missed(): boolean {
    return this.failure !== null;
  }

  /** TIMEOUT or CPU_BUDGET_EXCEEDED, whichever a check found first; null while neither. */
  get error(): RequestError | null {
    return this.failure;
  }

  /**
   * Aborts when the request's work should stop: its deadline passed or its CPU budget ran out (as
   * a check or the timer found), or its client went away. Services and stores pass it down and
   * stop between steps (a report between days, a batch before its store call).
   */
  get signal(): AbortSignal {
    return (this.controller ??= new AbortController()).signal;
  }

  /** Stops the request's work; `reason` is what the signal's listeners see. */
  abort(reason: RequestError): void {
    const controller = (this.controller ??= new AbortController());
    if (!controller.signal.aborted) controller.abort(reason);
  }

  /** Throws TIMEOUT once the deadline has passed, CPU_BUDGET_EXCEEDED once the budget is spent. */
  check(): void {
    if (this.failure === null) {
      if (performance.now() > this.at) this.failure = timedOut(this.timeoutMs);
      else if (this.cpuMs > this.cpuBudgetMs) this.failure = cpuBudgetExceeded(this.cpuBudgetMs);
      // No controller yet: nobody aborted (abort makes one), and nobody can have listened.
      else if (this.controller?.signal.aborted) this.failure = this.controller.signal.reason as RequestError;
      else return;
      this.abort(this.failure);
    }
    throw this.failure;
  }

  /** Adds time the request's own code held the event loop. */
  charge(ms: number): void {
    this.cpuMs += ms;
  }
}

const enforced = new WeakSet<GraphQLField<unknown, unknown>>();

/**
 * Makes every resolver of `schema` that can do work, introspection's included, check
 * `context.deadline` before it starts and charge the time it runs to the request's CPU budget
 * (the part it runs before its first await: the part that holds the event loop). Introspection
 * types are shared by every schema in the process, so each field is wrapped once, whichever
 * schema reaches it first.
 */
export function enforceDeadlines(schema: GraphQLSchema): void {
  const roots = new Set([schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]);
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type)) continue;
    for (const field of Object.values(type.getFields())) {
      const resolve = field.resolve;
      // Fields without a resolver read a property, and so do scalar fields without arguments
      // below the root (type-graphql gives them a resolver that reads the property): too cheap
      // to check, and there are many of them in every answer. Every other field, the ones that
      // reach a store or build lists, is checked.
      if (resolve === undefined || enforced.has(field)) continue;
      if (!roots.has(type) && field.args.length === 0 && isLeafType(getNamedType(field.type))) continue;
      enforced.add(field);
      const checked: GraphQLFieldResolver<unknown, unknown> = (source, args, context, info) => {
        const deadline = (context as { deadline?: Deadline } | undefined)?.deadline;
        if (deadline === undefined) return resolve(source, args, context, info);
        try {
          deadline.check();
        } catch (error) {
          // As a rejected promise, not a throw: a throw that nulls a non-null parent makes
          // graphql-js drop sibling fields' promises, whose later rejections then go unhandled.
          return Promise.reject(error as Error);
        }
        const started = performance.now();
        try {
          return resolve(source, args, context, info);
        } finally {
          deadline.charge(performance.now() - started);
        }
      };
      field.resolve = checked;
    }
  }
}

/**
 * Settles with `work`, or with `onTimeout()` once `ms` pass first. The work itself goes on (a
 * store call cannot be recalled); only the caller stops waiting for it.
 */
export async function withDeadline<T>(work: Promise<T>, ms: number, onTimeout: () => T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<T>((resolve) => (timer = setTimeout(() => resolve(onTimeout()), ms)));
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
