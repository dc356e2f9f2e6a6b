// Browser entry of the GraphiQL bundle (built by scripts/build-graphiql.mjs, not by tsc: it needs the DOM
// and React types, which the server's tsconfig deliberately leaves out).
import { createGraphiQLFetcher } from "@graphiql/toolkit";
import { GraphiQL } from "graphiql";
import "graphiql/style.css";
import "./page.css";
import { createClient } from "graphql-ws";
import { createElement } from "react";
import { createRoot } from "react-dom/client";

// The server passes its settings as JSON, not as an inline script, so the CSP can forbid inline scripts.
const configElement = document.getElementById("graphiql-config");
/** @type {{ endpoint: string, styleNonce: string, defaultQuery: string }} */
const config = JSON.parse(configElement?.textContent ?? "{}");
// The style elements that GraphiQL's dialogs add (react-style-singleton) take their nonce from this
// global, webpack's convention; the CSP allows styles with this page's nonce.
globalThis.__webpack_nonce__ = config.styleNonce;

// Subscriptions go over graphql-ws to the same host and path as HTTP, wss: when the page came over https:.
const wsUrl = `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}${config.endpoint}`;
const fetcher = createGraphiQLFetcher({
  url: config.endpoint,
  // lazy: connect on the first subscription, so a page that only queries opens no socket.
  wsClient: createClient({ url: wsUrl, lazy: true }),
});

// Like GraphiQL's classic example page: ?query=, ?variables= and ?operationName= prefill the editors,
// which makes operations linkable.
const params = new URLSearchParams(location.search);
const root = document.getElementById("graphiql");
if (root === null) throw new Error("#graphiql element missing");
root.textContent = "";
createRoot(root).render(
  createElement(GraphiQL, {
    fetcher,
    defaultQuery: config.defaultQuery,
    query: params.get("query") ?? undefined,
    variables: params.get("variables") ?? undefined,
    operationName: params.get("operationName") ?? undefined,
  }),
);
