/**
 * Stopping: circusd's own signals (TERM, INT, QUIT) stop every process gracefully and exit 0;
 * stop_signal, graceful_timeout followed by SIGKILL, stop_children; nothing is left behind.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  isAlive,
  isGone,
  markedProcesses,
  readRecords,
  startCircusd,
  waitFor,
  waitForStarts,
  workerSection,
} from "./helpers/circusd.js";
import { cleanupEachTest } from "./helpers/cleanup.js";

cleanupEachTest();

/** The signals a worker recorded, by pid. */
function signalsOf(file: string, pid: number): string[] {
  return readRecords(file)
    .filter((r) => r.event === "signal" && r.pid === pid)
    .map((r) => r.signal ?? "?");
}

describe("circusd's own signals", () => {
  for (const signal of ["SIGTERM", "SIGINT", "SIGQUIT"] as const) {
    test(`${signal} stops every process gracefully, exits 0 and leaves no process behind`, async () => {
      const d = startCircusd(
        (dir) => workerSection(dir, "a", { numprocesses: 2 }) + workerSection(dir, "b"),
      );
      const a = await waitForStarts(d.path("a.jsonl"), 2);
      const b = await waitForStarts(d.path("b.jsonl"), 1);
      await d.waitForLog(/Arbiter now waiting for commands/);

      assert.deepEqual(await d.stop(signal), { code: 0, signal: null }, d.stderr);
      assert.ok(
        d.lines.some((l) => l.includes(`Got signal SIG_${signal.slice(3)}`)),
        d.log,
      );
      for (const r of [...a, ...b]) {
        const file = d.path(a.includes(r) ? "a.jsonl" : "b.jsonl");
        assert.deepEqual(signalsOf(file, r.pid), ["SIGTERM"], "stopped by its stop_signal");
        // Gone from /proc altogether: circusd reaped it, no zombie is left.
        assert.ok(isGone(r.pid), `process ${r.pid} is still in /proc`);
      }
      assert.deepEqual(markedProcesses(d.dir), [], "no orphaned process of this test");
    });
  }
});

describe("stopping during startup", () => {
  test("SIGTERM during a slow start (warmup_delay) stops without spawning the rest", async () => {
    const d = startCircusd((dir) =>
      workerSection(dir, "slow", { numprocesses: 3, warmup_delay: 2 }),
    );
    const out = d.path("slow.jsonl");
    await waitForStarts(out, 1);
    assert.deepEqual(await d.stop(), { code: 0, signal: null });
    const started = readRecords(out).filter((r) => r.event === "start");
    assert.ok(started.length < 3, `all ${started.length} processes were started`);
    for (const r of started) assert.ok(isGone(r.pid), `process ${r.pid} left behind`);
    assert.deepEqual(markedProcesses(d.dir), []);
  });
});

describe("stop_signal and graceful_timeout", () => {
  test("stop_signal = INT is what the child receives on stop", async () => {
    const d = startCircusd((dir) => workerSection(dir, "inty", { stop_signal: "INT" }));
    const [r] = await waitForStarts(d.path("inty.jsonl"), 1);
    assert.ok(r);
    assert.deepEqual(await d.stop(), { code: 0, signal: null });
    assert.deepEqual(signalsOf(d.path("inty.jsonl"), r.pid), ["SIGINT"]);
    assert.ok(isGone(r.pid));
  });

  test("a child that ignores SIGTERM is SIGKILLed after graceful_timeout; circusd exits 0", async () => {
    const d = startCircusd((dir) =>
      workerSection(dir, "stubborn", { graceful_timeout: 1 }, "--ignore-term"),
    );
    const out = d.path("stubborn.jsonl");
    const [r] = await waitForStarts(out, 1);
    assert.ok(r);
    await d.waitForLog(/Arbiter now waiting for commands/);
    const sent = Date.now();
    d.kill("SIGTERM");
    await waitFor(() => signalsOf(out, r.pid).includes("SIGTERM"), {
      message: "the worker to receive SIGTERM",
    });
    assert.ok(isAlive(r.pid), "the worker survives its SIGTERM");
    assert.deepEqual(await d.waitExit(), { code: 0, signal: null });
    const took = Date.now() - sent;
    assert.ok(took >= 800, `SIGKILL came after ${took} ms, before graceful_timeout`);
    assert.ok(isGone(r.pid));
    assert.ok(
      d.lines.some((l) =>
        new RegExp(`process ${r.pid} still alive after 1s, sending SIGKILL`).test(l),
      ),
      d.log,
    );
  });
});

describe("stop_children", () => {
  test("stop_children = true also stops the child's own children", async () => {
    const d = startCircusd((dir) =>
      workerSection(dir, "parent", { stop_children: true }, "--spawn-child"),
    );
    const [r] = await waitForStarts(d.path("parent.jsonl"), 1);
    const grandchild = r?.grandchild;
    assert.ok(grandchild);
    assert.ok(isAlive(grandchild));
    assert.deepEqual(await d.stop(), { code: 0, signal: null });
    await waitFor(() => !isAlive(grandchild), { message: "the grandchild to be stopped" });
    assert.deepEqual(markedProcesses(d.dir), []);
  });

  test("without stop_children the grandchild outlives the stop (it is only the child's)", async () => {
    const d = startCircusd((dir) => workerSection(dir, "parent", {}, "--spawn-child"));
    const [r] = await waitForStarts(d.path("parent.jsonl"), 1);
    const grandchild = r?.grandchild;
    assert.ok(grandchild);
    assert.deepEqual(await d.stop(), { code: 0, signal: null });
    assert.ok(isGone(r.pid));
    assert.ok(isAlive(grandchild), "stop_children defaults to false");
    assert.deepEqual(markedProcesses(d.dir), [grandchild]);
  });
});
