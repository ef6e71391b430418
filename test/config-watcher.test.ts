import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WATCHER_DEFAULTS } from "../src/config/defaults.js";
import { ConfigError } from "../src/config/errors.js";
import { watcherConfig } from "../src/config/load.js";
import * as config from "../src/config/index.js";

test("watcherConfig applies the defaults and names the watcher after the command", () => {
  const w = watcherConfig({ cmd: "/usr/bin/python3 -m http.server" });
  assert.deepEqual(w, {
    ...WATCHER_DEFAULTS,
    name: "python3",
    cmd: "/usr/bin/python3 -m http.server",
    baseDir: process.cwd(),
    source: null,
  });
  assert.equal(watcherConfig({ cmd: "sleep" }).name, "sleep");
  assert.equal(watcherConfig({ cmd: "node app.js", name: "web" }).name, "web");
});

test("watcherConfig keeps given fields; undefined ones fall back to defaults", () => {
  const w = watcherConfig({
    cmd: "node",
    args: ["app.js", "--port", "80"],
    numprocesses: 3,
    gracefulTimeout: 1.5,
    env: { A: "1" },
    rlimits: { nofile: 100, core: null },
    hooks: { before_start: { ref: "h.js:f", ignoreErrors: true } },
    priority: undefined,
    stdoutStream: { class: "StdoutStream", options: {} },
  });
  assert.deepEqual(w.args, ["app.js", "--port", "80"]);
  assert.equal(w.numprocesses, 3);
  assert.equal(w.gracefulTimeout, 1.5);
  assert.equal(w.priority, 0);
  assert.deepEqual(w.env, { A: "1" });
  assert.deepEqual(w.rlimits, { nofile: 100, core: null });
  assert.equal(w.hooks.before_start?.ignoreErrors, true);
  assert.equal(w.stdoutStream?.class, "StdoutStream");
});

test("watcherConfig returns fresh containers, never the defaults' or the caller's", () => {
  const env = { A: "1" };
  const w = watcherConfig({ cmd: "x", env });
  w.env.B = "2";
  w.options.x = "y";
  w.rlimits.nofile = 1;
  assert.deepEqual(env, { A: "1" });
  assert.deepEqual(WATCHER_DEFAULTS.env, {});
  assert.deepEqual(WATCHER_DEFAULTS.options, {});
  assert.deepEqual(WATCHER_DEFAULTS.rlimits, {});
  assert.deepEqual(watcherConfig({ cmd: "x" }).env, {});
});

test("watcherConfig: baseDir defaults to the current folder at call time", () => {
  const before = process.cwd();
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "circus-config-cwd-")));
  try {
    process.chdir(dir);
    assert.equal(watcherConfig({ cmd: "x" }).baseDir, dir);
    assert.equal(watcherConfig({ cmd: "x", baseDir: "/srv" }).baseDir, "/srv");
  } finally {
    process.chdir(before);
    rmSync(dir, { recursive: true, force: true });
  }
});

test("watcherConfig: singleton allows at most one process", () => {
  assert.equal(watcherConfig({ cmd: "x", singleton: true, numprocesses: 4 }).numprocesses, 1);
  assert.equal(watcherConfig({ cmd: "x", singleton: true }).numprocesses, 1);
  assert.equal(watcherConfig({ cmd: "x", singleton: true, numprocesses: 0 }).numprocesses, 0);
});

test("watcherConfig validates numbers, signals, limits and hooks", () => {
  const cases: Array<[Parameters<typeof watcherConfig>[0], string, RegExp]> = [
    [{ cmd: "x", numprocesses: -1 }, "numprocesses", /must be >= 0/],
    [{ cmd: "x", numprocesses: 1.5 }, "numprocesses", /expected an integer/],
    [{ cmd: "x", maxRetry: -2 }, "max_retry", /must be >= -1/],
    [{ cmd: "x", priority: 0.5 }, "priority", /expected an integer/],
    [{ cmd: "x", gracefulTimeout: -1 }, "graceful_timeout", /non-negative/],
    [{ cmd: "x", warmupDelay: Number.NaN }, "warmup_delay", /non-negative/],
    [{ cmd: "x", maxAge: Infinity }, "max_age", /non-negative/],
    [{ cmd: "x", maxAgeVariance: -0.1 }, "max_age_variance", /non-negative/],
    [{ cmd: "x", stopSignal: 0 }, "stop_signal", /signal/],
    [{ cmd: "x", rlimits: { bogus: 1 } }, "rlimits", /unknown resource limit "bogus"/],
    [{ cmd: "x", rlimits: { nofile: -5 } }, "rlimits", /nofile: expected a non-negative integer/],
    [
      { cmd: "x", hooks: { nope: { ref: "a:b", ignoreErrors: false } } as never },
      "hooks",
      /unknown hook "nope"/,
    ],
    [{ cmd: "" }, "cmd", /missing required option/],
    [{ cmd: "x", name: "" }, "name", /needs a name/],
  ];
  for (const [input, option, detail] of cases) {
    assert.throws(
      () => watcherConfig(input),
      (error) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.file, null);
        assert.equal(error.option, option);
        assert.match(error.section ?? "", /^watcher:/);
        assert.match(error.message, new RegExp(`^\\[watcher:[^\\]]*\\] ${option}: `));
        assert.match(error.detail, detail);
        return true;
      },
    );
  }
  assert.throws(() => watcherConfig({ cmd: "x", name: "web", numprocesses: -1 }), {
    message: "[watcher:web] numprocesses: must be >= 0, got -1",
  });
});

test("the index re-exports the public API", () => {
  for (const name of [
    "loadConfig",
    "watcherConfig",
    "parseIni",
    "readIniFile",
    "ConfigError",
    "parseBool",
    "fnmatch",
    "substituteCircusEnv",
    "HOOK_NAMES",
    "WATCHER_DEFAULTS",
  ]) {
    assert.equal(typeof (config as Record<string, unknown>)[name] !== "undefined", true, name);
  }
});
