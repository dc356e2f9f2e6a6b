import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * Who may call a route. `public` needs no API key: probes, metrics, static assets, and
 * webhooks that carry their own signature. `read` takes the key rules of GraphQL queries.
 */
export type RouteAccess = "public" | "read";

/** One entry of the server's route table. GraphQL itself is served after the table. */
export interface Route {
  /** The path served: exactly this one, or, ending in "/", every path under it. */
  readonly path: string;
  readonly access: RouteAccess;
  /**
   * Answers the request and returns true, or returns false to let the next route for the same
   * path (and then GraphQL) try: GraphiQL takes GET /graphql from browsers and passes the rest.
   */
  handle(request: IncomingMessage, response: ServerResponse, url: URL): Promise<boolean> | boolean;
}

/** The routes in the order given, found by path; what metrics label a request by. */
export class RouteTable {
  constructor(private readonly routes: readonly Route[]) {}

  /** The routes for a path, in order; empty when none serves it. */
  match(pathname: string): Route[] {
    return this.routes.filter((route) => covers(route.path, pathname));
  }
}

function covers(path: string, pathname: string): boolean {
  return path.endsWith("/") ? pathname.startsWith(path) : pathname === path;
}
