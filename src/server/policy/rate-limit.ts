import {
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from "graphql";

export type TakeResult = { readonly ok: true } | { readonly ok: false; readonly retryAfterSeconds: number };

/**
 * One token bucket per caller: `ratePerSecond` tokens flow in, up to `burst`; recording n
 * events takes n tokens. A refused request takes nothing, so a client that waits the
 * advertised time gets through.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; updatedMs: number }>();

  constructor(
    readonly ratePerSecond: number,
    readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  take(caller: string, tokens: number): TakeResult {
    const nowMs = this.now();
    const bucket = this.buckets.get(caller) ?? { tokens: this.burst, updatedMs: nowMs };
    bucket.tokens = Math.min(
      this.burst,
      bucket.tokens + ((nowMs - bucket.updatedMs) / 1000) * this.ratePerSecond,
    );
    bucket.updatedMs = nowMs;
    this.buckets.set(caller, bucket);
    if (this.buckets.size > 10_000) this.forgetFull(nowMs);
    // A batch larger than the burst could never pass; it waits for a full bucket instead.
    const needed = Math.min(tokens, this.burst);
    if (bucket.tokens >= needed) {
      bucket.tokens -= needed;
      return { ok: true };
    }
    return {
      ok: false,
      retryAfterSeconds: Math.max(1, Math.ceil((needed - bucket.tokens) / this.ratePerSecond)),
    };
  }

  /** Buckets that have refilled are indistinguishable from new ones: dropping them bounds memory. */
  private forgetFull(nowMs: number): void {
    for (const [caller, bucket] of this.buckets) {
      if (bucket.tokens + ((nowMs - bucket.updatedMs) / 1000) * this.ratePerSecond >= this.burst) {
        this.buckets.delete(caller);
      }
    }
  }
}

const INGEST_FIELDS = new Map<string, string | null>([
  ["recordEvent", null],
  ["recordEvents", "events"],
]);

/**
 * How many events a mutation asks to record, before any validation: a literal list counts its
 * items, a variable counts the array it holds (a single object coerces to a one-item list).
 */
export function eventsRequested(
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Readonly<Record<string, unknown>>,
): number {
  if (operation.operation !== "mutation") return 0;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const count = (selectionSet: SelectionSetNode, visiting: ReadonlySet<string>): number => {
    let total = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const listArgument = INGEST_FIELDS.get(selection.name.value);
        if (listArgument === undefined) continue;
        if (listArgument === null) {
          total += 1;
          continue;
        }
        const value = selection.arguments?.find((arg) => arg.name.value === listArgument)?.value;
        if (value?.kind === Kind.LIST) total += value.values.length;
        else if (value?.kind === Kind.VARIABLE) {
          const held = variables[value.name.value];
          total += Array.isArray(held) ? held.length : 1;
        } else total += 1;
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        total += count(selection.selectionSet, visiting);
      } else {
        const fragment = fragments.get(selection.name.value);
        if (fragment && !visiting.has(selection.name.value)) {
          total += count(fragment.selectionSet, new Set([...visiting, selection.name.value]));
        }
      }
    }
    return total;
  };
  return count(operation.selectionSet, new Set());
}
