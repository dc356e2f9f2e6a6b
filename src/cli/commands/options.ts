/** Argument reading that the commands share, so each accepts its options the same way. */

export function isHelp(arg: string): boolean {
  return arg === "--help" || arg === "-h";
}

/**
 * `--name value` or `--name=value` at args[i]: its value (undefined when nothing follows) and the
 * index of the last argument it used, for the caller's loop to go on after; null when args[i] is
 * another argument.
 */
export function optionAt(
  args: readonly string[],
  i: number,
  name: string,
): { readonly value: string | undefined; readonly last: number } | null {
  const arg = args[i];
  if (arg === name) return { value: args[i + 1], last: i + 1 };
  if (arg?.startsWith(`${name}=`)) return { value: arg.slice(name.length + 1), last: i };
  return null;
}
