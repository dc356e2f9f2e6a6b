import {
  createSourceEventStream,
  execute,
  GraphQLError,
  print,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLFormattedError,
} from "graphql";
import { StreamOverflowError } from "../../services/live/watch-stream.js";
import type { PushFrame, SocketOutbox } from "./outbox.js";

/** How a subscription's pushes wait for a slow socket: only the latest, or every one. */
export type Delivery = "latest" | "every";

/** Where one subscription's pushes go: its socket's outbox, under its graphql-ws operation id. */
export interface LiveTarget {
  readonly outbox: SocketOutbox;
  readonly id: string;
  readonly delivery: Delivery;
}

export interface SharedSubscriptionsOptions {
  /** A fresh context for executing one pushed value: DataLoaders must not outlive one push. */
  readonly context: () => unknown;
  /** The errors of a pushed result as the client sees them (formatted and counted once). */
  readonly format: (errors: readonly GraphQLError[]) => GraphQLFormattedError[];
  /** Called with the number of members each pushed value went to (for metrics). */
  readonly pushed?: (members: number) => void;
}

/** A subscription of one socket in a group, as graphql-ws iterates it: it never yields. */
class Member implements AsyncIterableIterator<never> {
  /** The start of every frame this member sends: everything but the payload. */
  readonly head: Buffer;
  private settle: ((error: unknown) => void) | null = null;
  private readonly ended: Promise<IteratorResult<never>>;
  private left = false;

  constructor(
    readonly target: LiveTarget,
    private readonly leave: (member: Member) => void,
  ) {
    this.head = Buffer.from(`{"id":${JSON.stringify(target.id)},"type":"next","payload":`);
    this.ended = new Promise((resolve, reject) => {
      this.settle = (error) => (error === null ? resolve({ value: undefined, done: true }) : reject(error));
    });
    // graphql-ws may stop listening without awaiting (a socket closed mid-subscribe).
    this.ended.catch(() => undefined);
  }

  deliver(payload: Buffer): void {
    const frame: PushFrame = { head: this.head, body: payload };
    this.target.outbox.push(frame, this.target.delivery === "latest" ? this.target.id : null);
  }

  /** The group ended: graphql-ws completes the operation, or sends `error` when `error` is set. */
  end(error: unknown): void {
    this.settle?.(error);
    this.settle = null;
  }

  next(): Promise<IteratorResult<never>> {
    return this.ended;
  }

  async return(): Promise<IteratorResult<never>> {
    if (!this.left) {
      this.left = true;
      this.target.outbox.drop(this.target.id);
      this.leave(this);
    }
    this.end(null);
    return { value: undefined, done: true };
  }

  throw(): Promise<IteratorResult<never>> {
    return this.return();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/** The subscriptions running one operation with the same variables. */
class Group {
  readonly members = new Set<Member>();
  source: AsyncIterator<unknown> | null = null;
  closed = false;

  constructor(
    readonly key: string,
    readonly args: ExecutionArgs,
  ) {}
}

/**
 * Subscriptions that run the same document with the same variables share one execution: one
 * source stream (and so one watch in the live fan-out), one execution of the selection per pushed
 * value, one JSON serialization; each member only adds its operation id to the frame, which goes to
 * its socket's outbox. Subscription results depend on the operation alone (resolvers see services,
 * never the caller), so sharing them across sockets is safe.
 */
export class SharedSubscriptions {
  private readonly groups = new Map<string, { group: Group; started: Promise<ExecutionResult | null> }>();

  constructor(private readonly options: SharedSubscriptionsOptions) {}

  /** Distinct executions running now. */
  get size(): number {
    return this.groups.size;
  }

  /**
   * Joins the group of `args` (starting it if there is none). Returns what graphql-ws iterates
   * until the subscription ends, or the result of a subscription that failed to start.
   */
  async subscribe(
    args: ExecutionArgs,
    target: LiveTarget,
  ): Promise<AsyncIterableIterator<never> | ExecutionResult> {
    const key = groupKey(args);
    for (;;) {
      let entry = this.groups.get(key);
      if (!entry) {
        const group = new Group(key, args);
        entry = { group, started: this.start(group) };
        this.groups.set(key, entry);
      }
      const failed = await entry.started;
      if (failed !== null) return failed;
      // The group may have lost its last member (and stopped) while this one waited: start anew.
      if (entry.group.closed) continue;
      const member: Member = new Member(target, (left) => this.leave(entry.group, left));
      entry.group.members.add(member);
      return member;
    }
  }

  private async start(group: Group): Promise<ExecutionResult | null> {
    let stream: AsyncIterable<unknown> | ExecutionResult;
    try {
      stream = await createSourceEventStream(group.args);
    } catch (error) {
      this.forget(group);
      throw error;
    }
    if (!(Symbol.asyncIterator in stream)) {
      this.forget(group);
      return stream;
    }
    group.source = stream[Symbol.asyncIterator]();
    void this.pump(group);
    return null;
  }

  /** Executes each value of the group's source once and hands the serialized result to every member. */
  private async pump(group: Group): Promise<void> {
    const source = group.source!;
    let failure: unknown = null;
    try {
      for (;;) {
        const next = await source.next();
        if (next.done || group.closed) break;
        const result = await execute({
          ...group.args,
          rootValue: next.value,
          contextValue: this.options.context(),
        });
        if (group.closed) break;
        const payload = Buffer.from(
          JSON.stringify(result.errors ? { ...result, errors: this.options.format(result.errors) } : result),
        );
        for (const member of group.members) member.deliver(payload);
        this.options.pushed?.(group.members.size);
      }
    } catch (error) {
      failure = error instanceof GraphQLError ? error : liveFailure(error);
    }
    this.forget(group);
    for (const member of group.members) member.end(failure);
    group.members.clear();
    if (failure === null) return;
    await source.return?.();
  }

  private leave(group: Group, member: Member): void {
    group.members.delete(member);
    if (group.members.size > 0 || group.closed) return;
    this.forget(group);
    void group.source?.return?.();
  }

  private forget(group: Group): void {
    group.closed = true;
    if (this.groups.get(group.key)?.group === group) this.groups.delete(group.key);
  }
}

/** Operations share a group when their text, name and variables are the same. */
function groupKey(args: ExecutionArgs): string {
  const text = args.document.loc?.source.body ?? print(args.document);
  return JSON.stringify([text, args.operationName ?? null, args.variableValues ?? null]);
}

/** A source that failed: the members get an error carrying a code, not an internal message. */
function liveFailure(error: unknown): GraphQLError {
  if (error instanceof StreamOverflowError)
    return new GraphQLError(error.message, { extensions: { code: "SUBSCRIPTION_OVERFLOW" } });
  return new GraphQLError("live updates stopped", {
    originalError: error instanceof Error ? error : undefined,
  });
}
