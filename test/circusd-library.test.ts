/**
 * The library API: getArbiter() runs the same engine as circusd inside the caller's process.
 */
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import {
  Arbiter,
  ArbiterError,
  ConfigError,
  getArbiter,
  logger,
  Process,
  RUNNING,
  UNEXISTING,
  Watcher,
  watcherConfig,
  type ArbiterOptions,
  type HookContext,
  type WatcherInput,
} from "../src/index.js";
import {
  isAlive,
  isGone,
  liveChildren,
  makeTempDir,
  NODE_WORKER,
  procArgv,
  readRecords,
  starts,
  waitForStarts,
} from "./helpers/circusd.js";
import { arbiterOf, libraryEndpoints } from "./helpers/arbiter.js";
import { cleanupEachTest, defer } from "./helpers/cleanup.js";
import { runCtl } from "./helpers/ctl.js";

cleanupEachTest();

const logLines: string[] = [];

before(() => {
  // The engine logs through the shared logger; keep its lines out of the test report.
  logger.setSink({ write: (line) => void logLines.push(line) });
});

function workerCmd(dir: string, name: string): string {
  return `${NODE_WORKER} --out ${path.join(dir, `${name}.jsonl`)} --wid $(circus.wid)`;
}

/**
 * pids of this test process's live worker children (the library runs workers as our own
 * children; tsx's esbuild service is one too, hence the filter on the test folder).
 */
function ourWorkers(dir: string): number[] {
  return liveChildren(process.pid)
    .filter((p) => procArgv(p.pid).join(" ").includes(dir))
    .map((p) => p.pid)
    .sort();
}

describe("getArbiter", () => {
  test("start, inspect, add and remove watchers, reload and stop", async () => {
    const dir = makeTempDir();
    const main = path.join(dir, "lib.jsonl");
    const a = arbiterOf(dir, [
      { name: "lib", cmd: workerCmd(dir, "lib"), numprocesses: 2, gracefulTimeout: 1 },
    ]);
    assert.equal(a.numwatchers(), 1);
    assert.deepEqual(ourWorkers(dir), [], "nothing runs before start()");

    await a.start();
    const first = await waitForStarts(main, 2);
    const firstPids = first.map((r) => r.pid).sort();
    assert.deepEqual(ourWorkers(dir), firstPids);
    assert.deepEqual(first.map((r) => r.wid).sort(), ["1", "2"]);
    const watcher = a.getWatcher("lib");
    assert.ok(watcher);
    assert.equal(watcher.numprocesses, 2);
    assert.equal(watcher.status(), "active");
    assert.deepEqual([...watcher.pids()].sort(), firstPids);
    assert.equal(a.numprocesses(), 2);
    assert.equal(a.getWatcher("LIB"), watcher, "names compare case-insensitively");

    // A watcher added at run time starts; removing it stops its process.
    const extra = path.join(dir, "extra.jsonl");
    await a.addWatcher(
      watcherConfig({ name: "extra", cmd: workerCmd(dir, "extra"), gracefulTimeout: 1 }),
      true,
    );
    const [extraRecord] = await waitForStarts(extra, 1);
    assert.ok(extraRecord && isAlive(extraRecord.pid));
    assert.equal(a.numwatchers(), 2);
    assert.equal(a.numprocesses(), 3);
    await a.removeWatcher("extra");
    assert.ok(isGone(extraRecord.pid), "the removed watcher's process is stopped and reaped");
    assert.equal(a.numwatchers(), 1);
    assert.equal(a.getWatcher("extra"), undefined);
    await assert.rejects(a.removeWatcher("extra"), /not found/);

    // reload() replaces every process.
    await a.reload();
    const afterReload = [...watcher.pids()].sort();
    assert.equal(afterReload.length, 2);
    for (const pid of afterReload) assert.ok(!firstPids.includes(pid), "a new pid");
    for (const pid of firstPids) assert.ok(isGone(pid), `old process ${pid} still there`);
    assert.deepEqual(ourWorkers(dir), afterReload);
    await waitForStarts(main, 4);

    // stop() leaves nothing behind.
    await a.stop();
    for (const r of starts(main)) assert.ok(isGone(r.pid), `process ${r.pid} left behind`);
    assert.deepEqual(ourWorkers(dir), []);
    assert.equal(watcher.status(), "stopped");
    assert.equal(a.numprocesses(), 0);
  });

  test("hooks given as functions receive the watcher, the arbiter and the pid", async () => {
    const dir = makeTempDir();
    const calls: { hook: string; pid?: number; sameArbiter: boolean; name: string }[] = [];
    const hook = (ctx: HookContext) => {
      const w = ctx.watcher as { name: string };
      calls.push({
        hook: ctx.hookName,
        pid: ctx.pid,
        sameArbiter: ctx.arbiter === a,
        name: w.name,
      });
      return true;
    };
    const a = arbiterOf(dir, [
      {
        name: "fn",
        cmd: workerCmd(dir, "fn"),
        gracefulTimeout: 1,
        hooks: {
          before_start: { ref: hook, ignoreErrors: false },
          after_spawn: { ref: hook, ignoreErrors: false },
        },
      },
    ]);
    await a.start();
    const [r] = await waitForStarts(path.join(dir, "fn.jsonl"), 1);
    assert.deepEqual(calls, [
      { hook: "before_start", pid: undefined, sameArbiter: true, name: "fn" },
      { hook: "after_spawn", pid: r?.pid, sameArbiter: true, name: "fn" },
    ]);
  });
});

describe("an embedded arbiter is served as circusd is", () => {
  test("our circusctl drives it: status, incr, quit stops it", async () => {
    const dir = makeTempDir();
    const options = libraryEndpoints(dir);
    const a = arbiterOf(dir, [{ name: "emb", cmd: workerCmd(dir, "emb"), gracefulTimeout: 1 }]);
    await a.start();
    await waitForStarts(path.join(dir, "emb.jsonl"), 1);
    const ctl = (...args: string[]) =>
      runCtl(["--endpoint", options.controller as string, ...args]);

    assert.deepEqual(await ctl("status"), {
      code: 0,
      signal: null,
      stdout: "emb: active\n",
      stderr: "",
    });
    const incr = await ctl("incr", "emb", "--waiting");
    assert.equal(incr.stdout, "2\n");
    assert.equal(ourWorkers(dir).length, 2);
    assert.equal(a.getWatcher("emb")?.processes.size, 2);

    const stopped = new Promise<void>((resolve) => a.once("stopped", resolve));
    assert.equal((await ctl("quit", "--waiting")).stdout, "ok\n");
    await stopped;
    assert.equal(a.isRunning(), false);
    assert.deepEqual(ourWorkers(dir), [], "quit stopped the embedded arbiter's processes");
    // Its endpoints are closed with it: circusctl now times out.
    const late = await ctl("--timeout", "1", "status");
    assert.notEqual(late.code, 0);
  });

  test("what cannot work is refused, with circusd's line", () => {
    const refused = (options: ArbiterOptions, watcher: Partial<WatcherInput>, expected: RegExp) =>
      assert.throws(
        () => getArbiter([{ name: "w", cmd: "sleep 1", ...watcher }], options),
        (error: Error) => error instanceof ConfigError && expected.test(error.message),
      );
    const named = { cmd: "sleep $(circus.sockets.s)", useSockets: true };
    refused(
      { sockets: [{ name: "s", port: 0, usePapa: true }] },
      named,
      /\[watcher:w\] use_papa: socket s has use_papa = true/,
    );
    refused(
      { sockets: [{ name: "s", port: 0 }] },
      { ...named, usePapa: true },
      /\[watcher:w\] use_papa: socket s has no use_papa = true/,
    );
    refused(
      { sockets: [{ name: "s", port: 0, usePapa: true, soReuseport: true }] },
      {},
      /\[socket:s\] so_reuseport: so_reuseport with use_papa is not supported yet/,
    );
  });

  test("a bare Arbiter, with no endpoints, refuses what talks to them: statsd, httpd, a plugin", () => {
    for (const options of [{ statsd: true }, { httpd: true }])
      assert.throws(
        () => new Arbiter([watcherConfig({ name: "w", cmd: "sleep 1" })], options),
        (error: Error) =>
          error instanceof ArbiterError && /needs the control endpoint/.test(error.message),
      );
  });
});

describe("the classes on their own, as the seeds' Classes describe them", () => {
  test("Process.spawn: age, info, children, status, stop", async () => {
    const dir = makeTempDir();
    const p = await Process.spawn({ name: "top", wid: 1, cmd: workerCmd(dir, "alone") });
    defer(() => p.stop());
    await waitForStarts(path.join(dir, "alone.jsonl"), 1);
    assert.equal(p.status, RUNNING);
    assert.ok(p.age() >= 0);
    assert.equal(p.info()?.pid, p.pid);
    assert.deepEqual(p.children(), []);
    // SIGTERM, which the worker records before it exits.
    await p.stop();
    const signals = readRecords(path.join(dir, "alone.jsonl")).filter((r) => r.event === "signal");
    assert.deepEqual(
      signals.map((r) => r.signal),
      ["SIGTERM"],
    );
    assert.equal(p.status, UNEXISTING);
    assert.ok(isGone(p.pid));
  });

  test("a Watcher without an arbiter starts, resizes and stops its processes", async () => {
    const dir = makeTempDir();
    const w = new Watcher(
      watcherConfig({
        name: "alone",
        cmd: workerCmd(dir, "w"),
        numprocesses: 2,
        gracefulTimeout: 1,
      }),
    );
    defer(() => w.stop());
    await w.prepare();
    assert.equal(await w.start(), true);
    assert.equal(w.status(), "active");
    await waitForStarts(path.join(dir, "w.jsonl"), 2);
    assert.equal(await w.setNumprocesses(3), 3);
    assert.equal(w.processes.size, 3);
    const pids = w.pids();
    await w.stop();
    assert.equal(w.status(), "stopped");
    assert.ok(pids.every(isGone));
  });
});
