import type { IncomingMessage } from "node:http";
import { CloseCode, type Server as ProtocolServer } from "graphql-ws";
import type { WebSocket, WebSocketServer } from "ws";
import { FlushScheduler } from "./flush-scheduler.js";
import { SocketOutbox, type OutboxOptions } from "./outbox.js";
import type { InboundScheduler } from "./inbound.js";

/** What the graphql-ws protocol server knows about each socket besides its context. */
export interface SocketExtra {
  readonly socket: WebSocket;
  readonly request: IncomingMessage;
  readonly outbox: SocketOutbox;
}

export interface TransportOptions {
  readonly outbox: OutboxOptions;
  readonly inbound: InboundScheduler;
  /** Ping interval; a socket that has not answered the previous ping by the next one is cut. */
  readonly keepAliveMs?: number;
  readonly onInternalError: (message: string, error: unknown) => void;
}

/**
 * graphql-ws over `ws`, as graphql-ws's own `useServer` does it, with two differences: every
 * frame to a socket goes through its outbox (bounded, coalescing, batched writes; live pushes are
 * written there directly by shared-subscriptions.ts), and incoming messages go through the inbound
 * scheduler (rate limit, fair turns). The protocol itself is graphql-ws's `makeServer`.
 */
export function attachTransport(
  wss: WebSocketServer,
  server: ProtocolServer<SocketExtra>,
  options: TransportOptions,
): { dispose(): Promise<void> } {
  const scheduler = new FlushScheduler<SocketOutbox>();
  const keepAliveMs = options.keepAliveMs ?? 12_000;
  wss.on("error", (error) => options.onInternalError("websocket server error", error));
  wss.on("connection", (socket: WebSocket, request: IncomingMessage) => {
    const outbox = new SocketOutbox(socket, request.socket, scheduler, options.outbox);
    socket.once("error", (error) => {
      options.onInternalError("websocket error", error);
      socket.close(CloseCode.InternalServerError, "Internal server error");
    });
    const keepAlive = keepAliveTimer(socket, keepAliveMs);
    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: async (data) => outbox.send(data),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) =>
          socket.on("message", (data: Buffer | ArrayBuffer | Buffer[]) => {
            handle(String(data)).catch((error: unknown) => {
              options.onInternalError("websocket message not handled", error);
              socket.close(CloseCode.InternalServerError, "Internal server error");
            });
          }),
      },
      { socket, request, outbox },
    );
    // After graphql-ws's message listener is on: the scheduler takes it over.
    options.inbound.attach(socket);
    socket.once("close", (code, reason) => {
      if (keepAlive) clearInterval(keepAlive);
      void closed(code, String(reason));
    });
  });
  return {
    dispose: async () => {
      for (const client of wss.clients) client.close(1001, "Going away");
      wss.removeAllListeners();
      await new Promise<void>((resolve, reject) => wss.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

/** Pings the client every `ms`; one that did not answer the previous ping by then is cut. */
function keepAliveTimer(socket: WebSocket, ms: number): NodeJS.Timeout | null {
  if (!(ms > 0 && Number.isFinite(ms))) return null;
  let answered = true;
  socket.on("pong", () => (answered = true));
  return setInterval(() => {
    if (socket.readyState !== socket.OPEN) return;
    if (!answered) return socket.terminate();
    answered = false;
    socket.ping();
  }, ms);
}
