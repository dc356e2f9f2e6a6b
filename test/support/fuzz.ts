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

/* ---------- Hostile input (issue 12): each case names the exact code it must be refused with. ---------- */

export interface HostileCase {
  readonly kind: string;
  /** A GraphQL document, sent with `variables`. */
  readonly query: string;
  readonly variables?: Record<string, unknown>;
  /** The code of the request's (first) error; for batches, the code of every rejected item. */
  readonly code: string;
  /** Only for mutations: how many items must come back rejected with `code` (all of them). */
  readonly items?: number;
}

export interface HostileLimits {
  readonly maxTokens: number;
  readonly maxAliases: number;
}

const INNER_SCHEMA =
  "__schema { types { name fields { name args { name type { name ofType { name ofType { name } } } } } } }";

/** Alias, introspection and fragment bombs that stay under the token limit, and the issue's own bomb past it. */
export function* bombCases(seed: number, count: number, limits: HostileLimits): Generator<HostileCase> {
  const rnd = random(seed);
  const int = (min: number, max: number): number => min + Math.floor(rnd() * (max - min + 1));
  const copies = (n: number, body: (i: number) => string) =>
    Array.from({ length: n }, (_, i) => body(i)).join(" ");
  const chain = (n: number, leaf: string) =>
    `{ ...F0 } ${copies(n, (i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`)} fragment F${n} on Query { ${leaf} }`;
  const generators: (() => HostileCase)[] = [
    // 20 to 60 copies of a deep __schema walk: under the token limit, far over the cost.
    () => ({
      kind: "introspection bomb",
      query: `{ ${copies(int(20, 60), (i) => `a${i}: ${INNER_SCHEMA}`)} }`,
      code: "QUERY_TOO_COSTLY",
    }),
    // The issue's bomb: 2,000 copies (about 430 KB with the deeper selection; here ~190 KB).
    () => ({
      kind: "introspection bomb past the token limit",
      query: `{ ${copies(int(1000, 2000), (i) => `a${i}: ${INNER_SCHEMA}`)} }`,
      code: "QUERY_TOO_MANY_TOKENS",
    }),
    () => ({
      kind: "alias bomb",
      query: `{ ${copies(int(limits.maxAliases + 1, Math.floor(limits.maxTokens / 3) - 2), (i) => `a${i}: __typename`)} }`,
      code: "QUERY_TOO_MANY_ALIASES",
    }),
    () => ({
      kind: "aliased __type",
      query: `{ ${copies(limits.maxAliases + int(1, 20), (i) => `t${i}: __type(name: "Query") { name }`)} }`,
      code: "QUERY_TOO_MANY_ALIASES",
    }),
    // Fragments that spread the next one twice: 2^n copies of the leaf from a few hundred tokens.
    () => ({
      kind: "fragment bomb",
      query: chain(
        int(20, 40),
        pick(rnd, ["__typename", "__schema { types { name } }", "scoringRules { defaultWeight }"]),
      ),
      code: "QUERY_TOO_COSTLY",
    }),
    () => ({
      kind: "fragment alias bomb",
      query: chain(int(8, 20), "x: __typename"),
      code: "QUERY_TOO_MANY_ALIASES",
    }),
  ];
  for (let i = 0; i < count; i++) yield pick(rnd, generators)();
}

/** Documents past the token limit in every shape whose prefix parses, up to `maxTokens` x 100. */
export function* tokenFloodCases(seed: number, count: number, limits: HostileLimits): Generator<HostileCase> {
  const rnd = random(seed);
  const int = (min: number, max: number): number => min + Math.floor(rnd() * (max - min + 1));
  const repeat = (n: number, piece: (i: number) => string) =>
    Array.from({ length: n }, (_, i) => piece(i)).join(" ");
  const shapes: ((n: number) => string)[] = [
    (n) => `{ ${"__typename ".repeat(n)}}`,
    (n) => `{ score(userId: "a", window: [${repeat(n, () => "DAY")}]) { score } }`,
    (n) => `${"{ a ".repeat(n)}${"}".repeat(n)}`,
    (n) => `query (${repeat(n, (i) => `$v${i}: Int`)}) { __typename }`,
    (n) => `{ __typename ${repeat(n, () => "@skip(if: false)")} }`,
    (n) => `{ __typename } ${repeat(n, (i) => `fragment F${i} on Query { __typename }`)}`,
  ];
  for (let i = 0; i < count; i++) {
    // Tokens beyond the limit: just past it, or up to a hundred times over.
    const over = rnd() < 0.3 ? limits.maxTokens + 1 : int(limits.maxTokens, limits.maxTokens * 100);
    yield { kind: "token flood", query: pick(rnd, shapes)(over), code: "QUERY_TOO_MANY_TOKENS" };
  }
}

/** Lone surrogates and reversed pairs: none of these is well-formed Unicode. */
export const LONE_SURROGATES = ["\ud800", "\udbff", "\udc00", "\udfff", "\ud83d", "\ude00\ud83d"] as const;

/** Queries with one string argument used as a key: [document, its variable, a value to poison]. */
const QUERY_KEYS: readonly (readonly [string, string, string])[] = [
  [`query ($u: String!) { score(userId: $u) { score } }`, "u", "ana"],
  [`query ($u: String!) { events(userId: $u) { nodes { id } } }`, "u", "ana"],
  [`query ($t: String) { leaderboard(type: $t) { nodes { rank } } }`, "t", "PushEvent"],
  [`query ($u: String!) { rank(userId: $u) { rank } }`, "u", "ana"],
  [`query ($id: String!) { user(id: $id) { id } }`, "id", "ana"],
  [`query ($a: String) { leaderboard(after: $a) { nodes { rank } } }`, "a", "cursor"],
];

const RECORD_ALL = `mutation ($events: [EventInput!]!) { recordEvents(events: $events) { accepted duplicates rejected { index code } } }`;

/**
 * Lone surrogates in every string an event has (each item of a batch poisoned in one field) and
 * in every string argument of every query, all through variables (graphql-js refuses them in
 * literals): items come back INVALID_STRING, queries are refused INVALID_STRING.
 */
export function* surrogateCases(seed: number, count: number): Generator<HostileCase> {
  const rnd = random(seed);
  const int = (min: number, max: number): number => min + Math.floor(rnd() * (max - min + 1));
  const lone = () => pick(rnd, LONE_SURROGATES);
  const text = (base: string) => {
    const at = int(0, base.length);
    return `${base.slice(0, at)}${lone()}${base.slice(at)}`;
  };
  const poisoned = (): Record<string, unknown> => {
    const event: Record<string, unknown> = {
      id: `sur-${int(0, 1_000_000)}`,
      userId: pick(rnd, ["ana", "surro", "csur"]),
      type: "PushEvent",
      occurredAt: "2024-02-10T10:00:00Z",
      repo: "acme/api",
      category: "acme",
      groups: ["acme"],
      payload: { size: 3, note: "ok" },
    };
    pick(rnd, [
      () => (event["id"] = text(String(event["id"]))),
      () => (event["userId"] = text(String(event["userId"]))),
      () => (event["type"] = text("PushEvent")),
      () => (event["repo"] = text("acme/api")),
      () => (event["category"] = text("acme")),
      () => (event["groups"] = ["acme", text("org")]),
      () => (event["payload"] = { note: text("hello") }),
      () => (event["payload"] = { [text("key")]: 1 }),
      () => (event["payload"] = { deep: [[{ list: ["fine", text("x")] }]] }),
    ])();
    return event;
  };
  const queries: (() => HostileCase)[] = [
    () => {
      const events = Array.from({ length: int(1, 8) }, poisoned);
      return {
        kind: "poisoned batch",
        query: RECORD_ALL,
        variables: { events },
        code: "INVALID_STRING",
        items: events.length,
      };
    },
    () => ({
      kind: "poisoned event",
      query: `mutation ($e: EventInput!) { recordEvent(event: $e) { accepted duplicates rejected { index code } } }`,
      variables: { e: poisoned() },
      code: "INVALID_STRING",
      items: 1,
    }),
    ...QUERY_KEYS.map(([query, variable, base]) => (): HostileCase => ({
      kind: "query key",
      query,
      variables: { [variable]: text(base) },
      code: "INVALID_STRING",
    })),
    () => ({
      kind: "query key",
      query: `query ($u: String!, $t: [String!]) { events(userId: $u, types: $t) { nodes { id } } }`,
      variables: { u: "ana", t: ["PushEvent", text("Issues")] },
      code: "INVALID_STRING",
    }),
    () => ({
      kind: "query key",
      query: `query ($f: ReportFilterInput) { report(from: "2024-01-01", to: "2024-02-01", filter: $f) { rows { events } } }`,
      variables: { f: { [pick(rnd, ["types", "categories", "groups", "userIds"])]: [text("x")] } },
      code: "INVALID_STRING",
    }),
  ];
  for (let i = 0; i < count; i++) yield pick(rnd, queries)();
}

/**
 * Times just past the edges of the accepted ranges: occurredAt before 1970 or after now plus
 * the future skew (INVALID_OCCURRED_AT per item), a window reference before 1970 or after
 * November 9999 (BAD_USER_INPUT).
 */
export function* dateEdgeCases(seed: number, count: number, maxFutureSkewMs: number): Generator<HostileCase> {
  const rnd = random(seed);
  const int = (min: number, max: number): number => min + Math.floor(rnd() * (max - min + 1));
  const iso = (ms: number) => new Date(ms).toISOString();
  const tooEarly = () => iso(Date.UTC(1970, 0, 1) - pick(rnd, [1, 1000, 86_400_000, 10 * 365 * 86_400_000]));
  const tooLate = () =>
    pick(rnd, [
      // A minute past the skew leaves room for the time between building and sending.
      () => iso(Date.now() + maxFutureSkewMs + 60_000 + int(0, 1000)),
      () => iso(Date.now() + maxFutureSkewMs + int(1, 100) * 365 * 86_400_000),
      () => "9999-12-31T23:59:59.999Z",
    ])();
  const cases: (() => HostileCase)[] = [
    () => {
      const events = Array.from({ length: int(1, 6) }, (_, i) => ({
        id: `edge-${int(0, 1_000_000)}-${i}`,
        userId: "ana",
        type: "PushEvent",
        occurredAt: rnd() < 0.5 ? tooEarly() : tooLate(),
      }));
      return {
        kind: "occurredAt out of range",
        query: RECORD_ALL,
        variables: { events },
        code: "INVALID_OCCURRED_AT",
        items: events.length,
      };
    },
    () => ({
      kind: "at out of range",
      query: `query ($at: DateTime, $w: Window!) { score(userId: "ana", window: $w, at: $at) { score from to } }`,
      variables: {
        at: pick(rnd, [tooEarly(), "9999-12-01T00:00:00.000Z", "9999-12-31T23:59:59.999Z"]),
        w: pick(rnd, ["DAY", "WEEK", "MONTH", "ALL_TIME"]),
      },
      code: "BAD_USER_INPUT",
    }),
    () => ({
      kind: "at out of range",
      query: `query ($at: DateTime) { leaderboard(window: WEEK, at: $at) { from to nodes { rank } } }`,
      variables: { at: pick(rnd, [tooEarly(), "9999-12-27T00:00:00.000Z"]) },
      code: "BAD_USER_INPUT",
    }),
  ];
  for (let i = 0; i < count; i++) yield pick(rnd, cases)();
}

function pick<T>(rnd: () => number, items: readonly T[]): T {
  return items[Math.floor(rnd() * items.length)]!;
}
