/**
 * The floor of every read benchmark: a bare node:http server answering every request with the
 * same small JSON, read and sent the way eventscore reads its requests (the body consumed first).
 * Run as its own process by bench/reads.ts; prints its port on stdout.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

const BODY = JSON.stringify({ data: { __typename: "Query" } });

const server = createServer((request, response) => {
  request.on("data", () => undefined);
  request.on("end", () => {
    response.writeHead(200, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(BODY),
    });
    response.end(BODY);
  });
});
server.listen(0, "127.0.0.1", () => {
  console.log(String((server.address() as AddressInfo).port));
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
