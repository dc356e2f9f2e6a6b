import { createApp } from "../../app/app.js";
import { loadConfig } from "../../app/config.js";
import { createJsonLogger } from "../../app/logger.js";
import { formatSummary, importArchives } from "../../sources/github/importer.js";
import { isHelp, optionAt } from "./options.js";

export const IMPORT_USAGE = `usage: eventscore import [--batch-size N] [--no-progress] FILE...

Imports GH Archive hours (https://www.gharchive.org; NDJSON, .json or .json.gz) into the
configured store. Re-running an import changes nothing. Progress goes to stderr, the summary
to stdout. Exit status: 0 when every file was read, 1 when a file could not be read.
`;

/** `eventscore import FILE...` */
export async function runImport(args: readonly string[]): Promise<number> {
  const files: string[] = [];
  let batchSize: number | undefined;
  let progress = true;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const batchOption = optionAt(args, i, "--batch-size");
    if (isHelp(arg)) {
      process.stdout.write(IMPORT_USAGE);
      return 0;
    } else if (arg === "--no-progress") {
      progress = false;
    } else if (batchOption !== null) {
      i = batchOption.last;
      batchSize = Number(batchOption.value);
      if (!Number.isInteger(batchSize) || batchSize < 1) {
        process.stderr.write(`eventscore import: --batch-size must be a positive whole number\n`);
        return 2;
      }
    } else if (arg.startsWith("--")) {
      process.stderr.write(`eventscore import: unknown option ${arg}\n${IMPORT_USAGE}`);
      return 2;
    } else {
      files.push(arg);
    }
  }
  if (files.length === 0) {
    process.stderr.write(IMPORT_USAGE);
    return 2;
  }

  const app = await createApp(loadConfig(), createJsonLogger("warn"));
  try {
    const summary = await importArchives(files, {
      sink: app.services.ingest,
      ...(batchSize === undefined ? {} : { batchSize }),
      progress: progress ? process.stderr : null,
    });
    process.stdout.write(formatSummary(summary));
    return summary.failedFiles > 0 ? 1 : 0;
  } finally {
    await app.close();
  }
}
