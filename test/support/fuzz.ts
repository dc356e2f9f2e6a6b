/**
 * Generates malformed requests for the fuzz test: every case is wrong in at least one way that
 * the server must refuse (nothing here is a valid request by accident), and the same seed always
 * yields the same cases, so a failure can be replayed.
 */

export interface FuzzCase {
  readonly kind: string;
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array;
  /** A mutation whose events are all invalid: answered 200 with every item rejected is fine too. */
  readonly allItemsInvalid?: boolean;
}

export interface FuzzOptions {
  readonly maxBodyBytes: number;
  readonly maxPayloadBytes: number;
  /** Ids of events already stored: reused with other content, they must be refused as conflicts. */
  readonly storedIds: readonly string[];
}

/** mulberry32: small, fast, seedable. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export function* fuzzCases(seed: number, count: number, options: FuzzOptions): Generator<FuzzCase> {
  const rnd = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)]!;
  const int = (min: number, max: number): number => min + Math.floor(rnd() * (max - min + 1));
  const odd = (): string => oddString(rnd, int(1, 40));
  const json = { "content-type": "application/json" };
  const post = (
    kind: string,
    body: string | Uint8Array,
    headers: Record<string, string> = json,
  ): FuzzCase => ({
    kind,
    method: "POST",
    path: "/graphql",
    headers,
    body,
  });
  const operation = (query: string, variables?: unknown): string => JSON.stringify({ query, variables });

  const generators: (() => FuzzCase)[] = [
    // Bodies that are not JSON at all, or not an object.
    () => {
      const valid = operation(`{ score(userId: "${pick(["ana", "ben"])}") { score } }`);
      const broken = pick([
        valid.slice(0, int(1, valid.length - 1)),
        `${valid}${pick(["}", ",", "]", "x", "\u0000", '"'])}`,
        valid.replace("{", pick(["[", "(", "<", ""])),
        pick(["", " ", "{", "nul", "{'query': '{ x }'}", '{"query": "\\x00"}', "\uFEFF{}"]),
      ]);
      return post("broken JSON", broken);
    },
    () =>
      post(
        "JSON but not an operation",
        pick(["123", '"{ scoringRules { defaultWeight } }"', "null", "true", "[]", "{}"]),
      ),
    () =>
      post(
        "a batch of operations",
        JSON.stringify([{ query: "{ scoringRules { defaultWeight } }" }, { query: "{ x }" }]),
      ),
    () => {
      const bytes = new Uint8Array(int(1, 300)).map(() => int(0, 255));
      return post("random bytes", bytes, pick([json, { "content-type": "application/octet-stream" }]));
    },
    // Wrong content types for a valid operation.
    () =>
      post("wrong content type", operation("{ scoringRules { defaultWeight } }"), {
        "content-type": pick([
          "text/plain",
          "text/plain; charset=utf-8",
          "application/xml",
          "application/x-www-form-urlencoded",
          "multipart/form-data; boundary=x",
          "application/jsonx",
          "application/graphql",
          "json",
          ";;;",
        ]),
      }),
    // Oversized bodies.
    () => {
      const size = options.maxBodyBytes + int(1, options.maxBodyBytes);
      return post("oversized body", operation(`{ score(userId: "${"a".repeat(size)}") { score } }`));
    },
    // Documents that do not parse or do not validate.
    () => {
      const query = pick([
        "{".repeat(int(1, 2000)),
        `{ score(userId: "a") { score }`,
        `{ ${odd()} }`,
        `query { score(userId: "\u0000") { score } } }`,
        `{ score(userId: ${JSON.stringify(odd())}) { ${odd().replace(/\W/g, "") || "x"}_nope } }`,
        `{ ${"a { ".repeat(int(50, 400))}b${" }".repeat(60)} }`,
        `mutation { recordEvents }`,
        `subscription { eventRecorded { id } }`,
        `{ score { score } }`,
        `{ score(userId: 1) { score } }`,
        `{ leaderboard(window: ${pick(["DAYS", "day", "1", '"DAY"', "null"])}) { nodes { rank } } }`,
        `{ __type(name: ${JSON.stringify(odd())}) { name } nope }`,
      ]);
      return post("bad document", operation(query));
    },
    // Too deep or too costly.
    () => {
      const depth = int(13, 40);
      const chain = Array.from({ length: depth }, (_, i) => (i % 2 === 0 ? "user { rank {" : "")).join(" ");
      const deep = `{ leaderboard { nodes { ${chain} rank ${"} }".repeat(Math.ceil(depth / 2))} } } }`;
      const costly = `{ ${Array.from({ length: int(101, 300) }, (_, i) => `a${i}: leaderboard(first: 100) { nodes { rank } }`).join(" ")} }`;
      return post("too deep or too costly", operation(pick([deep, costly])));
    },
    // Arguments the resolvers refuse: page sizes, cursors, dates, ranges.
    () => {
      const cursor = pick([
        odd(),
        "",
        "\u0000",
        Buffer.from(odd()).toString("base64"),
        Buffer.from(JSON.stringify({ t: "x", id: 1 })).toString("base64url"),
        "eyJ0IjoxfQ",
        "a".repeat(int(300, 5000)),
      ]);
      const query = pick([
        [`query ($c: String) { events(userId: "ana", after: $c) { nodes { id } } }`, { c: cursor }],
        [`query ($c: String) { leaderboard(after: $c) { nodes { rank } } }`, { c: cursor }],
        [
          `query ($n: Int!) { leaderboard(first: $n) { nodes { rank } } }`,
          { n: pick([0, -1, 101, 2147483647]) },
        ],
        [
          `query ($n: Int!) { events(userId: "ana", first: $n) { nodes { id } } }`,
          { n: pick([0, -7, 1000]) },
        ],
        [
          `query ($n: Int!) { leaderboard(first: $n) { nodes { rank } } }`,
          { n: pick([1.5, 2 ** 40, "10", null, true, [], {}]) },
        ],
        [`query ($at: DateTime) { score(userId: "ana", at: $at) { score } }`, { at: badDate(pick, odd) }],
        [
          `query ($f: DateTime, $t: DateTime) { events(userId: "ana", from: $f, to: $t) { nodes { id } } }`,
          pick([{ f: "2024-03-01T00:00:00Z", t: "2024-02-01T00:00:00Z" }, { f: badDate(pick, odd) }]),
        ],
        [
          `query ($u: String!) { score(userId: $u) { score } }`,
          { u: pick(["", "x".repeat(int(257, 20_000)), null, 5]) },
        ],
        [
          `query ($t: [String!]) { events(userId: "ana", types: $t) { nodes { id } } }`,
          { t: pick([Array.from({ length: 101 }, (_, i) => `T${i}`), [null], [["PushEvent"]]]) },
        ],
        [
          `query ($w: Window!) { score(userId: "ana", window: $w) { score } }`,
          { w: pick(["DAYS", "", 1, null, odd()]) },
        ],
        [`{ score(userId: "ana") { score } }`, "not an object"],
        [`query ($u: String!) { score(userId: $u) { score } }`, {}],
      ] as const);
      return post("bad arguments", operation(query[0], query[1]));
    },
    // Mutations whose every event is wrong, in the type system or by the domain's rules.
    () => {
      const events = Array.from({ length: int(1, 5) }, () => poisonedEvent(rnd, pick, int, odd, options));
      const shape = pick(["list", "list", "list", "wrong type"]);
      const variables =
        shape === "list" ? { events } : { events: pick([odd(), 42, null, [1, 2], [[events[0]]], true]) };
      const body = operation(
        `mutation ($events: [EventInput!]!) { recordEvents(events: $events) { accepted duplicates rejected { index code } } }`,
        variables,
      );
      return { ...post("poisoned events", body), allItemsInvalid: shape === "list" };
    },
    // GET requests that must be refused.
    () => {
      const params = pick([
        `query=${percentEncoded(`{ ${odd()}`)}`,
        `query=${encodeURIComponent("{ scoringRules { defaultWeight } }")}&variables=${percentEncoded(`{${odd()}`)}`,
        `query=${encodeURIComponent("{ scoringRules { defaultWeight } }")}&query=x`,
        `query=${encodeURIComponent(`mutation { recordEvent(event: { id: "g", userId: "g", type: "G", occurredAt: "2024-01-01T00:00:00Z" }) { accepted } }`)}`,
        `variables=%7B%7D`,
        `query=%E0%A4%A`,
      ]);
      const preflight: Record<string, string> = rnd() < 0.8 ? { "apollo-require-preflight": "true" } : {};
      return { kind: "bad GET", method: "GET", path: `/graphql?${params}`, headers: preflight };
    },
    // Methods and paths nobody serves.
    () => {
      const method = pick(["PUT", "DELETE", "PATCH", "OPTIONS", "GET", "POST"]);
      const path = pick([
        `/graphql`,
        `/${percentEncoded(odd())}`,
        "/%00",
        "/..%2f..%2fetc%2fpasswd",
        "/health/ready/x",
        "/metrics/x",
        "/graphql/x",
        `/${"x".repeat(int(1, 4000))}`,
      ]);
      // On /graphql: GET without a query, POST of an empty object, or a method it does not serve.
      const body = method === "GET" || method === "OPTIONS" ? undefined : "{}";
      const headers: Record<string, string> =
        path === "/graphql" ? { ...json, "apollo-require-preflight": "1" } : {};
      return {
        kind: "unserved method or path",
        method,
        path,
        headers,
        ...(body === undefined ? {} : { body }),
      };
    },
  ];
  for (let i = 0; i < count; i++) yield pick(generators)();
}

function badDate(pick: <T>(items: readonly T[]) => T, odd: () => string): unknown {
  return pick([
    "yesterday",
    "2024-13-01T00:00:00Z",
    "2024-02-30T00:00:00Z",
    "2024-01-01T25:00:00Z",
    "2024-01-01T00:00:00+25:00",
    "+275760-09-13T00:00:01.000Z",
    "0000-00-00T00:00:00Z",
    "",
    "2024-01-01T00:00:00Z\u0000",
    odd(),
    true,
    {},
    [],
  ]);
}

/** An event with at least one field no server may accept, plus random (valid or not) optional fields. */
function poisonedEvent(
  rnd: () => number,
  pick: <T>(items: readonly T[]) => T,
  int: (min: number, max: number) => number,
  odd: () => string,
  options: FuzzOptions,
): Record<string, unknown> {
  const event: Record<string, unknown> = {
    id: `fuzz-${int(0, 1_000_000)}`,
    userId: pick(["ana", "ben", "zed", "ünïcødé", "😀-user", "e\u0301"]),
    type: pick(["PushEvent", "PullRequestEvent", "Custom.Type"]),
    occurredAt: "2024-02-10T10:00:00Z",
  };
  if (rnd() < 0.3) event["repo"] = odd();
  if (rnd() < 0.3) event["groups"] = [odd()];
  if (rnd() < 0.3) event["payload"] = { note: odd() };
  const poison = pick([
    () => (event["id"] = pick(["", " x", "x ", "a\u0000b", "\t", "x".repeat(257), 7.5, null, { id: 1 }])),
    () => (event["id"] = pick(options.storedIds)), // stored already, with other content: CONFLICT
    () => (event["userId"] = pick(["", " ana", "ana\n", "\u0000", "x".repeat(257), 3, null, ["ana"]])),
    () => (event["type"] = pick(["", "1Push", "Push Event", "Push\u0000", "x".repeat(101), "-", 9, null])),
    () =>
      (event["occurredAt"] = pick(["1969-12-31T23:59:59Z", "1900-01-01T00:00:00Z", ...[badDate(pick, odd)]])),
    () =>
      (event["groups"] = pick([
        Array.from({ length: 33 }, (_, i) => `g${i}`),
        [""],
        [" g"],
        ["g\u0000"],
        [1],
      ])),
    () => (event["repo"] = pick([" r", "r\u0001", "x".repeat(300), 5])),
    () => (event["category"] = pick(["c\u007f", " c", "x".repeat(300), []])),
    () => (event["payload"] = { big: "x".repeat(options.maxPayloadBytes + int(1, 1000)) }),
    () => (event["unknownField"] = odd()),
    () => delete event[pick(["id", "userId", "type", "occurredAt"])],
  ]);
  poison();
  return event;
}

/** Every UTF-8 byte as %XX: works for strings encodeURIComponent refuses (lone surrogates). */
function percentEncoded(text: string): string {
  return [...Buffer.from(text, "utf8")].map((byte) => `%${byte.toString(16).padStart(2, "0")}`).join("");
}

/** Unicode that trips naive code: NUL and controls, lone surrogates, RTL overrides, emoji, combining marks. */
function oddString(rnd: () => number, length: number): string {
  const pieces = [
    "\u0000",
    "\u0007",
    "\u001b[31m",
    "\u202e",
    "\u200b",
    "\ufeff",
    "\ud800",
    "\udfff",
    "😀",
    "👩‍👩‍👧",
    "e\u0301",
    "𝔘",
    "ﷺ",
    "\\",
    '"',
    "'",
    "{",
    "}",
    "$",
    "%",
    "<script>",
    "' OR 1=1 --",
    "a",
    " ",
  ];
  let text = "";
  while (text.length < length) text += pieces[Math.floor(rnd() * pieces.length)];
  return text;
}
