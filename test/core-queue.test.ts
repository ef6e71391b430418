/**
 * The one queue of state changes, on the arbiter: every entry point (a command, SIGHUP, a
 * library call) waits its turn, and every change it acknowledged is applied.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Arbiter, SerialQueue, Watcher, watcherConfig } from "../src/index.js";
import { isGone, startCircusd, waitFor } from "./helpers/circusd.js";
import { connect, listen, sleeperSection } from "./helpers/control.js";
import { cleanupEachTest, defer } from "./helpers/cleanup.js";
import { waitForPids } from "./helpers/ctl-tests.js";

cleanupEachTest();

describe("the arbiter's queue", () => {
  test("jobs run one at a time, in order; a failing job does not stop the ones after it", async () => {
    const queue = new SerialQueue();
    const log: string[] = [];
    const job = (name: string, ms: number) => async () => {
      log.push(`${name}+`);
      await sleep(ms);
      log.push(`${name}-`);
    };
    const a = queue.push(job("a", 5));
    const failing = queue.push(() => {
      throw new Error("refused");
    });
    const b = queue.push(job("b", 1));
    await a;
    await assert.rejects(failing, /refused/);
    await b;
    assert.deepEqual(log, ["a+", "a-", "b+", "b-"]);
  });

  test("a change makes its steps at once; a library call meanwhile waits its turn", async () => {
    const arbiter = new Arbiter([
      watcherConfig({ name: "a", cmd: "/bin/sleep 1000", gracefulTimeout: 1 }),
    ]);
    defer(() => arbiter.stop());
    await arbiter.start();
    const w = arbiter.getWatcher("a") as Watcher;
    const log: string[] = [];
    const change = arbiter.exclusive(async (c) => {
      log.push("change begins");
      await c.watcher(w).setNumprocesses(3);
      await sleep(50);
      log.push(`change ends with ${w.processes.size}`);
    });
    const call = w.setNumprocesses(1).then((n) => log.push(`library call: ${n}`));
    await Promise.all([change, call]);
    assert.deepEqual(log, ["change begins", "change ends with 3", "library call: 1"]);
    assert.equal(w.processes.size, 1);
    await arbiter.stop();
    // What comes after the final stop is refused, and says why.
    await assert.rejects(w.setNumprocesses(2), /the arbiter is stopping/);
  });
});

describe("state changes from every entry point go through the arbiter's queue", () => {
  test("two sets sent back to back without waiting both apply", async () => {
    const d = startCircusd((dir) => sleeperSection(dir, "web"));
    const c = await connect(d);
    await waitForPids(c, "web", 1);
    for (let round = 1; round <= 20; round++) {
      const sent = [
        c.call("set", { name: "web", options: { graceful_timeout: round + 1 } }),
        c.call("set", { name: "web", options: { max_retry: round + 2 } }),
      ];
      for (const reply of await Promise.all(sent)) assert.equal(reply.status, "ok");
      // A waiting change queues behind both: once it answers, both have run.
      const last = await c.call("set", {
        name: "web",
        options: { warmup_delay: 0 },
        waiting: true,
      });
      assert.equal(last.status, "ok");
      const got = await c.call("get", { name: "web", keys: ["graceful_timeout", "max_retry"] });
      assert.deepEqual(
        got.options,
        { graceful_timeout: round + 1, max_retry: round + 2 },
        `round ${round}`,
      );
    }
  });

  test("a SIGHUP during a stop of 1000 processes waits its turn and loses nothing", async () => {
    const d = startCircusd((dir) => sleeperSection(dir, "many", { numprocesses: 1000 }));
    const c = await connect(d);
    const events = listen(d);
    const pids = await waitForPids(c, "many", 1000);
    // The reloaded file adds a watcher.
    writeFileSync(d.configPath, readFileSync(d.configPath, "utf8") + sleeperSection(d.dir, "late"));
    assert.equal((await c.call("stop", { name: "many" })).status, "ok");
    d.kill("SIGHUP");
    const added = await events.waitFor("watcher.late.spawn");
    const stopped = await events.waitFor("watcher.many.stop");
    assert.ok(
      events.events.indexOf(stopped) < events.events.indexOf(added),
      "the reload ran before the stop had ended",
    );
    await waitFor(() => pids.every(isGone), { message: "every process of the stop to be gone" });
    await waitForPids(c, "late", 1);
    assert.equal((await c.call("numwatchers")).numwatchers, 2);
  });
});
