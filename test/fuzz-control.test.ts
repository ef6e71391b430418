/**
 * Hostile input on the control endpoint of a real circusd (issue 15, item 4): random frames,
 * multipart garbage, truncated and huge JSON, wrong types in every property of every
 * command, unicode and NUL bytes in names, from a DEALER and a REQ. A request that would
 * change state is only ever sent when the command's own `validate` refuses it, so that the
 * daemon's state must come out unchanged. Every message that can be answered must get
 * exactly one reply, with the id a reader of the frame would find in it; the daemon must
 * keep answering, and its memory stay bounded over three rounds of 10,000 frames.
 *
 * fast-check runs with a fixed seed (FUZZ_SEED replays another one) and prints the seed
 * and the shrunk input of a failure.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, test } from "node:test";
import fc from "fast-check";
import { Dealer, Request } from "zeromq";
import { peekId } from "../src/control/controller.js";
import { MAX_MESSAGE_BYTES } from "../src/control/protocol.js";
import { COMMANDS, getCommand } from "../src/control/commands/index.js";
import { startCircusd, testEndpoints, waitFor, type Circusd } from "./helpers/circusd.js";
import { connect, sleeperSection, type RawClient, type Reply } from "./helpers/control.js";
import { cleanupEachTest, defer } from "./helpers/cleanup.js";
import { FUZZ_SEED, fuzzParams, hostileString, rssMiB } from "./helpers/fuzz.js";

cleanupEachTest();

/** The commands whose valid requests may be sent: they read and never change state. */
const READ_ONLY = [
  "list",
  "status",
  "stats",
  "get",
  "options",
  "dstats",
  "globaloptions",
  "numprocesses",
  "numwatchers",
  "listsockets",
];

/** Every property a command of the registry reads (from src/control/commands/*.ts). */
const PROPERTIES: Record<string, string[]> = {
  add: ["name", "cmd", "args", "options", "start", "waiting"],
  decr: ["name", "nb", "waiting"],
  dstats: [],
  get: ["name", "keys"],
  globaloptions: ["option"],
  incr: ["name", "nb", "waiting"],
  kill: ["name", "pid", "signum", "graceful_timeout", "waiting"],
  list: ["name"],
  listen: [],
  listsockets: [],
  logs: ["name", "lines"],
  numprocesses: ["name"],
  numwatchers: [],
  options: ["name"],
  quit: ["waiting"],
  reload: ["name", "graceful", "sequential", "match", "waiting"],
  reloadconfig: ["waiting"],
  restart: ["name", "match", "waiting"],
  rm: ["name", "nostop", "waiting"],
  set: ["name", "options", "waiting"],
  signal: ["name", "pid", "signum", "signal", "childpid", "child_pid", "children", "recursive"],
  start: ["name", "match", "waiting"],
  stats: ["name", "process", "extended"],
  status: ["name"],
  stop: ["name", "match", "waiting"],
};
const ALL_PROPERTIES = [...new Set(Object.values(PROPERTIES).flat())];

/** The watchers of the fuzzed daemon. */
const WATCHERS = ["web", "db"];

/** A frame bigger than this cuts its sender off (controller.ts's HARD_MESSAGE_LIMIT). */
const CUT_OFF_BYTES = MAX_MESSAGE_BYTES + 64 * 1024;

// ---------------------------------------------------------------------------------------------
// The model: what the controller must answer to a message, as a reader of its frames sees it

/** The id a reply must carry (as canonical JSON), or null when no reply is due (a cast). */
type Expected = { reply: false } | { reply: true; id: string };

/** JSON with sorted keys, to compare ids that are objects. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (typeof value === "object" && value !== null)
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  return JSON.stringify(value ?? null);
}

/** The request a payload holds, if it is a JSON object at all. */
function parseRequest(payload: Buffer): Record<string, unknown> | null {
  let json: unknown;
  try {
    json = JSON.parse(payload.toString("utf8").trim());
  } catch {
    return null;
  }
  return typeof json === "object" && json !== null && !Array.isArray(json)
    ? (json as Record<string, unknown>)
    : null;
}

/**
 * What a message of `frames` (as the client sends them, `envelope` frames added by its
 * socket: 1 for a DEALER's identity, 2 for a REQ's) must get back.
 */
function expected(frames: Buffer[], envelope: number): Expected {
  const payload = frames[frames.length - 1] as Buffer;
  if (envelope + frames.length - 1 > 8) return { reply: true, id: "null" };
  if (payload.length > MAX_MESSAGE_BYTES) return { reply: true, id: canonical(peekId(payload)) };
  const request = parseRequest(payload);
  if (!request) return { reply: true, id: "null" };
  if (request.msg_type === "cast") return { reply: false };
  return { reply: true, id: canonical(request.id ?? null) };
}

/**
 * True when sending the message cannot change circusd's state: a request that reaches a
 * command that changes state (or quit, listen, logs) must be refused by its `validate`.
 */
function harmless(frames: Buffer[]): boolean {
  const request = parseRequest(frames[frames.length - 1] as Buffer);
  if (!request || typeof request.command !== "string") return true;
  if ((frames[frames.length - 1] as Buffer).length > MAX_MESSAGE_BYTES) return true;
  const command = getCommand(request.command);
  if (!command) return true;
  if (READ_ONLY.includes(command.name)) return true;
  const properties = request.properties ?? {};
  if (typeof properties !== "object" || properties === null || Array.isArray(properties))
    return true;
  try {
    command.validate(properties as Record<string, unknown>);
  } catch {
    return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Generators

/** A watcher name: real ones in any case, patterns, unicode, NUL bytes, other types. */
const nameArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...WATCHERS, "WEB", "Db", "*", "w*", "^web$", "web\0", "\0"),
  hostileString,
);

/** Any value, mostly of a type the property does not take. */
const valueArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  hostileString,
  fc.array(fc.oneof(hostileString, fc.integer()), { maxLength: 4 }),
  fc.dictionary(hostileString, fc.oneof(hostileString, fc.integer()), { maxKeys: 3 }),
  fc.jsonValue({ maxDepth: 3 }),
);

/** A command name: every command of the registry in any case, and unknown ones. */
const commandArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...COMMANDS.map((c) => c.name)) },
  { weight: 1, arbitrary: fc.constantFrom(...COMMANDS.map((c) => c.name.toUpperCase())) },
  { weight: 1, arbitrary: hostileString },
  { weight: 1, arbitrary: valueArb },
);

/** An id: mostly a unique string, so that its reply can be told; sometimes anything. */
const idArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 8, arbitrary: fc.uuid() },
  { weight: 1, arbitrary: valueArb },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

/** Properties: some of the command's own (and others), with values of any type. */
function propertiesArb(command: unknown): fc.Arbitrary<unknown> {
  const own = typeof command === "string" ? (PROPERTIES[command.toLowerCase()] ?? []) : [];
  const key = fc.oneof(
    fc.constantFrom(...(own.length > 0 ? own : ALL_PROPERTIES)),
    fc.constantFrom(...ALL_PROPERTIES),
    hostileString,
  );
  const value = fc.oneof(valueArb, nameArb);
  return fc.oneof(
    { weight: 8, arbitrary: fc.dictionary(key, value, { maxKeys: 4 }) },
    { weight: 1, arbitrary: valueArb },
  );
}

/** A request object, valid or not, before it is written. */
const requestArb: fc.Arbitrary<Record<string, unknown>> = commandArb.chain((command) =>
  fc.record(
    {
      id: idArb,
      command: fc.constant(command),
      properties: propertiesArb(command),
      msg_type: fc.oneof(fc.constant("cast"), fc.constant("call"), valueArb),
      origin: valueArb,
    },
    { requiredKeys: ["id", "command"] },
  ),
);

/** A valid request of a read-only command (answered in order on the orderly client). */
const readRequestArb: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(
    fc.constantFrom(...READ_ONLY),
    fc.constantFrom(...WATCHERS),
    fc.constantFrom(["pids"], ["cmd", "numprocesses"], ["*"]),
    fc.uuid(),
  )
  .map(([command, name, keys, id]) => {
    const properties: Record<string, unknown> =
      command === "get"
        ? { name, keys }
        : command === "options"
          ? { name }
          : ["list", "status", "stats", "numprocesses"].includes(command) && name === "web"
            ? { name }
            : {};
    return { id, command, properties };
  });

/** A string holding every bad byte a frame can carry: NUL, invalid UTF-8, a BOM. */
const junkBytes = fc.oneof(
  fc.uint8Array({ maxLength: 64 }),
  fc.constantFrom(
    Buffer.from([0]),
    Buffer.from([0xff, 0xfe]),
    Buffer.from([0xc3]),
    Buffer.from([0xed, 0xa0, 0x80]),
    Buffer.from("\ufeff"),
    Buffer.from(" \n\t"),
  ),
);

/** A payload frame: a request, mangled or not, or garbage. */
const payloadArb: fc.Arbitrary<Buffer> = fc.oneof(
  // A request as JSON, maybe with bad bytes around it.
  {
    weight: 10,
    arbitrary: fc
      .tuple(requestArb, fc.option(junkBytes), fc.option(junkBytes))
      .map(([request, before, after]) =>
        Buffer.concat([
          before ?? Buffer.alloc(0),
          Buffer.from(JSON.stringify(request)),
          after ?? Buffer.alloc(0),
        ]),
      ),
  },
  // A valid read.
  { weight: 3, arbitrary: readRequestArb.map((r) => Buffer.from(JSON.stringify(r))) },
  // Truncated JSON.
  {
    weight: 3,
    arbitrary: fc
      .tuple(requestArb, fc.double({ min: 0, max: 1, noNaN: true }))
      .map(([request, cut]) => {
        const text = Buffer.from(JSON.stringify(request));
        return text.subarray(0, Math.floor(text.length * cut));
      }),
  },
  // Random bytes, and JSON that is no object.
  { weight: 3, arbitrary: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)) },
  {
    weight: 2,
    arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => Buffer.from(JSON.stringify(v) ?? "")),
  },
  // Deep nesting, in the command, the id and a property.
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.integer({ min: 1, max: 20_000 }),
        fc.constantFrom("command", "id", "properties", "name"),
        fc.uuid(),
      )
      .map(([depth, where, id]) => {
        // An id is echoed in the reply: one too deep to write gets a reply without it (below).
        const levels = where === "id" ? Math.min(depth, 1000) : depth;
        const deep = "[".repeat(levels) + "]".repeat(levels);
        const request: Record<string, string> = { id: JSON.stringify(id), command: '"status"' };
        if (where === "name") request.properties = `{"name": ${deep}}`;
        else request[where] = deep;
        const body = Object.entries(request).map(([k, v]) => `"${k}": ${v}`);
        return Buffer.from(`{${body.join(", ")}}`);
      }),
  },
  // Big frames: under the protocol's limit (a normal reply), a little over (a "too big" reply).
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.oneof(
          { weight: 8, arbitrary: fc.integer({ min: 10_000, max: 200_000 }) },
          {
            weight: 2,
            arbitrary: fc.constantFrom(
              MAX_MESSAGE_BYTES - 100,
              MAX_MESSAGE_BYTES + 1,
              MAX_MESSAGE_BYTES + 30_000,
            ),
          },
        ),
        fc.constantFrom("status", "stop", "list"),
        fc.boolean(),
        fc.uuid(),
      )
      .map(([size, command, truncated, id]) => {
        const head = JSON.stringify({ id, command, properties: { name: "" } });
        // `{"id": ..., "properties": {"name": "xxxx...xx"}}`, the name filling the frame.
        const open = head.slice(0, -3);
        const close = truncated ? "" : '"}}';
        const pad = Math.max(0, size - open.length - close.length);
        return Buffer.concat([Buffer.from(open), Buffer.alloc(pad, "x"), Buffer.from(close)]);
      }),
  },
);

/** A message: the payload, after 0 to 7 garbage frames (a few more than an envelope takes). */
function messageArb(maxPrefix: number): fc.Arbitrary<Buffer[]> {
  return fc
    .tuple(fc.array(junkBytes, { maxLength: maxPrefix }), payloadArb)
    .map(([prefix, payload]) => [...prefix.map((b) => Buffer.from(b)), payload])
    .filter(harmless);
}

/** Any message from a DEALER: up to 9 garbage frames before the payload (over the limit). */
const dealerMessageArb = fc.oneof(
  { weight: 6, arbitrary: messageArb(0) },
  { weight: 3, arbitrary: messageArb(6) },
  { weight: 1, arbitrary: messageArb(10) },
);
/** A message from a REQ: an envelope it can read the reply of (at most 8 frames). */
const reqMessageArb = messageArb(5).filter((frames) => expected(frames, 2).reply);

/** A frame over the cut-off: a request of 1.5 MB, or 2 MB of garbage. */
function oversizeFrame(i: number): Buffer {
  assert.ok(1_500_000 > CUT_OFF_BYTES);
  if (i % 2 === 1) return Buffer.alloc(2 * 1024 * 1024, i % 256);
  const open = `{"id": "big-${i}", "command": "status", "properties": {"name": "`;
  return Buffer.concat([Buffer.from(open), Buffer.alloc(1_500_000, "y"), Buffer.from('"}}')]);
}

// ---------------------------------------------------------------------------------------------
// Clients

/** A DEALER that records every reply (by the id it carries, as canonical JSON). */
class Recorder {
  readonly dealer: Dealer;
  readonly replies: string[] = [];
  readonly garbled: string[] = [];
  disconnects = 0;
  private closed = false;

  constructor(endpoint: string, options: ConstructorParameters<typeof Dealer>[0] = {}) {
    this.dealer = new Dealer({ linger: 0, ...options });
    this.dealer.connect(endpoint);
    defer(() => this.close());
    void this.receive();
    void this.watch();
  }

  private async receive(): Promise<void> {
    try {
      for await (const frames of this.dealer) {
        const text = String(frames[frames.length - 1]);
        try {
          this.replies.push(canonical((JSON.parse(text) as Reply).id));
        } catch {
          this.garbled.push(text.slice(0, 200));
        }
      }
    } catch (error) {
      if (!this.closed) throw error;
    }
  }

  private async watch(): Promise<void> {
    try {
      for await (const event of this.dealer.events)
        if (event.type === "disconnect") this.disconnects++;
    } catch {
      // closed
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.dealer.close();
  }
}

/** Counts of each element. */
function tally(items: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return counts;
}

/** What `expected` wants and the recorder got differ in: missing and extra ids. */
function difference(want: string[], got: string[]): { missing: string[]; extra: string[] } {
  const left = tally(got);
  const missing: string[] = [];
  for (const id of want) {
    const n = left.get(id) ?? 0;
    if (n === 0) missing.push(id);
    else left.set(id, n - 1);
  }
  const extra = [...left].flatMap(([id, n]) => Array<string>(n).fill(id));
  return { missing, extra };
}

/** Everything of circusd's state that a change would show: watchers, pids, options. */
async function snapshot(c: RawClient): Promise<unknown> {
  const watchers = (await c.call("list")).watchers as string[];
  const each = [];
  for (const name of watchers) {
    const pids = (await c.call("list", { name })).pids;
    const options = (await c.call("options", { name })).options;
    const status = (await c.call("status", { name })).status;
    each.push({ name, pids, options, status });
  }
  const global = (await c.call("globaloptions")).options;
  const sockets = (await c.call("listsockets")).sockets;
  return { watchers, each, global, sockets };
}

/** A circusd with two watchers of sleepers (three processes), and its client. */
async function fuzzTarget(
  args: string[] = [],
): Promise<{ d: Circusd; c: RawClient; endpoint: string }> {
  const d = startCircusd(
    (dir) => sleeperSection(dir, "web", { numprocesses: 2 }) + sleeperSection(dir, "db"),
    { args },
  );
  const c = await connect(d);
  await waitFor(async () => ((await c.call("numprocesses")).numprocesses as number) === 3, {
    message: "three sleepers",
  });
  return { d, c, endpoint: testEndpoints(d.dir).endpoint as string };
}

/** Sends a request that answers at once and waits for it: what was sent before got its turn. */
async function sentinel(r: Recorder): Promise<void> {
  const id = randomUUID();
  await r.dealer.send(JSON.stringify({ id, command: "numwatchers" }));
  await waitFor(() => r.replies.includes(JSON.stringify(id)), { message: "the sentinel's reply" });
  r.replies.splice(r.replies.indexOf(JSON.stringify(id)), 1);
}

/** Sends on a REQ and waits (bounded) for its reply's id. */
async function reqCall(req: Request, frames: Buffer[]): Promise<string> {
  await req.send(frames);
  const [reply] = await Promise.race([
    req.receive().then((f) => [f[f.length - 1]]),
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error("no reply on the REQ in 10 s")), 10_000),
    ),
  ]);
  return canonical((JSON.parse(String(reply)) as Reply).id);
}

// ---------------------------------------------------------------------------------------------

describe("fuzzing the control endpoint", () => {
  test("garbage, wrong types, unicode: one reply per request, the state unchanged", async () => {
    const { d, c, endpoint } = await fuzzTarget();
    const before = await snapshot(c);
    let frames = 0;
    const started = Date.now();
    await fc.assert(
      fc.asyncProperty(
        fc.array(dealerMessageArb, { minLength: 1, maxLength: 30 }),
        fc.array(reqMessageArb, { maxLength: 3 }),
        async (messages, reqMessages) => {
          const r = new Recorder(endpoint);
          const want: string[] = [];
          try {
            for (const message of messages) {
              const e = expected(message, 1);
              if (e.reply) want.push(e.id);
              await r.dealer.send(message);
              frames++;
            }
            await sentinel(r);
            await waitFor(() => r.replies.length >= want.length, {
              timeout: 10_000,
              message: () => `${want.length} replies, got ${r.replies.length}`,
            });
            assert.deepEqual(r.garbled, [], "every reply is JSON");
            assert.deepEqual(difference(want, r.replies), { missing: [], extra: [] });
          } finally {
            r.close();
          }
          const req = new Request({ linger: 0 });
          req.connect(endpoint);
          try {
            for (const message of reqMessages) {
              const e = expected(message, 2);
              assert.ok(e.reply);
              assert.equal(await reqCall(req, message), e.id);
              frames++;
            }
          } finally {
            req.close();
          }
          assert.equal((await c.call("numwatchers")).numwatchers, 2, "still serving");
        },
      ),
      fuzzParams(100),
    );
    assert.deepEqual(await snapshot(c), before, "state unchanged");
    assert.equal(d.exitStatus, null, "circusd still runs");
    console.log(`control fuzz: ${frames} messages in ${(Date.now() - started) / 1000} s`);
  });

  test("regression: a command nested 20,000 deep is answered (it overflowed pyRepr)", async () => {
    const { d, c } = await fuzzTarget();
    const deep = "[".repeat(20_000) + "]".repeat(20_000);
    const reply = await c.request(`{"id": "deep-1", "command": ${deep}}`, "deep-1");
    assert.equal(reply.errno, 2);
    assert.match(String(reply.reason), /^unknown command: \[{100}\[\.\.\.\]\]{100}$/);
    assert.doesNotMatch(d.log, /RangeError/);
    // An id too deep to echo: one reply still, which says so, without the id.
    await c.send(`{"id": ${deep}, "command": "status"}`);
    const unechoed = await c.nextUnmatched();
    assert.deepEqual([unechoed.id, unechoed.errno], [null, 6]);
    assert.match(String(unechoed.reason), /server error/);
    assert.equal((await c.call("numwatchers")).numwatchers, 2);
  });

  test("regression: a REQ sending too many frames gets its error reply (it hung)", async () => {
    const { c, endpoint } = await fuzzTarget();
    const req = new Request({ linger: 0 });
    req.connect(endpoint);
    defer(() => req.close());
    const frames = [...Array.from({ length: 12 }, () => Buffer.from("x")), Buffer.from("{}")];
    await req.send(frames);
    const [reply] = await Promise.race([
      req.receive().then((f) => [f[f.length - 1]]),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error("no reply on the REQ in 10 s")), 10_000),
      ),
    ]);
    const body = JSON.parse(String(reply)) as Reply;
    assert.equal(body.status, "error");
    assert.equal(body.reason, "message invalid: too many frames");
    assert.equal((await c.call("numwatchers")).numwatchers, 2);
  });

  test("wrong types in every property of every command", async () => {
    const { c } = await fuzzTarget();
    const before = await snapshot(c);
    const wrong: unknown[] = [0, -1, 2.5, 1e300, true, null, "", "x\0", [], ["web"], {}, { a: 1 }];
    let sent = 0;
    for (const command of COMMANDS) {
      for (const property of PROPERTIES[command.name] ?? []) {
        for (const value of wrong) {
          const properties = { [property]: value };
          const frame = Buffer.from(JSON.stringify({ id: "x", command: command.name, properties }));
          if (!harmless([frame])) continue;
          const reply = await c.call(command.name, properties);
          assert.ok(reply.status !== undefined, `${command.name} ${JSON.stringify(properties)}`);
          sent++;
        }
      }
    }
    // Each command that reads a property refused some wrong type of it.
    assert.ok(sent > 100, `only ${sent} requests`);
    assert.deepEqual(await snapshot(c), before, "state unchanged");
  });

  test("a frame over the limit cuts its sender off; the others go on being answered", async () => {
    const { d, c, endpoint } = await fuzzTarget(["--log-level", "debug"]);
    const big = new Recorder(endpoint, { reconnectInterval: 10 });
    for (let i = 0; i < 4; i++) await big.dealer.send(oversizeFrame(i));
    await waitFor(() => big.disconnects >= 1, { message: "the sender of 1.5 MB to be cut off" });
    // It was never answered (the frames were not read), and circusd says so in its log.
    assert.deepEqual(big.replies, []);
    await d.waitForLog(
      new RegExp(
        `controller: a peer left, or was cut off \\(a frame over ${CUT_OFF_BYTES} bytes\\)`,
      ),
    );
    // A frame at the protocol's limit still gets its reply.
    const atLimit = Buffer.concat([
      Buffer.from('{"id": "at-limit", "command": "status", "properties": {"name": "'),
      Buffer.alloc(MAX_MESSAGE_BYTES + 1000, "z"),
      Buffer.from('"}}'),
    ]);
    const told = await c.request(atLimit.toString(), "at-limit");
    assert.match(String(told.reason), /too big/);
    assert.equal((await c.call("numwatchers")).numwatchers, 2);
  });
});

describe("memory under hostile input", () => {
  test("three rounds of 10,000 frames with 1.5 MB ones: RSS stays bounded", async () => {
    const { d, c, endpoint } = await fuzzTarget();
    const before = await snapshot(c);
    const rounds: { frames: number; seconds: number; rssBefore: number; rssAfter: number }[] = [];
    const start = rssMiB(d.pid);
    const hostile = new Recorder(endpoint);
    const orderly = new Recorder(endpoint);
    const big = new Recorder(endpoint, { reconnectInterval: 10 });
    const reads = fc.sample(readRequestArb, { seed: FUZZ_SEED, numRuns: 600 });
    for (let round = 0; round < 3; round++) {
      const messages = fc.sample(dealerMessageArb, { seed: FUZZ_SEED + round, numRuns: 10_000 });
      const rssBefore = rssMiB(d.pid);
      const t0 = Date.now();
      const want: string[] = [];
      const order: string[] = [];
      const sendBig = (async () => {
        for (let i = 0; i < 100; i++) await big.dealer.send(oversizeFrame(round * 100 + i));
      })();
      let sent = 0;
      for (const [i, message] of messages.entries()) {
        const e = expected(message, 1);
        if (e.reply) want.push(e.id);
        // At most 500 unanswered: a ROUTER drops the replies to a peer 1000 behind.
        if (want.length - hostile.replies.length > 500)
          await waitFor(() => want.length - hostile.replies.length <= 250, {
            interval: 1,
            message: () => `replies to catch up: ${hostile.replies.length}/${want.length}`,
          });
        await hostile.dealer.send(message);
        sent++;
        if (i % 50 === 0) {
          const read = reads[round * 200 + i / 50] as Record<string, unknown>;
          order.push(canonical(read.id));
          await orderly.dealer.send(JSON.stringify(read));
        }
      }
      await sendBig;
      sent += 100;
      await waitFor(
        () => hostile.replies.length >= want.length && orderly.replies.length >= order.length,
        {
          timeout: 60_000,
          message: () =>
            `replies: hostile ${hostile.replies.length}/${want.length} (cut off ${hostile.disconnects} times), orderly ${orderly.replies.length}/${order.length}; missing ${JSON.stringify(difference(want, hostile.replies)).slice(0, 500)}`,
        },
      );
      assert.deepEqual(
        difference(want, hostile.replies),
        { missing: [], extra: [] },
        `round ${round}, seed ${FUZZ_SEED}`,
      );
      assert.deepEqual(orderly.replies, order, "every valid read answered, in order");
      hostile.replies.length = 0;
      orderly.replies.length = 0;
      const rssAfter = rssMiB(d.pid);
      rounds.push({ frames: sent, seconds: (Date.now() - t0) / 1000, rssBefore, rssAfter });
    }
    console.log(`memory fuzz (seed ${FUZZ_SEED}): start ${start.toFixed(1)} MiB`);
    for (const [i, r] of rounds.entries())
      console.log(
        `  round ${i + 1}: ${r.frames} frames in ${r.seconds.toFixed(1)} s, RSS ${r.rssBefore.toFixed(1)} -> ${r.rssAfter.toFixed(1)} MiB`,
      );
    console.log(`  big sender: ${big.replies.length} replies, ${big.disconnects} cut-offs`);
    assert.deepEqual(await snapshot(c), before, "state unchanged");
    // Right after the load, V8 and malloc still hold some of its garbage (32 to 51 MiB over
    // the start, measured): the bound is on what stays once the load is over (V8's memory
    // reducer runs some seconds later): within 50 MiB of the start.
    const t0 = Date.now();
    const settled = await waitFor(
      () => {
        const rss = rssMiB(d.pid);
        return rss <= start + 50 ? rss : null;
      },
      {
        timeout: 30_000,
        interval: 250,
        message: () => `RSS ${start.toFixed(1)} -> ${rssMiB(d.pid).toFixed(1)} MiB to come back`,
      },
    );
    console.log(`  RSS ${settled.toFixed(1)} MiB ${((Date.now() - t0) / 1000).toFixed(1)} s later`);
  });
});
