/**
 * GraphQL over HTTP asks servers answering `application/json` (the legacy media type) to use 200
 * for every well-formed request, whatever GraphQL errors it met: clients of that media type read
 * errors from the body and treat other statuses as transport failures. Apollo answers 400 for
 * parse, validation and variable-coercion failures whatever the media type, and so do our own
 * limits (they refuse before execution). Under `application/json` those become 200 here; a
 * malformed request (BAD_REQUEST: no query, a batch, a CSRF refusal) stays 400, and statuses with
 * HTTP meaning (401, 403, 405, 406, 413, 415, 429, 5xx) are kept. Under
 * `application/graphql-response+json` every status is kept, as that media type asks.
 */
export function legacyStatus(status: number, contentType: string | undefined, body: string): number {
  if (status !== 400 || !contentType?.toLowerCase().startsWith("application/json")) return status;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return status;
  }
  const errors = (parsed as { errors?: { extensions?: { code?: unknown } }[] } | null)?.errors;
  if (!Array.isArray(errors) || errors.length === 0) return status;
  return errors.some((error) => error.extensions?.code === "BAD_REQUEST") ? status : 200;
}
