import type { IncomingMessage } from "node:http";
import { BodyError, readRawBody } from "./body.js";
import { sendJson } from "./responses.js";
import type { Route, RouteAccess } from "./routes.js";
import type { PlainReply, PlainRequest } from "../../app/plain-http.js";

/** Mounts a handler of plain requests at one path. A body the handler did not read is drained. */
export function replyRoute(
  path: string,
  access: RouteAccess,
  handler: (request: PlainRequest) => Promise<PlainReply>,
): Route {
  return {
    path,
    access,
    handle: async (request, response) => {
      let bodyRead = false;
      const reply = await handler({
        method: request.method ?? "GET",
        header: (name) => headerOf(request, name),
        remoteAddress: request.socket.remoteAddress ?? null,
        readBody: async (limit) => {
          bodyRead = true;
          return readRawBody(request, limit).catch((error: unknown) => {
            if (error instanceof BodyError && error.status === 413) return null;
            throw error;
          });
        },
      });
      if (!bodyRead) request.resume();
      for (const [name, value] of Object.entries(reply.headers ?? {})) response.setHeader(name, value);
      sendJson(response, reply.status, reply.body);
      return true;
    },
  };
}

function headerOf(request: IncomingMessage, name: string): string | null {
  const value = request.headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text === undefined || text === "" ? null : text;
}
