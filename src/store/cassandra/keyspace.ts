/**
 * The one rule for Cassandra keyspace names. A keyspace cannot be a bound parameter, so it is
 * written into CQL text (migrations, every table name); only a name this rule accepts may get
 * there. It is also Cassandra's own limit: letters, digits and _, at most 48 characters.
 */
export const KEYSPACE_PATTERN = /^[A-Za-z][A-Za-z0-9_]{0,47}$/;

/** Why `keyspace` cannot be used as a keyspace name, or null when it can. */
export function keyspaceNameProblem(keyspace: string): string | null {
  return KEYSPACE_PATTERN.test(keyspace)
    ? null
    : `invalid keyspace name "${keyspace}": use letters, digits and _ (max 48, starting with a letter)`;
}

/** The name itself when it is valid; otherwise throws the problem, before any CQL is built. */
export function checkKeyspaceName(keyspace: string): string {
  const problem = keyspaceNameProblem(keyspace);
  if (problem !== null) throw new Error(problem);
  return keyspace;
}
