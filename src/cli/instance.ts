import { GitHubPoller } from "../sources/github/poller.js";
import { createApp, type App, type AppHooks } from "../app/app.js";
import type { Config } from "../app/config.js";
import { loadGitHubConfig, type GitHubConfig } from "../sources/github/config.js";
import { graphiqlRoutes } from "../server/routes/graphiql.js";
import { healthRoutes } from "../server/routes/health.js";
import { replyRoute } from "../server/http/reply-route.js";
import { GRAPHQL_PATH } from "../server/http/responses.js";
import { startServer, type RunningServer } from "../server/http/server.js";
import { GITHUB_WEBHOOK_PATH, receiveDelivery } from "../sources/github/delivery.js";
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
      routes: [
        ...healthRoutes(app.store),
        metricsRoute(app.metrics),
        ...(config.hardening.graphiql ? graphiqlRoutes({ endpoint: GRAPHQL_PATH }) : []),
        // Public: a delivery is authenticated by its signature, not by an API key.
        replyRoute(GITHUB_WEBHOOK_PATH, "public", (request) =>
          receiveDelivery(request, { config: github.webhook, ingest: app.services.ingest, logger }),
        ),
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
