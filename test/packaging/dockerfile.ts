/**
 * Reads the Dockerfile into stages and instructions, for the packaging test that carries them out
 * without a Docker engine. It understands the subset the Dockerfile keeps to (its header says so):
 * line continuations, comments, `FROM … AS name`, plain COPY paths, KEY=VALUE ENV and JSON exec forms.
 */
export interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

export interface Stage {
  readonly name: string;
  readonly instructions: readonly Instruction[];
}

export function parseDockerfile(text: string): Stage[] {
  const lines: string[] = [];
  let pending = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    if (line.endsWith("\\")) {
      pending += `${line.slice(0, -1).trim()} `;
      continue;
    }
    lines.push(pending + line);
    pending = "";
  }
  const stages: { name: string; instructions: Instruction[] }[] = [];
  for (const line of lines) {
    const [keyword = "", ...rest] = line.split(/\s+/);
    const args = rest.join(" ");
    if (keyword.toUpperCase() === "FROM") {
      stages.push({ name: /\bAS\s+(\S+)$/i.exec(args)?.[1] ?? String(stages.length), instructions: [] });
    } else if (stages.length > 0) {
      stages.at(-1)?.instructions.push({ keyword: keyword.toUpperCase(), args });
    } else if (keyword.toUpperCase() !== "ARG") {
      throw new Error(`Dockerfile: ${keyword} before the first FROM`);
    }
  }
  return stages;
}

/** The JSON exec form of CMD, ENTRYPOINT, VOLUME or what follows HEALTHCHECK's CMD. */
export function execForm(args: string): string[] {
  const json = args.startsWith("[") ? args : /\bCMD\s+(\[.*\])$/.exec(args)?.[1];
  const parsed: unknown = json === undefined ? undefined : JSON.parse(json);
  if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === "string")) {
    throw new Error(`Dockerfile: expected the JSON form ["…", …], got ${args}`);
  }
  return parsed;
}

/** `ENV A=1 B=2`, without quotes (the Dockerfile uses none). */
export function envPairs(args: string): [string, string][] {
  return args.split(/\s+/).map((pair) => {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=([^"'\s]*)$/.exec(pair);
    if (match === null) throw new Error(`Dockerfile: ENV ${pair} is not a plain KEY=VALUE`);
    return [match[1] ?? "", match[2] ?? ""];
  });
}

/** `COPY [--from=stage] SOURCE... DEST`. */
export function copyArgs(args: string): { from?: string; sources: string[]; dest: string } {
  const words = args.split(/\s+/);
  const from = words[0]?.startsWith("--from=") ? words.shift()?.slice("--from=".length) : undefined;
  const dest = words.pop();
  if (dest === undefined || words.length === 0 || words.some((word) => word.startsWith("--"))) {
    throw new Error(`Dockerfile: COPY ${args} is not of the form COPY [--from=stage] SOURCE... DEST`);
  }
  return { ...(from === undefined ? {} : { from }), sources: words, dest };
}
