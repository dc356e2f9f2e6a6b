// With the u flag a surrogate pair is one code point, so \p{Cs} (surrogate) matches only a
// lone one: a UTF-16 string that no UTF-8 store can hold as it is (Node 20 also has
// String.prototype.isWellFormed; this works wherever the regex does).
const LONE_SURROGATE = /\p{Cs}/u;

/** True when `text` is well-formed Unicode: no lone UTF-16 surrogate. */
export function isWellFormed(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

/** The first string in a JSON-like value (keys included) that is not well-formed, or undefined. */
export function firstIllFormed(value: unknown, depth = 0): string | undefined {
  if (typeof value === "string") return isWellFormed(value) ? undefined : value;
  if (value === null || typeof value !== "object" || depth > 64) return undefined;
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = firstIllFormed(item, depth + 1);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  for (const [key, item] of Object.entries(value)) {
    if (!isWellFormed(key)) return key;
    const found = firstIllFormed(item, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}
