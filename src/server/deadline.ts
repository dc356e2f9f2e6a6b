import { isObjectType, type GraphQLFieldResolver, type GraphQLSchema } from "graphql";
import { timedOut } from "./request-errors.js";

/**
 * A request's deadline. Two mechanisms enforce it, because neither suffices alone:
 * - a timer (`withDeadline`) answers for requests stuck waiting on I/O (a slow store node);
 * - a check before each resolver (`enforceDeadlines`) stops work that never yields to the
 *   event loop long enough for a timer to fire (SQLite answers synchronously, so a big query
 *   can run start to end in microtasks).
 * Either way the client gets TIMEOUT; a store call already started still completes (it cannot
 * be recalled), which is safe because writes are idempotent.
 */
export class Deadline {
  private readonly at: number;
  private missedAt: number | null = null;

  constructor(readonly timeoutMs: number) {
    this.at = timeoutMs === Number.POSITIVE_INFINITY ? timeoutMs : performance.now() + timeoutMs;
  }

  static none(): Deadline {
    return new Deadline(Number.POSITIVE_INFINITY);
  }

  get missed(): boolean {
    return this.missedAt !== null;
  }

  /** Throws TIMEOUT once the deadline has passed. */
  check(): void {
    if (this.missedAt === null && performance.now() <= this.at) return;
    this.missedAt ??= performance.now();
    throw timedOut(this.timeoutMs);
  }
}

const enforced = new WeakSet<GraphQLSchema>();

/** Makes every resolver of `schema` check `context.deadline` before it starts (once per schema). */
export function enforceDeadlines(schema: GraphQLSchema): void {
  if (enforced.has(schema)) return;
  enforced.add(schema);
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith("__")) continue;
    for (const field of Object.values(type.getFields())) {
      const resolve = field.resolve;
      // Fields without a resolver read a property: too cheap to need a check.
      if (resolve === undefined) continue;
      const checked: GraphQLFieldResolver<unknown, unknown> = (source, args, context, info) => {
        (context as { deadline?: Deadline } | undefined)?.deadline?.check();
        return resolve(source, args, context, info);
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
