import type { WebSocket } from "ws";

/** How long a socket closed for breaking a limit has to answer the close frame before it is cut. */
const CLOSE_GRACE_MS = 1000;

/**
 * Closes a socket that broke a limit: sends the close frame with its code, stops reading what it
 * keeps sending (frames would still be parsed until its close reply), and ends the connection soon
 * even if that reply never comes.
 */
export function closeForLimit(socket: WebSocket, code: number, reason: string): void {
  socket.close(code, reason);
  socket.pause();
  setTimeout(() => socket.terminate(), CLOSE_GRACE_MS).unref();
}
