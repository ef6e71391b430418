/**
 * The watcher's own logic against a fake process table and mock timers: wid reuse, the
 * respawn back-off, max_age, warmup_delay, graceful escalation to SIGKILL and max_retry,
 * in milliseconds, without spawning a process.
 */
import assert from "node:assert/strict";
import { afterEach, before, beforeEach, describe, mock, test } from "node:test";
import { logger, respawnDelay, Watcher, watcherConfig, type WatcherConfig } from "../src/index.js";
import { FakeTable } from "./helpers/fake-table.js";

before(() => logger.setSink({ write: () => undefined }));

beforeEach(() => mock.timers.enable({ apis: ["setTimeout", "Date"], now: 1_000_000 }));
afterEach(() => mock.timers.reset());

/** Lets every promise chain that can run without time passing run (spawns, reaps, hooks). */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Moves the mock clock on, then lets what it woke run. */
async function tick(ms: number): Promise<void> {
  mock.timers.tick(ms);
  await settle();
}

function makeWatcher(table: FakeTable, config: Partial<WatcherConfig> = {}) {
  const w = new Watcher(
    watcherConfig({ name: "w", cmd: "fake-worker", gracefulTimeout: 3, ...config }),
    { processTable: table },
  );
  const events: string[] = [];
  w.on("event", (e) => events.push(e.topic));
  return { w, events };
}

const wids = (w: Watcher) => [...w.processes.values()].map((p) => p.wid).sort();

describe("Watcher against a fake process table", () => {
  test("a process that dies is replaced with the same wid; the others keep theirs", async () => {
    const table = new FakeTable();
    const { w } = makeWatcher(table, { numprocesses: 3 });
    await w.prepare();
    assert.equal(await w.start(), true);
    assert.deepEqual(wids(w), [1, 2, 3]);
    const second = [...w.processes.values()].find((p) => p.wid === 2);
    table.processes.find((p) => p.pid === second?.pid)?.exit(1);
    await settle();
    assert.deepEqual(wids(w), [1, 2, 3]);
    assert.equal(table.processes.length, 4);
    assert.equal(w.processes.has(second?.pid as number), false);
  });

  test("respawn back-off: none for the first quick death, then 50 ms doubling, reset by a long life", async () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 8, 9, 20].map(respawnDelay),
      [0, 50, 100, 200, 400, 3200, 5000, 5000],
    );
    const table = new FakeTable();
    const { w } = makeWatcher(table);
    await w.prepare();
    await w.start();
    const dieNow = async () => {
      table.alive()[0]?.exit(1);
      await settle();
    };
    await dieNow(); // first quick death: at once
    assert.equal(table.processes.length, 2);
    await dieNow(); // second: after 50 ms
    await tick(49);
    assert.equal(table.processes.length, 2);
    await tick(1);
    assert.equal(table.processes.length, 3);
    await dieNow(); // third: after 100 ms
    await tick(99);
    assert.equal(table.processes.length, 3);
    await tick(1);
    assert.equal(table.processes.length, 4);
    // A process that lived a second is no crash loop: replaced at once.
    await tick(1000);
    await dieNow();
    assert.equal(table.processes.length, 5);
  });

  test("max_age: the process is stopped and replaced, same wid, once its age is reached", async () => {
    const table = new FakeTable();
    const { w } = makeWatcher(table, { maxAge: 10, maxAgeVariance: 0 });
    await w.prepare();
    await w.start();
    const [first] = table.processes;
    await tick(9_999);
    assert.deepEqual(first?.signals, []);
    await tick(1);
    assert.deepEqual(first?.signals, [15]);
    assert.equal(table.processes.length, 2);
    assert.deepEqual(wids(w), [1]);
  });

  test("warmup_delay: one spawn, then one more each delay", async () => {
    const table = new FakeTable();
    const { w } = makeWatcher(table, { numprocesses: 3, warmupDelay: 2 });
    await w.prepare();
    const started = w.start();
    await settle();
    assert.equal(table.processes.length, 1);
    await tick(1_999);
    assert.equal(table.processes.length, 1);
    await tick(1);
    assert.equal(table.processes.length, 2);
    await tick(2_000);
    assert.equal(table.processes.length, 3);
    assert.equal(await started, true);
  });

  test("a stop escalates to SIGKILL after graceful_timeout, with a kill event for each", async () => {
    const table = new FakeTable({ ignores: [15] });
    const { w, events } = makeWatcher(table, { gracefulTimeout: 3 });
    await w.prepare();
    await w.start();
    const [p] = table.processes;
    let done = false;
    const stopped = w.stop().then(() => (done = true));
    await settle();
    assert.deepEqual(p?.signals, [15]);
    await tick(2_999);
    assert.equal(p?.alive, true);
    assert.equal(done, false);
    await tick(1);
    assert.deepEqual(p?.signals, [15, 9]);
    await stopped;
    assert.equal(w.status(), "stopped");
    assert.deepEqual(
      events.filter((t) => t !== "updated"),
      ["spawn", "start", "kill", "kill", "reap", "stop"],
    );
  });

  test("max_retry: spawns that keep failing stop the watcher after that many tries", async () => {
    let tries = 0;
    const table = new FakeTable({ failSpawn: () => (tries++, true) });
    const { w } = makeWatcher(table, { maxRetry: 3 });
    await w.prepare();
    assert.equal(await w.start(), false);
    assert.equal(tries, 3);
    assert.equal(w.status(), "stopped");
  });

  test("a watcher on its own still takes its changes one at a time, in order", async () => {
    const table = new FakeTable();
    const { w } = makeWatcher(table);
    await w.prepare();
    const changes = [w.start(), w.setNumprocesses(4), w.setNumprocesses(2)];
    await Promise.all(changes);
    // The oldest extras are the ones stopped, as in Circus.
    assert.equal(w.processes.size, 2);
    assert.deepEqual(wids(w), [3, 4]);
    assert.equal(table.alive().length, 2);
  });
});
