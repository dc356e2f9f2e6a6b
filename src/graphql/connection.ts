import type { Page } from "../services/queries.js";
import type { PageInfo } from "./types/event.js";

/** A page as the services return it; only pages `around` a user know what lies above them. */
export type ConnectionPage<T> = Page<T> & { readonly hasPreviousPage?: boolean };

/** The Relay fields every connection type has (EventConnection, Leaderboard). */
export interface Connection<N> {
  readonly edges: { cursor: string; node: N }[];
  readonly nodes: N[];
  readonly pageInfo: PageInfo;
}

/**
 * Edges, nodes and page info of one page, built the same way for every connection so that
 * `endCursor` is always the last edge's cursor and `nodes` always the edges' nodes, in order.
 */
export function toConnection<T, N>(
  page: ConnectionPage<T>,
  cursorOf: (item: T) => string,
  nodeOf: (item: T) => N,
): Connection<N> {
  const edges = page.items.map((item) => ({ cursor: cursorOf(item), node: nodeOf(item) }));
  return {
    edges,
    nodes: edges.map((edge) => edge.node),
    pageInfo: {
      hasNextPage: page.hasNextPage,
      endCursor: edges.at(-1)?.cursor ?? null,
      hasPreviousPage: page.hasPreviousPage ?? null,
    },
  };
}
