/**
 * Mutated real configs (examples/*.ini) through the INI reader and the option parsers
 * (issue 15, item 4): lines dropped, duplicated, swapped; characters flipped; random values
 * for known options (stream options included); unknown sections; bad `$(circus.env.X)`;
 * huge values, NUL bytes, invalid UTF-8. The loader circusd uses, in process: a valid
 * config, or a ConfigError of one line naming the file and, for a line, the line, its
 * section and option; never another exception. Then a few through the real circusd: no
 * stack trace, one line when it refuses.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { cpSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import fc from "fast-check";
import { ConfigError } from "../src/config/errors.js";
import { loadConfig } from "../src/config/load.js";
import { checkSupported } from "../src/control/unsupported.js";
import { CIRCUSD, ROOT, makeTempDir, waitFor, withTestEndpoints } from "./helpers/circusd.js";
import { cleanupEachTest, defer } from "./helpers/cleanup.js";
import { FUZZ_SEED, fuzzParams, hostileString } from "./helpers/fuzz.js";

cleanupEachTest();

const EXAMPLES = path.join(ROOT, "examples");
const CONFIGS = readdirSync(EXAMPLES)
  .filter((f) => f.endsWith(".ini"))
  .sort();

/** Options of every kind of section, stream options among them. */
const OPTIONS = [
  "cmd",
  "args",
  "numprocesses",
  "warmup_delay",
  "graceful_timeout",
  "max_retry",
  "priority",
  "singleton",
  "use_sockets",
  "copy_env",
  "copy_path",
  "uid",
  "gid",
  "umask",
  "rlimit_nofile",
  "rlimit_core",
  "respawn",
  "autostart",
  "max_age",
  "max_age_variance",
  "stop_signal",
  "stop_children",
  "working_dir",
  "shell",
  "env",
  "hooks.before_start",
  "hooks.after_stop",
  "on_demand",
  "virtualenv",
  "close_child_stdout",
  "stdout_stream.class",
  "stdout_stream.filename",
  "stdout_stream.max_bytes",
  "stdout_stream.backup_count",
  "stdout_stream.time_format",
  "stdout_stream.when",
  "stdout_stream.interval",
  "stdout_stream.refresh_time",
  "stderr_stream.class",
  "stderr_stream.color",
  "stderr_stream.filename",
  "stderr_stream.max_bytes",
  "endpoint",
  "pubsub_endpoint",
  "stats_endpoint",
  "statsd",
  "httpd",
  "httpd_port",
  "loglevel",
  "logoutput",
  "loggerconfig",
  "check_delay",
  "warmup_delay",
  "include",
  "include_dir",
  "host",
  "port",
  "path",
  "family",
  "type",
  "backlog",
  "so_reuseport",
  "use",
  "use_papa",
  "umask",
  "replace",
];

/** A value for any option: numbers of every shape, bad interpolation, huge, NUL, unicode. */
const valueArb: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    "",
    "0",
    "-1",
    "1.5",
    "1e309",
    "NaN",
    "99999999999999999999999",
    "true",
    "maybe",
    "$(circus.env.NOPE)",
    "$(circus.env.",
    "$(circus.env.HOME",
    "$(circus.wid)",
    "$(circus.nope)",
    "$(CIRCUS.ENV.X)",
    "$HOME",
    "${HOME",
    "%(here)s",
    "%(",
    "FileStream",
    "./nope.mjs:Nope",
    "nope.module.Class",
    "tcp://",
    "ipc://",
    "tcp://256.1.1.1:99999",
    "/dev/null",
    "/nonexistent/dir/file",
    "\0",
    "a\0b",
    "SIGFOO",
    "-",
  ),
  hostileString,
  fc.integer().map(String),
  // Huge, but not so huge that the number regex's quadratic time (see the todo test) shows.
  fc.integer({ min: 1000, max: 4000 }).map((n) => "9".repeat(n)),
  fc.integer({ min: 1000, max: 100_000 }).map((n) => "x".repeat(n)),
);

/** One mutation of a config's lines (plain data, so that a failure prints it). */
type Mutation =
  | { drop: number }
  | { duplicate: number }
  | { swap: [number, number] }
  | { flip: [number, number, number] }
  | { insert: [number, string] }
  | { value: [number, string] }
  | { append: [number, number[]] }
  | { prefix: [number, string] };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.nat().map((i) => ({ drop: i })),
  fc.nat().map((i) => ({ duplicate: i })),
  fc.tuple(fc.nat(), fc.nat()).map((swap) => ({ swap })),
  // A character flipped, to any byte.
  fc.tuple(fc.nat(), fc.nat(), fc.integer({ min: 0, max: 255 })).map((flip) => ({ flip })),
  // A known option (or any) set to a random value, in a random place.
  fc
    .tuple(fc.nat(), fc.oneof(fc.constantFrom(...OPTIONS), hostileString), valueArb)
    .map(([i, option, value]) => ({ insert: [i, `${option} = ${value}`] as [number, string] })),
  // The value of an existing option replaced.
  fc.tuple(fc.nat(), valueArb).map((value) => ({ value })),
  // A section header: unknown, malformed, or a known kind with an odd name.
  fc
    .tuple(
      fc.nat(),
      fc.oneof(
        fc.constantFrom(
          "[bogus]",
          "[watcher:]",
          "[watcher]",
          "[socket:]",
          "[plugin:x]",
          "[env:]",
          "[env:nope]",
          "[circus",
          "[]",
          "[[circus]]",
          "[watcher:a:b]",
        ),
        hostileString.map((s) => `[watcher:${s}]`),
      ),
    )
    .map((insert) => ({ insert })),
  // Invalid UTF-8 and NUL bytes in a line.
  fc
    .tuple(fc.nat(), fc.constantFrom([0xff], [0xc3], [0xed, 0xa0, 0x80], [0], [0xef, 0xbb, 0xbf]))
    .map(([i, bytes]) => ({ append: [i, [...bytes]] as [number, number[]] })),
  // A line continued, indented, or a comment made an option.
  fc
    .tuple(fc.nat(), fc.constantFrom("  ", "\t", "#", ";", "= ", "="))
    .map((prefix) => ({ prefix })),
);

/** Applies one mutation to lines (of bytes, to carry invalid UTF-8). */
function apply(lines: Buffer[], m: Mutation): Buffer[] {
  const out = [...lines];
  const at = (i: number, extra = 0) => i % (out.length + extra);
  if ("drop" in m) out.splice(at(m.drop), 1);
  else if ("duplicate" in m) out.splice(at(m.duplicate), 0, out[at(m.duplicate)] as Buffer);
  else if ("swap" in m) {
    const [a, b] = [at(m.swap[0]), at(m.swap[1])];
    [out[a], out[b]] = [out[b] as Buffer, out[a] as Buffer];
  } else if ("flip" in m) {
    const line = Buffer.from(out[at(m.flip[0])] as Buffer);
    if (line.length > 0) line[m.flip[1] % line.length] = m.flip[2];
    out[at(m.flip[0])] = line;
  } else if ("insert" in m) out.splice(at(m.insert[0], 1), 0, Buffer.from(m.insert[1]));
  else if ("value" in m) {
    const options = out.flatMap((l, j) => (/^[\w.]+\s*=/.test(l.toString("latin1")) ? [j] : []));
    if (options.length > 0) {
      const k = options[m.value[0] % options.length] as number;
      const text = (out[k] as Buffer).toString("latin1");
      out[k] = Buffer.from(text.slice(0, text.indexOf("=") + 1) + " " + m.value[1]);
    }
  } else if ("append" in m) {
    const k = at(m.append[0]);
    out[k] = Buffer.concat([out[k] as Buffer, Buffer.from(m.append[1])]);
  } else {
    const k = at(m.prefix[0]);
    out[k] = Buffer.concat([Buffer.from(m.prefix[1]), out[k] as Buffer]);
  }
  return out;
}

/** A config of examples/ and the mutations to apply to it. */
const mutantArb = fc.tuple(
  fc.constantFrom(...CONFIGS),
  fc.array(mutationArb, { minLength: 1, maxLength: 6 }),
);

/** Applies mutations to a config's text. */
function mutate(text: Buffer, mutations: Mutation[]): Buffer {
  let lines: Buffer[] = [];
  let start = 0;
  for (let i = 0; i <= text.length; i++) {
    if (i === text.length || text[i] === 0x0a) {
      lines.push(text.subarray(start, i));
      start = i + 1;
    }
  }
  for (const m of mutations) lines = apply(lines.length > 0 ? lines : [Buffer.alloc(0)], m);
  return Buffer.concat(lines.flatMap((l) => [l, Buffer.from("\n")]));
}

/** A file's lines as the INI reader splits them. */
function fileLines(file: string): string[] {
  return readFileSync(file, "utf8").split(/\r\n|\r|\n/);
}

/**
 * The sections a line of a file may be in: the last header at or above it; an indented
 * header may be a value's continuation (as configparser reads it), so the one above counts too.
 */
function sectionsOfLine(file: string, line: number): string[] {
  const lines = fileLines(file);
  const found: string[] = [];
  for (let i = line - 1; i >= 0; i--) {
    const raw = lines[i] ?? "";
    const text = raw.trim();
    if (!text.startsWith("[") || !text.endsWith("]")) continue;
    found.push(text.slice(1, -1).trim().toLowerCase());
    if (raw === raw.trimStart()) break;
  }
  return found;
}

/** The one-line rule of a ConfigError about a file of `dir`. */
function checkError(error: unknown, dir: string, context: string): void {
  if (!(error instanceof ConfigError)) {
    assert.fail(`not a ConfigError (${context}): ${(error as Error)?.stack ?? String(error)}`);
  }
  assert.doesNotMatch(error.message, /\n/, `one line: ${context}`);
  assert.ok(error.file, `names a file: ${error.message}`);
  assert.ok(error.message.startsWith(error.file), `starts with the file: ${error.message}`);
  if (error.line !== undefined) {
    assert.ok(error.message.startsWith(`${error.file}:${error.line}: `), error.message);
    if (error.file.startsWith(dir)) {
      const lines = fileLines(error.file);
      assert.ok(
        error.line >= 1 && error.line <= lines.length,
        `line in the file: ${error.message}`,
      );
      // An option is named with its section, which is the one the line is in.
      if (error.option !== undefined)
        assert.ok(error.section !== undefined, `names the section: ${error.message}`);
      if (error.section !== undefined)
        assert.ok(
          sectionsOfLine(error.file, error.line).includes(error.section.toLowerCase()),
          `the section of line ${error.line}: ${error.message}\n${JSON.stringify(lines.slice(0, error.line))}`,
        );
    }
  }
}

/** A copy of examples/ in a temp folder (for includes and the files the configs name). */
function examplesCopy(): string {
  const dir = makeTempDir("circus-fuzz-config-");
  cpSync(EXAMPLES, dir, { recursive: true });
  return dir;
}

describe("fuzzing the config reader", () => {
  test("mutated examples: a config, or a ConfigError of one line at the right place", () => {
    const dir = examplesCopy();
    let loaded = 0;
    let refused = 0;
    const started = Date.now();
    fc.assert(
      fc.property(mutantArb, ([name, mutations]) => {
        const file = path.join(dir, name);
        const text = mutate(readFileSync(path.join(EXAMPLES, name)), mutations);
        writeFileSync(file, text);
        try {
          const config = loadConfig(file, { env: { HOME: "/root" }, warn: () => undefined });
          const unsupported = checkSupported(config);
          if (unsupported) throw unsupported;
          loaded++;
        } catch (error) {
          refused++;
          checkError(error, dir, `${name}:\n${text.toString("utf8").slice(0, 2000)}`);
        }
      }),
      fuzzParams(Number(process.env.FUZZ_RUNS ?? 3000)),
    );
    console.log(
      `config fuzz (seed ${FUZZ_SEED}): ${loaded} loaded, ${refused} refused in ${(Date.now() - started) / 1000} s`,
    );
    assert.ok(loaded > 0 && refused > 0, "both outcomes seen");
  });

  // Found by this fuzz test (other seeds than the fixed one), and fixed.

  /** Loads a config text; returns the error (null when it loads) and the warnings. */
  function loadText(text: string): { error: unknown; warnings: string[] } {
    const file = path.join(makeTempDir("circus-fuzz-config-"), "circus.ini");
    writeFileSync(file, text);
    const warnings: string[] = [];
    try {
      loadConfig(file, { env: {}, warn: (message: string) => void warnings.push(message) });
      return { error: null, warnings };
    } catch (error) {
      return { error, warnings };
    }
  }

  test("regression: 200,000 digits then a letter are refused at once, in one short line", () => {
    // Found as: web-console.ini, graceful_timeout = 243,307 nines, then a comment line and
    // an indented `graceful_timeout = 2` (a continuation): 98 s in loadConfig, the number
    // regex backtracking in quadratic time. A generous bound: that would take minutes.
    const started = performance.now();
    const { error } = loadText(
      `[watcher:x]\ncmd = sleep 1\ngraceful_timeout = ${"9".repeat(200_000)}x\n`,
    );
    assert.ok(error instanceof ConfigError, String(error));
    assert.ok(performance.now() - started < 5000, `${performance.now() - started} ms`);
    assert.ok(error.message.length < 300, `a short message: ${error.message.length} characters`);
    assert.match(error.message, /\(200001 characters\)/);
  });

  test("regression: an include name too long for the system matches nothing, as a missing one", () => {
    const { error, warnings } = loadText(
      `[circus]\ninclude = ${"9".repeat(300)}\n[watcher:x]\ncmd = sleep 1\n`,
    );
    assert.equal(error, null);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] as string, /does not lead to any config file/);
  });

  test("regression: a huge graceful_timeout is refused at its line, by its option's name", () => {
    const { error } = loadText(
      `[watcher:x]\ncmd = sleep 1\ngraceful_timeout = ${"9".repeat(400)}\n`,
    );
    assert.ok(error instanceof ConfigError, String(error));
    assert.deepEqual([error.line, error.option], [3, "graceful_timeout"], error.message);
    assert.match(error.message, /too large a number/);
  });

  test("20 mutated configs through circusd: no stack trace, one line when refused", async () => {
    const dir = examplesCopy();
    const mutants = fc.sample(mutantArb, { seed: FUZZ_SEED, numRuns: 20 });
    const outcomes: string[] = [];
    for (const [i, [name, mutations]] of mutants.entries()) {
      const file = path.join(dir, `mutant-${i}.ini`);
      let text = mutate(readFileSync(path.join(EXAMPLES, name)), mutations).toString("latin1");
      // Its own endpoints, never the example's tcp ports; the rest as mutated.
      text = text.replace(
        /^\s*(endpoint|pubsub_endpoint|stats_endpoint|httpd_port|port)\s*=.*$/gm,
        "",
      );
      text = withTestEndpoints(text, dir, `mutant-${i}.ini`);
      writeFileSync(file, Buffer.from(text, "latin1"));
      const child = spawn(process.execPath, [CIRCUSD, file], {
        cwd: dir,
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, CIRCUS_IT_MARKER: dir },
      });
      // Should an assertion fail while it runs: circusd, then what carries the folder.
      defer(() => child.kill("SIGKILL"));
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
      child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
      let exit: number | string | null | undefined;
      child.once("close", (code, signal) => (exit = code ?? signal));
      // Refused at once, or started: its control socket answers a quit.
      await waitFor(
        () => exit !== undefined || /Arbiter now waiting|Starting master on pid/.test(stdout),
        {
          timeout: 15_000,
          message: () => `circusd on ${name} to exit or start; ${stdout}\n${stderr}`,
        },
      ).catch(() => undefined);
      if (exit === undefined) {
        child.kill("SIGTERM");
        await waitFor(() => exit !== undefined, {
          timeout: 20_000,
          message: "circusd to stop",
        }).catch(() => child.kill("SIGKILL"));
        outcomes.push("started");
      } else outcomes.push(`exit ${String(exit)}`);
      const context = `circusd on mutant of ${name} (${file}):\n${text.slice(0, 1500)}\nstderr:\n${stderr}`;
      assert.doesNotMatch(stderr + stdout, /\n\s+at .+:\d+:\d+\)?/, `no stack trace: ${context}`);
      if (exit !== undefined && exit !== 0) {
        assert.equal(stderr.trimEnd().split("\n").length, 1, `one line: ${context}`);
      }
    }
    console.log(`circusd on 20 mutants: ${outcomes.join(", ")}`);
  });
});
