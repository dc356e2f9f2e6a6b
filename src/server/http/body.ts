import type { IncomingMessage } from "node:http";

export class BodyError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The body as raw bytes, up to `limit`: a larger one is refused (BodyError 413) before it is
 * buffered whole. Raw because a signature (GitHub's) covers bytes, not decoded text.
 */
export async function readRawBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(request.headers["content-length"] ?? "0");
  if (declared > limit) throw new BodyError(413, `request body exceeds ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limit) throw new BodyError(413, `request body exceeds ${limit} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/** The body as text, up to `limit` bytes; bytes that are not UTF-8 are a BodyError 400. */
export async function readBody(request: IncomingMessage, limit: number): Promise<string> {
  const bytes = await readRawBody(request, limit);
  try {
    return UTF8.decode(bytes);
  } catch {
    throw new BodyError(400, "request body is not valid UTF-8");
  }
}

// Fatal: bytes that are not UTF-8 are refused rather than silently replaced with U+FFFD.
const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** Parses a JSON body; the caller answers 400 for a body that is not JSON. */
export function parseJsonBody(text: string): unknown {
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new BodyError(400, "request body is not valid JSON");
  }
}
