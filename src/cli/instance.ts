import { GitHubPoller } from "../sources/github/poller.js";
import { createApp, type App, type AppHooks } from "../app/app.js";
import type { Config } from "../app/config.js";
import { loadGitHubConfig, type GitHubConfig } from "../sources/github/config.js";
import { githubWebhookRoute } from "../server/routes/github-webhook.js";
import { graphiqlRoute } from "../server/routes/graphiql.js";
import { healthRoute } from "../server/routes/health.js";
import { GRAPHQL_PATH, startServer, type RunningServer } from "../server/http/server.js";
import type { Logger } from "../app/logger.js";
import { Metrics } from "../app/metrics.js";
import { metricsRoute } from "../server/routes/metrics.js";
import { reportsCsvRoute } from "../server/routes/reports-csv.js";

export interface Instance {
  readonly app: App;
  readonly server: RunningServer;
  /** Stops the poller, drains and closes the server (see RunningServer.close), then releases the store and pub/sub. */
  stop(): Promise<void>;
}

/** Builds the app and serves it: what `eventscore serve` and the end-to-end tests run. */
export async function startInstance(
  config: Config,
  logger: Logger,
  github: GitHubConfig = loadGitHubConfig(),
  hooks: AppHooks = {},
): Promise<Instance> {
  const app = await createApp(config, logger, new Metrics(), hooks);
  try {
    const server = await startServer(app, {
      host: config.host,
      port: config.port,
      maxBodyBytes: config.maxBodyBytes,
      routes: [
        healthRoute(app.store),
        metricsRoute(app.metrics),
        ...(config.hardening.graphiql ? [graphiqlRoute({ endpoint: GRAPHQL_PATH })] : []),
        githubWebhookRoute({ config: github.webhook, ingest: app.services.ingest, logger }),
        reportsCsvRoute(app.services.reports),
      ],
    });
    const poller = github.poll.onStart
      ? new GitHubPoller(github.poll, { sink: app.services.ingest, logger }).start()
      : null;
    return {
      app,
      server,
      stop: async () => {
        await poller?.stop();
        await server.close();
        await app.close();
      },
    };
  } catch (error) {
    await app.close();
    throw error;
  }
}
