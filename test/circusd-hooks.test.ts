/**
 * Hooks written in JS and TS, named `module:export` relative to the config file: the order
 * of calls across start, spawn, signal and stop, and what a false return or an error does.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  copyFixture,
  isGone,
  makeTempDir,
  readRecords,
  runCircusd,
  startCircusd,
  starts,
  waitFor,
  waitForStarts,
  workerSection,
  writeConfig,
} from "./helpers/circusd.js";
import { cleanupEachTest } from "./helpers/cleanup.js";

cleanupEachTest();

interface HookCall {
  hook: string;
  watcher: string;
  module: string;
  pid?: number;
  signum?: number;
  refused?: boolean;
  threw?: boolean;
  hasArbiter?: boolean;
}

function hookCalls(file: string): HookCall[] {
  try {
    return readFileSync(file, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as HookCall);
  } catch {
    return [];
  }
}

/**
 * A temp folder holding hooks.mjs and hooks.ts, and a config whose `hooked` watcher has the
 * given hooks and records calls into hooks.log. circusd runs from `/`, so that only the
 * config file's folder can make the relative hook paths work.
 */
function startHooked(hooks: Record<string, string>, options: Record<string, string | number> = {}) {
  const dir = makeTempDir();
  copyFixture(dir, "hooks.mjs");
  copyFixture(dir, "hooks.ts");
  const hookLines = Object.entries(hooks).map(([name, ref]) => `hooks.${name} = ${ref}\n`);
  const text =
    workerSection(dir, "hooked", { graceful_timeout: 1, ...options }) +
    hookLines.join("") +
    `\n[env:hooked]\nHOOK_LOG = ${dir}/hooks.log\n`;
  const d = startCircusd(text, { dir, cwd: "/", args: ["--log-level", "debug"] });
  return { d, log: `${dir}/hooks.log`, out: `${dir}/hooked.jsonl` };
}

describe("hook order", () => {
  test("JS and TS hooks run in order across start, spawn, signal and stop", async () => {
    const { d, log, out } = startHooked(
      {
        before_start: "hooks.ts:recordBeforeStart",
        before_spawn: "hooks.mjs:recordBeforeSpawn",
        after_spawn: "hooks.mjs:recordAfterSpawn",
        after_start: "hooks.ts:recordAfterStart",
        before_stop: "hooks.ts:recordBeforeStop",
        before_signal: "hooks.mjs:recordBeforeSignal",
        after_signal: "hooks.mjs:recordLater",
        after_stop: "./hooks.ts:recordAfterStop",
      },
      { numprocesses: 2 },
    );
    const workers = await waitForStarts(out, 2);
    await d.waitForLog(/hooked started/);
    assert.deepEqual(await d.stop(), { code: 0, signal: null }, d.stderr);

    const calls = hookCalls(log);
    const names = calls.map((c) => c.hook);
    assert.deepEqual(names.slice(0, 7), [
      "before_start",
      "before_spawn",
      "after_spawn",
      "before_spawn",
      "after_spawn",
      "after_start",
      "before_stop",
    ]);
    assert.equal(names.at(-1), "after_stop");
    assert.equal(names.length, 12, names.join(", "));

    // Module by module: the TS hooks did run, and got the arbiter.
    for (const c of calls) {
      const ts = ["before_start", "after_start", "before_stop", "after_stop"].includes(c.hook);
      assert.equal(c.module, ts ? "ts" : "mjs", `${c.hook} ran from the wrong module`);
      assert.equal(c.watcher, "hooked");
      if (ts) assert.equal(c.hasArbiter, true);
    }
    const workerPids = workers.map((w) => w.pid).sort();
    const spawned = calls.filter((c) => c.hook === "after_spawn").map((c) => c.pid);
    assert.deepEqual(spawned.sort(), workerPids, "after_spawn gets the new pid");

    // Between before_stop and after_stop: for each process, before_signal then after_signal,
    // both with the stop signal (15).
    const signals = calls.slice(7, -1);
    for (const pid of workerPids) {
      const mine = signals.filter((c) => c.pid === pid);
      assert.deepEqual(
        mine.map((c) => [c.hook, c.signum]),
        [
          ["before_signal", 15],
          ["after_signal", 15],
        ],
      );
    }
  });
});

describe("hooks that say no", () => {
  test("before_start returning false aborts the start: no process runs", async () => {
    const { d, log, out } = startHooked({ before_start: "hooks.mjs:refuse" });
    await d.waitForLog(/before_start hook aborted the start/);
    await d.waitForLog(/Arbiter now waiting for commands/);
    assert.deepEqual(d.children(), []);
    assert.deepEqual(starts(out), []);
    assert.deepEqual(
      hookCalls(log).map((c) => c.hook),
      ["before_start"],
    );
    assert.equal(d.exitStatus, null, "circusd keeps running");
  });

  test("after_spawn returning false stops the watcher", async () => {
    const { d, log } = startHooked({ after_spawn: "hooks.mjs:refuse" }, { numprocesses: 2 });
    await d.waitForLog(/after_spawn hook aborted the start/);
    await d.waitForLog(/\[INFO\] hooked stopped/);
    const pid = hookCalls(log)[0]?.pid;
    assert.ok(pid, "after_spawn got the pid");
    await waitFor(() => isGone(pid), { message: "the spawned process to be stopped" });
    assert.deepEqual(d.children(), []);
    assert.equal(
      d.lines.filter((l) => /hooked: spawned process/.test(l)).length,
      1,
      "the second process is never spawned",
    );
    assert.equal(d.exitStatus, null, "circusd keeps running");
  });

  test("before_signal returning false suppresses the stop signal; SIGKILL still ends the process", async () => {
    const { d, log, out } = startHooked({ before_signal: "hooks.mjs:refuse" });
    const [worker] = await waitForStarts(out, 1);
    assert.ok(worker);
    await d.waitForLog(/hooked started/);
    assert.deepEqual(await d.stop(), { code: 0, signal: null });
    assert.deepEqual(
      readRecords(out).filter((r) => r.event === "signal"),
      [],
      "the worker never received its stop signal",
    );
    assert.ok(isGone(worker.pid));
    assert.ok(
      d.lines.some((l) => l.includes(`before_signal hook suppressed SIGTERM to ${worker.pid}`)),
      d.log,
    );
    assert.ok(
      d.lines.some((l) => /sending SIGKILL/.test(l)),
      d.log,
    );
    // The hook is asked about SIGTERM only: SIGKILL is sent whatever it says.
    assert.deepEqual(
      hookCalls(log).map((c) => [c.hook, c.signum]),
      [
        ["before_signal", 15],
        ["before_signal", 9],
      ],
    );
  });
});

describe("hooks that fail", () => {
  test("a throwing hook flagged `, true` is ignored: the watcher starts", async () => {
    const { d, out } = startHooked({ before_start: "hooks.mjs:explode, true" });
    await waitForStarts(out, 1);
    await d.waitForLog(/hooked started/);
    assert.ok(d.lines.some((l) => /hook before_start failed: hook exploded on purpose/.test(l)));
    assert.equal(d.children().length, 1);
  });

  test("a throwing hook without the flag aborts the start", async () => {
    const { d, log, out } = startHooked({ before_start: "hooks.mjs:explode" });
    await d.waitForLog(/hook before_start failed: hook exploded on purpose/);
    await d.waitForLog(/before_start hook aborted the start/);
    await d.waitForLog(/Arbiter now waiting for commands/);
    assert.deepEqual(d.children(), []);
    assert.deepEqual(starts(out), []);
    assert.equal(hookCalls(log)[0]?.threw, true);
  });

  for (const [what, ref, named] of [
    ["a missing export", "hooks.mjs:doesNotExist", /doesNotExist/],
    ["an export that is not a function", "hooks.mjs:notAFunction", /notAFunction/],
    ["a missing module", "no-such-hooks.mjs:record", /no-such-hooks\.mjs/],
  ] as const) {
    test(`a hook that cannot be loaded (${what}) makes circusd exit non-zero, naming it`, async () => {
      const dir = makeTempDir();
      copyFixture(dir, "hooks.mjs");
      const config = writeConfig(
        dir,
        workerSection(dir, "hooked") + `hooks.before_start = ${ref}\n`,
      );
      const result = await runCircusd([config]);
      assert.notEqual(result.code, 0);
      const lines = result.stderr.trim().split("\n");
      assert.equal(lines.length, 1, result.stderr);
      assert.match(lines[0] ?? "", named);
      assert.deepEqual(starts(`${dir}/hooked.jsonl`), [], "nothing was started");
    });
  }
});
