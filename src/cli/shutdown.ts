import { errorFields, type Logger } from "../app/logger.js";
import type { Instance } from "./instance.js";

/**
 * Process-level lifecycle of `eventscore serve`. SIGTERM or SIGINT: graceful stop (drain,
 * close subscriptions with 1001, close the store and pub/sub), then exit 0; a second signal
 * exits 1 at once. A crash (uncaught exception, unhandled rejection) is logged and exits 1
 * without a graceful stop: the state is unknown, and acknowledged events are already durable,
 * so a supervisor restarting the process loses nothing.
 */
export function installShutdown(
  instance: Pick<Instance, "stop">,
  logger: Logger,
  exit = (code: number) => process.exit(code),
): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn("second signal: exiting without waiting", { signal });
      exit(1);
      return;
    }
    stopping = true;
    logger.info("shutting down", { signal });
    instance.stop().then(
      () => {
        logger.info("stopped");
        exit(0);
      },
      (error: unknown) => {
        logger.error("shutdown failed", errorFields(error));
        exit(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  const crash = (kind: string) => (error: unknown) => {
    logger.error(`fatal: ${kind}`, errorFields(error));
    exit(1);
  };
  process.on("uncaughtException", crash("uncaught exception"));
  process.on("unhandledRejection", crash("unhandled rejection"));
}
