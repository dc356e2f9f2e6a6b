import { createApp } from "../../app/app.js";
import { loadConfig } from "../../app/config.js";
import { loadGitHubConfig } from "../../sources/github/config.js";
import { createJsonLogger } from "../../app/logger.js";
import { GitHubPoller } from "../../sources/github/poller.js";
import { isHelp, optionAt } from "./options.js";

export const POLL_GITHUB_USAGE = `usage: eventscore poll-github [--once] [--target events|users/NAME|orgs/NAME|repos/OWNER/NAME]

Polls the GitHub Events API and records new events until SIGINT/SIGTERM (or once, with --once).
Settings: GITHUB_POLL_TARGET, GITHUB_TOKEN, GITHUB_POLL_URL, GITHUB_POLL_INTERVAL_MS, ... (docs/github.md).
`;

/** `eventscore poll-github` */
export async function runPollGitHub(args: readonly string[]): Promise<number> {
  let once = false;
  let target: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const targetOption = optionAt(args, i, "--target");
    if (isHelp(arg)) {
      process.stdout.write(POLL_GITHUB_USAGE);
      return 0;
    } else if (arg === "--once") {
      once = true;
    } else if (targetOption !== null) {
      i = targetOption.last;
      target = targetOption.value;
    } else {
      process.stderr.write(`eventscore poll-github: unknown argument ${arg}\n${POLL_GITHUB_USAGE}`);
      return 2;
    }
  }
  const github = loadGitHubConfig(
    target === undefined ? process.env : { ...process.env, GITHUB_POLL_TARGET: target },
  );
  const logger = createJsonLogger();
  const app = await createApp(loadConfig(), logger);
  try {
    const poller = new GitHubPoller(github.poll, { sink: app.services.ingest, logger });
    if (once) {
      const result = await poller.pollOnce();
      process.stdout.write(`${JSON.stringify({ ...result, stats: poller.stats })}\n`);
      return result.status === "error" ? 1 : 0;
    }
    const controller = new AbortController();
    const stop = (): void => controller.abort();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    try {
      await poller.run(controller.signal);
    } finally {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
    }
    process.stdout.write(`${JSON.stringify(poller.stats)}\n`);
    return 0;
  } finally {
    await app.close();
  }
}
