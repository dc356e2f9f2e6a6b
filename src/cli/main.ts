import "reflect-metadata";
import { printSchema } from "graphql";
import { createSchema } from "../graphql/schema.js";
import { loadConfig } from "../app/config.js";
import { ConfigError } from "../app/env.js";
import { createJsonLogger } from "../app/logger.js";
import { installShutdown } from "./shutdown.js";
import { startInstance } from "./instance.js";
import { createApp } from "../app/app.js";
import { RefusedError, type AggregatorHandle } from "../app/backend.js";
import { runImport } from "./commands/import.js";
import { runPollGitHub } from "./commands/poll-github.js";

const USAGE = `usage: eventscore <command>

commands:
  serve            start the GraphQL server (configuration from environment variables; see README)
                   --aggregate also runs an aggregator in the same process (Kafka log only)
  aggregate        join the aggregators: apply the Kafka log to Cassandra (EVENTSCORE_LOG=kafka)
  print-schema     print the GraphQL schema (SDL) generated from the code
  migrate          apply store migrations and exit
  rebuild          recompute every aggregate and leaderboard from the event log
  import FILE...   import GH Archive hours (.json / .json.gz); see docs/github.md
  poll-github      poll the GitHub Events API and record new events (--once for one poll)
`;

async function main(argv: string[]): Promise<number> {
  const [command] = argv;
  switch (command) {
    case "serve":
      return serve(argv.slice(1));
    case "aggregate":
      return aggregate();
    case "print-schema":
      process.stdout.write(`${printSchema(await createSchema())}\n`);
      return 0;
    case "migrate":
    case "rebuild":
      return maintain(command);
    case "import":
      return runImport(argv.slice(1));
    case "poll-github":
      return runPollGitHub(argv.slice(1));
    default:
      process.stderr.write(USAGE);
      return command === undefined || command === "help" || command === "--help" ? 0 : 2;
  }
}

async function serve(args: string[]): Promise<number> {
  const unknown = args.filter((arg) => arg !== "--aggregate");
  if (unknown.length > 0) {
    process.stderr.write(`eventscore serve: unknown option ${unknown[0]}\n${USAGE}`);
    return 2;
  }
  const config = loadConfig();
  const logger = createJsonLogger(config.hardening.logLevel);
  const instance = await startInstance(config, logger);
  let aggregator: AggregatorHandle | null = null;
  if (args.includes("--aggregate")) {
    if (instance.app.startAggregator === null) {
      await instance.stop();
      throw new ConfigError(
        "EVENTSCORE_LOG",
        "--aggregate needs EVENTSCORE_LOG=kafka (the embedded store has no log)",
      );
    }
    aggregator = await instance.app.startAggregator();
  }
  installShutdown(
    {
      stop: async () => {
        await aggregator?.stop();
        await instance.stop();
      },
    },
    logger,
  );
  logger.info("eventscore is up", {
    graphql: instance.server.url,
    graphiql: config.hardening.graphiql ? `open ${instance.server.url} in a browser` : "disabled",
    store: instance.app.store.kind,
  });
  process.stdout.write(`eventscore: GraphQL at ${instance.server.url} (store: ${instance.app.store.kind})\n`);
  return new Promise<number>(() => undefined);
}

/** `eventscore aggregate`: one member of the aggregators' consumer group, until a signal. */
async function aggregate(): Promise<number> {
  const config = loadConfig();
  const logger = createJsonLogger(config.hardening.logLevel);
  const app = await createApp(config, logger);
  if (app.startAggregator === null) {
    await app.close();
    throw new ConfigError(
      "EVENTSCORE_LOG",
      "aggregate needs EVENTSCORE_STORE=cassandra and EVENTSCORE_LOG=kafka",
    );
  }
  const aggregator = await app.startAggregator();
  installShutdown(
    {
      stop: async () => {
        await aggregator.stop();
        await app.close();
      },
    },
    logger,
  );
  logger.info("aggregator is up", { store: app.store.kind });
  process.stdout.write(`eventscore: aggregating (store: ${app.store.kind})\n`);
  return new Promise<number>(() => undefined);
}

async function maintain(command: "migrate" | "rebuild"): Promise<number> {
  const app = await createApp(loadConfig(), createJsonLogger());
  try {
    if (command === "migrate") {
      await app.store.migrate();
      process.stdout.write(`migrations applied (${app.store.kind})\n`);
    } else {
      const events = await app.rebuild();
      process.stdout.write(`rebuilt aggregates from ${events} events (${app.store.kind})\n`);
    }
    return 0;
  } finally {
    await app.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0 || (process.argv[2] !== "serve" && process.argv[2] !== "aggregate"))
      process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof RefusedError) {
      process.stderr.write(`eventscore: ${error.message}\n`);
      process.exit(1);
    }
    if (error instanceof ConfigError) {
      process.stderr.write(`eventscore: configuration error: ${error.message}\n`);
      process.exit(78);
    }
    process.stderr.write(
      `eventscore: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
