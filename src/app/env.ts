/**
 * Typed reading of environment variables. A bad value throws a ConfigError that names the
 * variable, what it holds and what it should hold, so the server refuses to start with a
 * message an operator can act on.
 */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
  }
}

export type Env = Readonly<Record<string, string | undefined>>;

export class EnvReader {
  constructor(private readonly env: Env) {}

  string(name: string, fallback: string): string {
    const value = this.env[name];
    return value === undefined || value === "" ? fallback : value;
  }

  optionalString(name: string): string | null {
    const value = this.env[name];
    return value === undefined || value === "" ? null : value;
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const raw = this.env[name];
    if (raw === undefined || raw === "") return fallback;
    if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(name, `"${raw}" is not a whole number`);
    const value = Number(raw);
    if (value < min || value > max) throw new ConfigError(name, `${value} is outside ${min}..${max}`);
    return value;
  }

  /** A duration with its unit (`500ms`, `30s`, `15m`, `12h`, `1d`; `0` alone is allowed), in ms. */
  duration(name: string, fallbackMs: number, minMs: number, maxMs: number): number {
    const raw = this.env[name];
    if (raw === undefined || raw.trim() === "") return fallbackMs;
    const match = /^(\d+)\s*(ms|s|m|h|d)?$/.exec(raw.trim().toLowerCase());
    if (!match || (match[2] === undefined && match[1] !== "0")) {
      throw new ConfigError(name, `"${raw}" is not a duration with a unit (e.g. 1d, 12h, 30m, 90s, 500ms)`);
    }
    const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
    const value = Number(match[1]) * (units[match[2] ?? "ms"] ?? 1);
    if (value < minMs || value > maxMs) {
      throw new ConfigError(name, `${raw} is outside ${minMs / 86_400_000}..${maxMs / 86_400_000} days`);
    }
    return value;
  }

  boolean(name: string, fallback: boolean): boolean {
    const raw = this.env[name];
    if (raw === undefined || raw === "") return fallback;
    const normalized = raw.trim().toLowerCase();
    if (["1", "true", "yes", "on"].includes(normalized)) return true;
    if (["0", "false", "no", "off"].includes(normalized)) return false;
    throw new ConfigError(name, `"${raw}" is not a boolean (use true or false)`);
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.env[name];
    if (raw === undefined || raw === "") return fallback;
    const match = allowed.find((value) => value.toLowerCase() === raw.trim().toLowerCase());
    if (match === undefined) throw new ConfigError(name, `"${raw}" is not one of ${allowed.join(", ")}`);
    return match;
  }

  list(name: string, fallback: readonly string[]): string[] {
    const raw = this.env[name];
    if (raw === undefined || raw.trim() === "") return [...fallback];
    return raw
      .split(",")
      .map((item) => item.trim())
      .filter((item) => item.length > 0);
  }
}
