# eventscore: the GraphQL API and its other commands, from one image.
#   docker build -t eventscore .
#   docker run -p 4000:4000 -v eventscore-data:/data eventscore      # eventscore serve (SQLite in /data)
#   docker run --rm eventscore eventscore migrate                    # any other command (compose: command:)
# test/packaging/image.test.ts assembles this image's /app without Docker, from this file's COPY lines,
# ENV lines and CMD, and runs it: keep COPY paths plain, ENV as KEY=VALUE and CMD in JSON form.
ARG NODE_IMAGE=node:20-bookworm-slim

# --- build: dev dependencies, better-sqlite3 compiled, the TypeScript and the GraphiQL bundle ---------
FROM ${NODE_IMAGE} AS build
# better-sqlite3 compiles from source when no prebuilt binary can be downloaded.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run build
# Production dependencies only. Pruning keeps the better-sqlite3 binary compiled above, so it is not
# compiled a second time for the runtime stage (same base image, same Node ABI).
RUN npm prune --omit=dev --no-audit --no-fund

# --- runtime: production dependencies and the built output only --------------------------------------
FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
# Owned by root and read-only to the server's user; it writes under /data only.
COPY --from=build /build/package.json /build/package-lock.json ./
COPY --from=build /build/node_modules ./node_modules
COPY --from=build /build/dist ./dist
COPY bin ./bin
COPY cql ./cql
# `eventscore` on PATH, for every command: `eventscore serve`, `eventscore migrate`, …
RUN ln -s /app/bin/eventscore.js /usr/local/bin/eventscore \
  && mkdir /data \
  && chown node:node /data
# The drain deadline stays under the 10 s that `docker stop` waits before SIGKILL; raise both together
# (docker stop -t, compose stop_grace_period, Kubernetes terminationGracePeriodSeconds).
ENV NODE_ENV=production \
  HOST=0.0.0.0 \
  PORT=4000 \
  EVENTSCORE_SQLITE_PATH=/data/eventscore.db \
  EVENTSCORE_SHUTDOWN_TIMEOUT_MS=8000
VOLUME ["/data"]
USER node
EXPOSE 4000
# Readiness of the API (see the README's Health); a service running another command overrides or
# disables it (compose: healthcheck:).
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "dist/cli/healthcheck.js"]
# PID 1 is the server itself: the bin loads the build into its own process (no npm, no shell, no tsx),
# so docker stop's SIGTERM starts the graceful shutdown (drain, WebSocket 1001, exit 0).
CMD ["eventscore", "serve"]
