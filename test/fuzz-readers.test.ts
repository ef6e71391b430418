/**
 * The other readers of issue 15's item 4, fuzzed: the loggerconfig files (INI, JSON, YAML;
 * circusd's `configureFromFile`, in process) and the web console's inputs (the JSON body of
 * POST /api/daemons/0/watchers and the WebSocket messages, against a real circushttpd).
 * Either it works or it says what is wrong in one line; never another exception, never a
 * crash; the server goes on serving.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import WebSocket from "ws";
import path from "node:path";
import { describe, test } from "node:test";
import fc from "fast-check";
import YAML from "yaml";
import { BUILTIN_STREAMS, createStream } from "../src/streams/registry.js";
import { StreamOptionError } from "../src/streams/types.js";
import { configureDefault, configureFromFile, LoggingConfigError } from "../src/log/config.js";
import { layoutScreen } from "../src/top/layout.js";
import { StatsModel } from "../src/top/stats-model.js";
import { addProperties } from "../src/web/server/add-watcher.js";
import { hashPassword } from "../src/web/server/users.js";
import { ROOT, makeTempDir, startCircusd, waitFor } from "./helpers/circusd.js";
import { cleanupEachTest, defer } from "./helpers/cleanup.js";
import { freePort } from "./helpers/ctl.js";
import { FUZZ_SEED, fuzzParams, hostileString } from "./helpers/fuzz.js";

cleanupEachTest();

const FIXTURES = path.join(ROOT, "test/fixtures/log");

/** A value for any key of a logging dict: every JSON type, hostile text, class names. */
const valueArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  hostileString,
  fc.constantFrom(
    "logging.FileHandler",
    "logging.StreamHandler",
    "logging.handlers.RotatingFileHandler",
    "logging.handlers.TimedRotatingFileHandler",
    "logging.handlers.SysLogHandler",
    "logging.handlers.WatchedFileHandler",
    "ext://sys.stdout",
    "ext://nope",
    "cfg://handlers.x",
    "os.system",
    "/nonexistent/dir/x.log",
    "%(nope)s",
    "{",
    "$",
    "DEBUG",
    "NOPE",
    -1,
    1e308,
  ),
);

/** Sets, deletes or replaces a value at a path (chosen by numbers) of a dict. */
type Edit = { at: number[]; value?: unknown; remove?: boolean };

const editArb: fc.Arbitrary<Edit> = fc.record(
  {
    at: fc.array(fc.nat(), { minLength: 1, maxLength: 4 }),
    value: valueArb,
    remove: fc.boolean(),
  },
  { requiredKeys: ["at"] },
);

function applyEdit(root: unknown, edit: Edit): unknown {
  if (typeof root !== "object" || root === null) return edit.value;
  let node = root as Record<string, unknown>;
  for (const [depth, n] of edit.at.entries()) {
    const keys = Object.keys(node);
    if (keys.length === 0) break;
    const key = keys[n % keys.length] as string;
    const child = node[key];
    if (depth === edit.at.length - 1 || typeof child !== "object" || child === null) {
      if (edit.remove) delete node[key];
      else node[key] = edit.value;
      return root;
    }
    node = child as Record<string, unknown>;
  }
  return root;
}

/** A byte-level mutation of a file's text. */
type TextEdit = { flip: [number, number] } | { cut: number } | { insert: [number, string] };

const textEditArb: fc.Arbitrary<TextEdit> = fc.oneof(
  fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })).map((flip) => ({ flip })),
  fc.nat().map((cut) => ({ cut })),
  fc
    .tuple(
      fc.nat(),
      fc.oneof(
        hostileString,
        fc.constantFrom(
          "[handler_x]",
          "keys = a, b",
          "args = (",
          "class = os.system",
          "\0",
          "\n  - x",
        ),
      ),
    )
    .map((insert) => ({ insert })),
);

function applyText(text: Buffer, edit: TextEdit): Buffer {
  const out = Buffer.from(text);
  if ("flip" in edit) {
    if (out.length > 0) out[edit.flip[0] % out.length] = edit.flip[1];
    return out;
  }
  if ("cut" in edit) return out.subarray(0, edit.cut % (out.length + 1));
  const at = edit.insert[0] % (out.length + 1);
  return Buffer.concat([out.subarray(0, at), Buffer.from(edit.insert[1]), out.subarray(at)]);
}

const FILES = ["logging.ini", "logging.json", "logging.yaml", "rotating.ini"];

/** A loggerconfig of the fixtures, edited as a dict (JSON, YAML) or as text (all). */
const loggerConfigArb = fc.tuple(
  fc.constantFrom(...FILES),
  fc.array(editArb, { maxLength: 4 }),
  fc.array(textEditArb, { maxLength: 3 }),
);

describe("fuzzing the other readers", () => {
  test("loggerconfig INI, JSON, YAML: installed, or a one-line error naming the file", async () => {
    const dir = makeTempDir("circus-fuzz-log-");
    const cwd = process.cwd();
    // Relative log file names land in the temp folder.
    process.chdir(dir);
    let installed = 0;
    let refused = 0;
    try {
      await fc.assert(
        fc.asyncProperty(loggerConfigArb, async ([name, edits, textEdits]) => {
          const original = readFileSync(path.join(FIXTURES, name));
          let text: Buffer = original;
          const ext = path.extname(name);
          if (ext !== ".ini" && edits.length > 0) {
            let data: unknown =
              ext === ".json" ? JSON.parse(original.toString()) : YAML.parse(original.toString());
            for (const edit of edits) data = applyEdit(data, edit);
            text = Buffer.from(
              ext === ".json" ? (JSON.stringify(data) ?? "null") : YAML.stringify(data),
            );
          }
          for (const edit of textEdits) text = applyText(text, edit);
          const file = path.join(dir, `fuzz${ext}`);
          writeFileSync(file, text);
          try {
            await configureFromFile(file);
            installed++;
          } catch (error) {
            refused++;
            const context = `${name}:\n${text.toString("utf8").slice(0, 1500)}`;
            if (!(error instanceof LoggingConfigError))
              assert.fail(
                `not a LoggingConfigError: ${(error as Error)?.stack ?? String(error)}\n${context}`,
              );
            assert.doesNotMatch(error.message, /\n/, `one line: ${context}`);
            assert.ok(error.message.startsWith(file), `names the file: ${error.message}`);
          }
        }),
        fuzzParams(Number(process.env.FUZZ_RUNS ?? 1000)),
      );
    } finally {
      process.chdir(cwd);
      // Back to a log of its own, so that the last fuzzed config's files are closed.
      await configureDefault(30, path.join(dir, "default.log"));
    }
    console.log(
      `loggerconfig fuzz (seed ${FUZZ_SEED}): ${installed} installed, ${refused} refused`,
    );
    assert.ok(installed > 0 && refused > 0, "both outcomes seen");
  });

  test("stream options: a stream, or a StreamOptionError of one line naming the option", async () => {
    const dir = makeTempDir("circus-fuzz-streams-");
    const options = [
      "filename",
      "max_bytes",
      "backup_count",
      "time_format",
      "when",
      "interval",
      "utc",
      "rotate_when",
      "rotate_interval",
      "refresh_time",
      "color",
      "prefix",
      "encoding",
    ];
    const specArb = fc.record({
      class: fc.oneof(
        fc.constantFrom(...Object.keys(BUILTIN_STREAMS)),
        fc.constantFrom(...Object.keys(BUILTIN_STREAMS)).map((c) => `circus.stream.${c}`),
        fc.constantFrom("NoSuch", "circus.stream.NoSuch", "", " ", "\0", "./nope.mjs:X", "nope:X"),
      ),
      options: fc.dictionary(
        fc.oneof(fc.constantFrom(...options), hostileString),
        fc.oneof(
          hostileString,
          fc.integer().map(String),
          fc.constantFrom(
            "0",
            "-1",
            "1e400",
            "S",
            "MIDNIGHT",
            "W7",
            "red",
            "%Y",
            "out.log",
            "/nonexistent/x.log",
            dir,
          ),
        ),
        { maxKeys: 4 },
      ),
    });
    let created = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(specArb, async (spec) => {
        // A relative file name lands in the temp folder.
        if (spec.options.filename !== undefined && !spec.options.filename.startsWith("/"))
          spec.options.filename = path.join(dir, "s", spec.options.filename);
        try {
          const stream = await createStream(spec, dir);
          created++;
          await stream.close?.();
        } catch (error) {
          refused++;
          if (!(error instanceof StreamOptionError))
            assert.fail(
              `not a StreamOptionError: ${(error as Error)?.stack ?? String(error)} for ${JSON.stringify(spec)}`,
            );
          assert.doesNotMatch(error.message, /\n/, JSON.stringify(spec));
        }
      }),
      fuzzParams(400),
    );
    console.log(`stream options fuzz (seed ${FUZZ_SEED}): ${created} created, ${refused} refused`);
    assert.ok(created > 0 && refused > 0, "both outcomes seen");
  });

  test("stats frames from a hostile stream: circus-top reads and lays them out, never throws", () => {
    // What a stats endpoint may send: topics of any shape, bodies of any JSON.
    const topic = fc.oneof(
      fc.constantFrom("stat.", "stat.web", "stat.web.12", "stat.circus.1", "stat.sockets"),
      fc.constantFrom("stat.sockets.7", "stat.web.-3", "stat.web.1e9", "stat..x"),
      hostileString.map((t) => `stat.${t}`),
    );
    const json = fc.jsonValue({ maxDepth: 4 });
    const body = fc.oneof(
      json,
      fc.record(
        {
          pid: fc.oneof(fc.integer(), fc.array(fc.integer()), json),
          cpu: fc.oneof(fc.double(), json),
          mem: fc.oneof(fc.double(), json),
          age: fc.oneof(fc.double(), json),
          name: fc.oneof(hostileString, json),
          reads: fc.oneof(fc.integer(), json),
          address: fc.oneof(hostileString, json),
          addresses: fc.oneof(fc.array(hostileString), json),
        },
        { requiredKeys: [] },
      ),
    );
    const frames = fc.array(fc.record({ topic, data: body }), { maxLength: 40 });
    let count = 0;
    fc.assert(
      fc.property(frames, fc.integer({ min: 1, max: 300 }), (batch, width) => {
        const model = new StatsModel(3);
        for (const [i, f] of batch.entries()) model.ingest(f.topic, f.data, i * 100);
        const screen = layoutScreen(model, {
          width,
          height: 30,
          sort: "cpu",
          filter: "",
          editing: null,
          scroll: 0,
          source: "tcp://127.0.0.1:5557",
          now: batch.length * 100,
          startedAt: 0,
        });
        assert.ok(screen.lines.length <= 30);
        count += batch.length;
      }),
      fuzzParams(500),
    );
    console.log(`stats fuzz: ${count} frames`);
  });

  test("the web console: bad watcher forms and WebSocket messages answered, never a crash", async () => {
    const dir = makeTempDir();
    const port = await freePort();
    const users = path.join(dir, "users");
    writeFileSync(users, `alice:admin:${await hashPassword("wonderland")}\n`);
    const d = startCircusd(
      `[circus]\nhttpd = true\nhttpd_host = 127.0.0.1\nhttpd_port = ${port}\nhttpd_users = ${users}\n`,
      { dir },
    );
    const base = `http://127.0.0.1:${port}`;
    let cookie = "";
    let csrf = "";
    await waitFor(
      async () => {
        const r = await fetch(`${base}/api/login`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ user: "alice", password: "wonderland" }),
        });
        if (r.status !== 200) return false;
        cookie = (r.headers.get("set-cookie") ?? "").split(";")[0] as string;
        csrf = String(((await r.json()) as { csrf: string }).csrf);
        return true;
      },
      { timeout: 30_000, message: () => `circushttpd to answer; log:\n${d.log}` },
    );
    const headers = { Cookie: cookie, "X-CSRF-Token": csrf, "Content-Type": "application/json" };
    const before = await (await fetch(`${base}/api/daemons/0/watchers`, { headers })).text();

    // Forms: only those the console refuses (a valid one would add a watcher).
    const field = fc.oneof(valueArb, fc.constantFrom("sleep", "web", "x".repeat(200)));
    const formArb = fc.oneof(
      fc
        .dictionary(
          fc.constantFrom(
            "name",
            "cmd",
            "args",
            "numprocesses",
            "working_dir",
            "env",
            "autostart",
            "start",
          ),
          field,
          { maxKeys: 8 },
        )
        .filter((body) => {
          try {
            addProperties(body);
            return false;
          } catch {
            return true;
          }
        })
        .map((body) => JSON.stringify(body)),
      fc.string({ unit: "binary", maxLength: 200 }),
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? ""),
      fc.integer({ min: 60 * 1024, max: 200 * 1024 }).map((n) => `{"name": "${"n".repeat(n)}"}`),
    );
    let forms = 0;
    await fc.assert(
      fc.asyncProperty(formArb, async (body) => {
        const r = await fetch(`${base}/api/daemons/0/watchers`, { method: "POST", headers, body });
        const text = await r.text();
        forms++;
        assert.ok(
          r.status >= 400 && r.status < 500,
          `${r.status} for ${body.slice(0, 300)}: ${text}`,
        );
        const answer = JSON.parse(text) as { error?: unknown };
        assert.equal(typeof answer.error, "string", text);
        assert.doesNotMatch(String(answer.error), /\n/);
      }),
      fuzzParams(150),
    );

    // WebSocket messages: each bad one gets exactly one error message back.
    const ws = new WebSocket(`${base.replace("http", "ws")}/ws`, {
      origin: base,
      headers: { Cookie: cookie },
    });
    defer(() => ws.terminate());
    const errors: string[] = [];
    ws.on("message", (data) => {
      const m = JSON.parse(String(data)) as { type: string; message?: string };
      if (m.type === "error") errors.push(String(m.message));
    });
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    const channel = fc.oneof(
      fc.constantFrom("stats", "events", "logs:web", "logs:", "logs:*"),
      valueArb,
    );
    const wsMessageArb = fc.oneof(
      fc
        .record(
          {
            type: fc.oneof(fc.constantFrom("subscribe", "unsubscribe"), valueArb),
            daemon: fc.oneof(fc.constant("0"), valueArb),
            channels: fc.oneof(fc.array(channel, { maxLength: 4 }), valueArb),
          },
          { requiredKeys: [] },
        )
        .map((m) => ({ text: JSON.stringify(m), binary: false })),
      fc.string({ unit: "binary", maxLength: 300 }).map((text) => ({ text, binary: false })),
      fc.jsonValue({ maxDepth: 2 }).map((v) => ({ text: JSON.stringify(v) ?? "", binary: false })),
      fc
        .uint8Array({ maxLength: 100 })
        .map((b) => ({ text: Buffer.from(b).toString("latin1"), binary: true })),
      fc
        .integer({ min: 4000, max: 6000 })
        .map((n) => ({ text: `{"type": "${"s".repeat(n)}"}`, binary: false })),
    );
    let wsMessages = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(wsMessageArb, { minLength: 1, maxLength: 10 }),
        async (messages) => {
          errors.length = 0;
          for (const m of messages) ws.send(m.binary ? Buffer.from(m.text, "latin1") : m.text);
          wsMessages += messages.length;
          // A last bad message: once its error is back, every one before it was read.
          ws.send("sync");
          const expected = messages.filter((m) => wsRefused(m.text, m.binary)).length;
          await waitFor(
            () => errors.length >= expected + 1 && errors[errors.length - 1] === "bad JSON",
            {
              timeout: 5000,
              message: () => `${expected + 1} errors; got ${JSON.stringify(errors)}`,
            },
          );
          assert.equal(errors.length - 1, expected, JSON.stringify(errors));
          assert.equal(ws.readyState, WebSocket.OPEN);
        },
      ),
      fuzzParams(100),
    );
    assert.equal(
      await (
        await fetch(`${base}/api/daemons/0/watchers`, { headers })
      )
        .text()
        .then((t) => t === before),
      true,
      "no watcher added",
    );
    assert.ok((await fetch(`${base}/healthz`)).ok, "still serving");
    assert.equal(d.exitStatus, null);
    console.log(`web fuzz (seed ${FUZZ_SEED}): ${forms} forms, ${wsMessages} WebSocket messages`);
  });
});

/** Whether circushttpd answers a WebSocket message with an error (ws-hub.ts's rules). */
function wsRefused(text: string, binary: boolean): boolean {
  if (binary || Buffer.byteLength(text) > 4 * 1024) return true;
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return true;
  }
  if (typeof message !== "object" || message === null) return true;
  const { type, daemon, channels } = message as Record<string, unknown>;
  if (type !== "subscribe" && type !== "unsubscribe") return true;
  if (daemon !== "0") return true;
  return !(
    Array.isArray(channels) &&
    channels.every(
      (c) =>
        c === "stats" ||
        c === "events" ||
        (typeof c === "string" && /^logs:[A-Za-z0-9_.-]{1,128}$/.test(c)),
    )
  );
}
