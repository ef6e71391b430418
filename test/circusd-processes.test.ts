/**
 * circusd keeps the configured number of processes: counts, singleton, autostart, respawn
 * after a crash, respawn = false, max_age and max_retry.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  isAlive,
  isGone,
  procStat,
  readRecords,
  startCircusd,
  starts,
  waitFor,
  waitForStarts,
  workerSection,
  zombieChildren,
} from "./helpers/circusd.js";
import { cleanupEachTest } from "./helpers/cleanup.js";

cleanupEachTest();

describe("process counts", () => {
  test("numprocesses = 3 runs three live children, with wids 1, 2 and 3", async () => {
    const d = startCircusd((dir) => workerSection(dir, "three", { numprocesses: 3 }));
    await d.waitForLog(/\[INFO\] three started/);
    const records = await waitForStarts(d.path("three.jsonl"), 3);
    const children = d.children().map((c) => c.pid);
    assert.equal(children.length, 3, d.log);
    assert.deepEqual(
      [...children].sort(),
      records.map((r) => r.pid).sort(),
      "the children are the workers",
    );
    assert.deepEqual(records.map((r) => r.wid).sort(), ["1", "2", "3"]);
    for (const r of records) assert.equal(r.ppid, d.pid);
  });

  test("singleton = true runs one process even with numprocesses = 3", async () => {
    const d = startCircusd((dir) =>
      workerSection(dir, "single", { numprocesses: 3, singleton: true }),
    );
    await d.waitForLog(/\[INFO\] single started/);
    const records = await waitForStarts(d.path("single.jsonl"), 1);
    assert.equal(d.children().length, 1);
    assert.equal(records.length, 1);
    assert.equal(records[0]?.wid, "1");
  });

  test("autostart = false starts no process of that watcher", async () => {
    const d = startCircusd(
      (dir) =>
        workerSection(dir, "idle", { numprocesses: 2, autostart: false }) +
        workerSection(dir, "busy", { numprocesses: 1 }),
    );
    await d.waitForLog(/Arbiter now waiting for commands/);
    await waitForStarts(d.path("busy.jsonl"), 1);
    assert.equal(d.children().length, 1, "only the autostart watcher runs");
    assert.deepEqual(starts(d.path("idle.jsonl")), []);
    assert.ok(!d.lines.some((l) => /idle started/.test(l)), d.log);
  });
});

describe("priority", () => {
  test("watchers start by priority, highest first, and stop in the reverse order", async () => {
    const d = startCircusd(
      (dir) =>
        workerSection(dir, "alpha", { priority: 1 }) +
        workerSection(dir, "beta", { priority: 5 }) +
        workerSection(dir, "gamma", { priority: 3 }),
    );
    await d.waitForLog(/Arbiter now waiting for commands/);
    assert.deepEqual(await d.stop(), { code: 0, signal: null });
    const order = (verb: string) =>
      d.lines.flatMap((l) => {
        const m = new RegExp(`\\[INFO\\] (alpha|beta|gamma) ${verb}$`).exec(l);
        return m ? [m[1]] : [];
      });
    assert.deepEqual(order("started"), ["beta", "gamma", "alpha"]);
    assert.deepEqual(order("stopped"), ["alpha", "gamma", "beta"]);
  });
});

describe("respawn", () => {
  test("a process killed with SIGKILL is replaced: new pid, same wid, no zombie", async () => {
    const d = startCircusd((dir) => workerSection(dir, "crashy", { numprocesses: 2 }));
    const out = d.path("crashy.jsonl");
    const [first] = await waitForStarts(out, 2);
    assert.ok(first);
    process.kill(first.pid, "SIGKILL");
    const records = await waitForStarts(out, 3);
    const replacement = records[2];
    assert.ok(replacement);
    assert.notEqual(replacement.pid, first.pid);
    assert.equal(replacement.wid, first.wid, "the replacement keeps the worker id");
    await waitFor(() => isGone(first.pid), { message: "the killed process to be reaped" });
    assert.deepEqual(zombieChildren(d.pid), []);
    const live = d.children().map((c) => c.pid);
    assert.equal(live.length, 2);
    assert.ok(live.includes(replacement.pid));
  });

  test("a process that exits by itself is respawned with its wid; circusd logs the exit code", async () => {
    const d = startCircusd(
      (dir) => workerSection(dir, "brief", { numprocesses: 2 }, "--exit-after 1200 --exit-code 3"),
      { args: ["--log-level", "debug"] },
    );
    const out = d.path("brief.jsonl");
    const records = await waitForStarts(out, 3);
    const [first, second, third] = records;
    assert.ok(first && second && third);
    const exited = records.slice(0, 2).find((r) => r.wid === third.wid);
    assert.ok(exited, `the third process took a wid in use: ${third.wid}`);
    assert.notEqual(third.pid, exited.pid);
    assert.ok(readRecords(out).some((r) => r.event === "exit" && r.pid === exited.pid));
    await d.waitForLog(new RegExp(`brief: process ${exited.pid} exited with code 3`));
  });

  test("respawn = false: a killed process is not replaced; the last one stops the watcher", async () => {
    // `control` (respawn on) is killed at the same moment: once its replacement is up, a
    // respawn of `norespawn` would have happened too.
    const d = startCircusd(
      (dir) =>
        workerSection(dir, "norespawn", { numprocesses: 2, respawn: false }) +
        workerSection(dir, "control", { numprocesses: 1 }),
      { args: ["--log-level", "debug"] },
    );
    const out = d.path("norespawn.jsonl");
    const [a, b] = await waitForStarts(out, 2);
    const [control] = await waitForStarts(d.path("control.jsonl"), 1);
    assert.ok(a && b && control);
    process.kill(a.pid, "SIGKILL");
    process.kill(control.pid, "SIGKILL");
    await waitForStarts(d.path("control.jsonl"), 2);
    await waitFor(() => isGone(a.pid), { message: "the killed process to be reaped" });
    assert.equal(starts(out).length, 2, "no new norespawn process");
    assert.equal(d.lines.filter((l) => /norespawn: spawned process/.test(l)).length, 2, d.log);
    assert.ok(isAlive(b.pid), "the other process keeps running");

    process.kill(b.pid, "SIGKILL");
    await d.waitForLog(/\[INFO\] norespawn stopped/);
    assert.equal(starts(out).length, 2);
    assert.ok(isAlive(d.pid), "circusd keeps running");
  });
});

describe("max_age", () => {
  test("max_age = 2, max_age_variance = 0: the process is replaced after about 2 s", async () => {
    const d = startCircusd((dir) =>
      workerSection(dir, "aging", { max_age: 2, max_age_variance: 0, graceful_timeout: 1 }),
    );
    const out = d.path("aging.jsonl");
    const [first] = await waitForStarts(out, 1);
    assert.ok(first);
    const records = await waitForStarts(out, 2, { timeout: 20_000 });
    const second = records[1];
    assert.ok(second);
    assert.notEqual(second.pid, first.pid);
    assert.equal(second.wid, first.wid);
    // The old process got its stop signal no sooner than max_age after its fork (both times
    // are seconds since boot, from /proc, with 10 ms steps).
    const stopped = readRecords(out).find((r) => r.event === "signal" && r.pid === first.pid);
    assert.equal(stopped?.signal, "SIGTERM");
    const life = (stopped?.uptime ?? 0) - (first.startedAt ?? Infinity);
    assert.ok(life >= 1.98, `stopped ${life.toFixed(2)} s after its start, before max_age`);
    await d.waitForLog(new RegExp(`process ${first.pid} reached max_age`));
    await waitFor(() => isGone(first.pid), { message: "the old process to be gone" });
    assert.equal(d.children().length, 1);
  });
});

describe("max_retry", () => {
  test("a command that cannot run stops its watcher after max_retry tries; circusd keeps going", async () => {
    const d = startCircusd(
      (dir) =>
        "[watcher:broken]\ncmd = /nonexistent/program\nmax_retry = 3\n\n" +
        workerSection(dir, "healthy"),
    );
    await d.waitForLog(/broken: giving up/);
    await d.waitForLog(/\[INFO\] broken stopped/);
    const tries = d.lines.filter((l) => /broken: cannot spawn process/.test(l));
    assert.equal(tries.length, 3, d.log);
    assert.ok(
      tries.every((l) => l.includes("/nonexistent/program")),
      "the log names the program",
    );
    const [healthy] = await waitForStarts(d.path("healthy.jsonl"), 1);
    assert.ok(healthy);
    await d.waitForLog(/Arbiter now waiting for commands/);
    assert.equal(d.exitStatus, null, "circusd does not exit");
    assert.ok(isAlive(d.pid));
    assert.ok(isAlive(healthy.pid), "the other watcher keeps running");
    assert.equal(procStat(healthy.pid)?.ppid, d.pid);
    assert.deepEqual(await d.stop(), { code: 0, signal: null });
  });
});
