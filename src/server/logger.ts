import { pino, type DestinationStream } from "pino";

/** The logging port: structured fields, never secrets. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** A logger whose every line also carries `bindings` (e.g. the request id). */
  child(bindings: Record<string, unknown>): Logger;
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

/** pino, writing one JSON object per line: `time`, `level` (a name), `message`, then fields. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const destination = options.destination ?? pino.destination({ dest: 2, sync: true });
  const root = pino(
    {
      level: options.level ?? "info",
      messageKey: "message",
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
    },
    destination,
  );
  return adapt(root);
}

/** The name callers have used since before pino: a stderr logger at `minimum`. */
export function createJsonLogger(minimum: LogLevel = "info"): Logger {
  return createLogger({ level: minimum });
}

function adapt(log: pino.Logger): Logger {
  return {
    debug: (message, fields) => log.debug(fields ?? {}, message),
    info: (message, fields) => log.info(fields ?? {}, message),
    warn: (message, fields) => log.warn(fields ?? {}, message),
    error: (message, fields) => log.error(fields ?? {}, message),
    child: (bindings) => adapt(log.child(bindings)),
  };
}

export function errorFields(error: unknown): Record<string, unknown> {
  return error instanceof Error ? { error: error.message, stack: error.stack } : { error: String(error) };
}
