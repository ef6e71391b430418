/**
 * Watcher options against a real circusd: sections merged across included files as Circus
 * merges them, stream options a stream class would ignore warned about, and the option
 * combinations Circus refuses (copy_path or virtualenv without copy_env, virtualenv_py_ver
 * without virtualenv, a virtualenv without site-packages) refused in one line.
 */
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import {
  makeTempDir,
  refusal,
  ROOT,
  startCircusd,
  waitFor,
  waitForStarts,
  workerSection,
  writeConfig,
  type Circusd,
} from "./helpers/circusd.js";
import { connect, sleeperSection } from "./helpers/control.js";
import { cleanupEachTest } from "./helpers/cleanup.js";

cleanupEachTest();

/** Waits for a log line ending with `text`. */
function waitForLine(d: Circusd, text: string): Promise<string> {
  return waitFor(() => d.lines.find((line) => line.endsWith(text)), {
    message: () => `a line ending with ${text}; log:\n${d.log}`,
  });
}

describe("include", () => {
  test("a watcher and [env] repeated in an included file are merged: the main file's values win", async () => {
    const d = startCircusd((dir) => {
      writeFileSync(
        path.join(dir, "more.ini"),
        "[watcher:web]\nnumprocesses = 3\nmax_retry = 9\n\n[env]\nA = inc\nC = incc\n",
      );
      return (
        "[circus]\ninclude = more.ini\n\n" +
        sleeperSection(dir, "web", { numprocesses: 2, graceful_timeout: 7 }) +
        "[env]\nA = main\nB = mainb\n"
      );
    });
    const c = await connect(d);
    const reply = await c.call("get", {
      name: "web",
      keys: ["numprocesses", "max_retry", "graceful_timeout", "env"],
    });
    const options = reply.options as Record<string, unknown>;
    assert.deepEqual(
      [options.numprocesses, options.max_retry, options.graceful_timeout],
      [2, 9, 7],
    );
    assert.deepEqual(
      ["A", "B", "C"].map((k) => (options.env as Record<string, string>)[k]),
      ["main", "mainb", "incc"],
    );
    // (The main file's line is 9: the test's endpoints come first in [circus].)
    await waitForLine(
      d,
      `more.ini:2: [watcher:web] numprocesses: ignored: already set in ${d.configPath}:9 ` +
        "(the value read first wins, as in Circus)",
    );
  });

  test("an error in a key of a merged section names the included file", async () => {
    const dir = makeTempDir();
    writeFileSync(
      path.join(dir, "more.ini"),
      `[watcher:web]\nstdout_stream.filename = ${dir}/no/such/folder/out.log\n`,
    );
    const file = writeConfig(dir, `[circus]\ninclude = more.ini\n\n${sleeperSection(dir, "web")}`);
    const line = await refusal(file, dir);
    assert.match(
      line,
      new RegExp(`^${path.join(dir, "more.ini")}: \\[watcher:web\\] stdout_stream.filename: `),
    );
  });
});

describe("stream options", () => {
  test("an option a built-in stream class does not read is warned about, with the likely one", async () => {
    const d = startCircusd(
      (dir) =>
        sleeperSection(dir, "web", {
          "stdout_stream.filename": path.join(dir, "out.log"),
          "stdout_stream.max_byte": 1000,
          "stderr_stream.class": "StdoutStream",
          "stderr_stream.colour": "red",
        }) +
        sleeperSection(dir, "timed", {
          "stdout_stream.class": "TimedRotatingFileStream",
          "stdout_stream.filename": path.join(dir, "timed.log"),
          "stdout_stream.max_bytes": 1000,
        }) +
        sleeperSection(dir, "mine", {
          "stdout_stream.class": `${path.join(ROOT, "test/fixtures/streams/my-stream.mjs")}:MyStream`,
          "stdout_stream.filename": path.join(dir, "mine.jsonl"),
          "stdout_stream.anything": "goes",
        }),
    );
    const at = (watcher: string, option: string) =>
      `[WARNING] ${d.configPath}: [watcher:${watcher}] ${option}: `;
    await waitForLine(
      d,
      `${at("web", "stdout_stream.max_byte")}unknown option of FileStream ignored; did you mean "max_bytes"?`,
    );
    await waitForLine(
      d,
      `${at("web", "stderr_stream.colour")}unknown option of StdoutStream ignored; it takes none`,
    );
    // As in Circus, a timed stream rotates on time only.
    await waitForLine(
      d,
      `${at("timed", "stdout_stream.max_bytes")}unknown option of TimedRotatingFileStream ignored; ` +
        `it takes filename, time_format, backup_count, rotate_when, rotate_interval, utc`,
    );
    await connect(d);
    // A user's class gets every key: nothing to say about it.
    assert.ok(!d.log.includes("[watcher:mine]"), d.log);
  });
});

describe("copy_env, copy_path and virtualenv", () => {
  test("the combinations Circus refuses are refused in one line", async () => {
    const dir = makeTempDir();
    mkdirSync(path.join(dir, "venv", "lib", "python3.11", "site-packages"), { recursive: true });
    mkdirSync(path.join(dir, "notvenv"));
    const notVenv = (version: string) =>
      `${dir}/notvenv/lib/{python,pypy}${version}/site-packages: not a virtualenv (of that Python version)`;
    // [options, the option named, what is wrong]
    const cases: [string, string, string][] = [
      ["copy_path = true", "copy_path", "copy_path needs copy_env = true"],
      ["virtualenv = venv", "virtualenv", "virtualenv needs copy_env = true"],
      [
        "copy_env = true\nvirtualenv_py_ver = 3.11",
        "virtualenv_py_ver",
        "virtualenv_py_ver needs virtualenv",
      ],
      ["copy_env = true\nvirtualenv = notvenv", "virtualenv", `no ${notVenv("*")}`],
      [
        "copy_env = true\nvirtualenv = notvenv\nvirtualenv_py_ver = 3.11",
        "virtualenv_py_ver",
        `no ${notVenv("3.11")}`,
      ],
    ];
    for (const [options, option, detail] of cases) {
      const file = writeConfig(dir, `[watcher:w]\ncmd = /bin/sleep 1000\n${options}\n`);
      assert.equal(await refusal(file, dir), `${file}: [watcher:w] ${option}: ${detail}`);
    }
  });

  test("a virtualenv of the given Python version shapes the environment", async () => {
    const d = startCircusd((dir) => {
      mkdirSync(path.join(dir, "venv", "lib", "python3.11", "site-packages"), { recursive: true });
      return workerSection(dir, "w", {
        copy_env: true,
        virtualenv: "venv",
        virtualenv_py_ver: "3.11",
      });
    });
    const [start] = await waitForStarts(d.path("w.jsonl"), 1);
    const env = start?.env ?? {};
    const venv = d.path("venv");
    assert.equal(env.VIRTUAL_ENV, venv);
    assert.equal(env.PATH?.split(":")[0], path.join(venv, "bin"));
    assert.equal(env.PYTHONPATH?.split(":")[0], path.join(venv, "lib/python3.11/site-packages"));
  });
});
