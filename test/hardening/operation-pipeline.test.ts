import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ANONYMOUS, type Caller } from "../../src/server/policy/auth.js";
import { OperationGate } from "../../src/server/policy/operation-gate.js";
import { OperationPipeline, type PipelineVerdict } from "../../src/server/graphql/operation-pipeline.js";
import { startTestServer, type TestServer } from "../support/server.js";

describe("the operation pipeline both transports share", () => {
  let server: TestServer;
  let pipeline: OperationPipeline;

  beforeAll(async () => {
    server = await startTestServer();
    const { app } = server.instance;
    // Keys required for queries, so that the gate has something to refuse.
    const access = { keysConfigured: true, queriesRequireKey: true };
    const limits = { maxDepth: 10, maxCost: 10_000, maxAliases: 30 };
    pipeline = new OperationPipeline(app, new OperationGate(app.schema, access, limits, null));
  });

  afterAll(async () => {
    await server.stop();
  });

  const reader: Caller = { kind: "key", name: "reader", scope: "read" };
  const prepare = (query: string, operationName?: string, caller: Caller = ANONYMOUS): PipelineVerdict =>
    pipeline.prepare({
      query,
      operationName,
      variables: {},
      context: (type) => pipeline.context(caller, "127.0.0.1", "t", type),
    });
  const codes = (verdict: PipelineVerdict) =>
    verdict.ok ? [] : verdict.errors.map((error) => error.extensions["code"]);

  it("prepares a valid operation once per text, with the deadline its type calls for", () => {
    const query = '{ score(userId: "alice") { score } }';
    const first = prepare(query, undefined, reader);
    const again = prepare(query, undefined, reader);
    expect(first.ok && again.ok).toBe(true);
    if (!first.ok || !again.ok) return;
    expect(again.document).toBe(first.document);
    expect(pipeline.known(query)).toBe(first.document);
    expect(first.context.deadline.timeoutMs).toBe(server.instance.app.config.hardening.requestTimeoutMs);
    const live = prepare('subscription { scoreChanged(userId: "alice") { score } }', undefined, reader);
    expect(live.ok && live.context.deadline.timeoutMs).toBe(Number.POSITIVE_INFINITY);
  });

  it("refuses with the codes the transports send, and remembers no refused text", () => {
    expect(codes(prepare("{ score("))).toEqual(["GRAPHQL_PARSE_FAILED"]);
    expect(codes(prepare("{ nope }"))).toEqual(["GRAPHQL_VALIDATION_FAILED"]);
    expect(codes(prepare("query A { __typename } query B { __typename }", "C", reader))).toEqual([
      "BAD_REQUEST",
    ]);
    expect(codes(prepare("{ __typename }"))).toEqual(["UNAUTHENTICATED"]);
    expect(pipeline.known("{ score(")).toBeUndefined();
    expect(pipeline.known("{ nope }")).toBeUndefined();
  });
});
