/** `write` keys may record events and read; `read` keys may only read. */
export type KeyScope = "read" | "write";

export interface ApiKey {
  readonly name: string;
  readonly key: string;
  readonly scope: KeyScope;
}

const KEY_PATTERN = /^[A-Za-z0-9_\-.~+/=]{16,512}$/;
const NAME_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * Parses `EVENTSCORE_API_KEYS` items: `name:key`, `name:key:read` or a bare `key` (named
 * `key-N`). Messages name the item by position only, so a typo never prints a key.
 */
export function parseApiKeys(items: readonly string[]): ApiKey[] {
  const keys = items.map((item, index): ApiKey => {
    const parts = item.split(":");
    const position = `item ${index + 1}`;
    if (parts.length > 3) throw new Error(`${position} has more than name:key:scope`);
    const [first, second, third] = parts;
    const name = parts.length === 1 ? `key-${index + 1}` : (first ?? "");
    const key = parts.length === 1 ? (first ?? "") : (second ?? "");
    const scope = third ?? "write";
    if (!NAME_PATTERN.test(name)) throw new Error(`${position}: the name must match ${NAME_PATTERN.source}`);
    if (!KEY_PATTERN.test(key)) {
      throw new Error(`${position} (${name}): a key is 16 to 512 characters of A-Z a-z 0-9 _ - . ~ + / =`);
    }
    if (scope !== "read" && scope !== "write") {
      throw new Error(`${position} (${name}): the scope must be read or write`);
    }
    return { name, key, scope };
  });
  const names = new Set<string>();
  for (const { name } of keys) {
    if (names.has(name)) throw new Error(`the name ${name} is used twice`);
    names.add(name);
  }
  if (new Set(keys.map((k) => k.key)).size !== keys.length) throw new Error("a key is listed twice");
  return keys;
}
