import { createHmac, timingSafeEqual } from "node:crypto";

/** `sha256=` + hex HMAC-SHA256 of the raw body: the `X-Hub-Signature-256` GitHub sends. */
export function signatureOf(secret: string, body: Buffer | string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/**
 * Checks an `X-Hub-Signature-256` header against the raw body, in constant time. Lengths are
 * compared first (timingSafeEqual throws on unequal lengths; the length of a valid signature is
 * public anyway).
 */
export function verifySignature(
  secret: string,
  body: Buffer | string,
  header: string | null | undefined,
): boolean {
  if (typeof header !== "string" || header === "") return false;
  const expected = Buffer.from(signatureOf(secret, body), "utf8");
  const given = Buffer.from(header.trim(), "utf8");
  return given.length === expected.length && timingSafeEqual(given, expected);
}
