import { pino, type DestinationStream } from "pino";

/** The logging port: structured fields, never secrets. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** A logger whose every line also carries `bindings` (e.g. the request id). */
  child(bindings: Record<string, unknown>): Logger;
  /**
   * The same lines without redaction, for callers whose every field is a value they built and
   * know holds no secret (the access log: method, path, status, time, key name). Redaction walks
   * every redacted path of every line, which was a seventh of the cost of a trivial request.
   */
  unredacted(): Logger;
}

export const LOG_LEVELS = ["debug", "info", "warn", "error", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Field paths whose values never reach a log line, wherever a caller puts them: credentials in
 * headers, connection parameters and configuration. Redaction is the safety net; callers log
 * key names, not keys.
 */
const SECRET_KEYS = [
  "authorization",
  "Authorization",
  '["x-api-key"]',
  "apiKey",
  "apiKeys",
  "password",
  "secret",
  "token",
  "cookie",
];
export const REDACTED_PATHS = [
  ...SECRET_KEYS.map((key) => (key.startsWith("[") ? `*${key}` : `*.${key}`)),
  ...SECRET_KEYS.map((key) => (key.startsWith("[") ? `*.*${key}` : `*.*.${key}`)),
  ...SECRET_KEYS,
];

export interface LoggerOptions {
  readonly level?: LogLevel;
  /** Where lines go; stderr by default, so stdout stays free for command output. */
  readonly destination?: DestinationStream;
}

/**
 * pino, writing one JSON object per line: `level` (a name), `time`, `pid`, the fields, then
 * `message`. Lines are redacted and written unbuffered to stderr (or `destination`); the
 * unredacted() twin writes to buffered stderr instead, unless a destination is given.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const destination = options.destination ?? pino.destination({ dest: 2, sync: true });
  const settings = {
    level: options.level ?? "info",
    messageKey: "message",
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  const root = pino({ ...settings, redact: { paths: REDACTED_PATHS, censor: "[redacted]" } }, destination);
  return adapt(root, pino(settings, options.destination ?? bufferedStderr()));
}

/**
 * Stderr for access lines: written in blocks of whole lines (at 4 KiB, every 250 ms, and at exit)
 * instead of one system call per request, which was a tenth of the cost of a trivial query.
 * Other lines (warnings, errors) stay unbuffered, so that they are out before a crash.
 */
function bufferedStderr(): DestinationStream {
  if (sharedBufferedStderr === null) {
    const stream = pino.destination({ dest: 2, sync: true, minLength: 4096, periodicFlush: 250 });
    process.once("exit", () => stream.flushSync());
    sharedBufferedStderr = stream;
  }
  return sharedBufferedStderr;
}

/** One per process: every logger's access lines share it (and its one exit hook). */
let sharedBufferedStderr: DestinationStream | null = null;

/** The name callers have used since before pino: a stderr logger at `minimum`. */
export function createJsonLogger(minimum: LogLevel = "info"): Logger {
  return createLogger({ level: minimum });
}

function adapt(log: pino.Logger, plain: pino.Logger | null): Logger {
  let unredacted: Logger | null = null;
  return {
    debug: (message, fields) => log.debug(fields ?? {}, message),
    info: (message, fields) => log.info(fields ?? {}, message),
    warn: (message, fields) => log.warn(fields ?? {}, message),
    error: (message, fields) => log.error(fields ?? {}, message),
    child: (bindings) => adapt(log.child(bindings), plain?.child(bindings) ?? null),
    unredacted: () => (unredacted ??= plain === null ? adapt(log, null) : adapt(plain, null)),
  };
}

export function errorFields(error: unknown): Record<string, unknown> {
  return error instanceof Error ? { error: error.message, stack: error.stack } : { error: String(error) };
}
