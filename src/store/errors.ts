/**
 * The store cannot answer right now (unreachable, timed out, overloaded, locked): retry later.
 * Each adapter throws it in place of the driver errors it knows to mean that, so callers need not
 * know any driver. `cause` is the driver's error.
 */
export class StoreUnavailableError extends Error {
  override readonly name = "StoreUnavailableError";

  constructor(cause: unknown) {
    super("the event store is unavailable right now", { cause });
  }
}

/** How many causes deep a driver's error is looked for: wrappers rarely nest further. */
const MAX_CAUSE_DEPTH = 5;

/** True when `error`, or one of its first causes, is an Error that `matches`. */
export function someCause(error: unknown, matches: (error: Error) => boolean): boolean {
  for (let current: unknown = error, hops = 0; current instanceof Error && hops < MAX_CAUSE_DEPTH; hops++) {
    if (matches(current)) return true;
    current = current.cause;
  }
  return false;
}

/** Runs one call of an adapter, throwing StoreUnavailableError for the errors `isUnavailable` knows. */
export async function mapUnavailable<T>(
  isUnavailable: (error: unknown) => boolean,
  call: () => Promise<T>,
): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof StoreUnavailableError || !isUnavailable(error)) throw error;
    throw new StoreUnavailableError(error);
  }
}
