/**
 * The one queue of state changes, on the arbiter: every entry point (a command, SIGHUP, a
 * library call) waits its turn, and every change it acknowledged is applied.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { SerialQueue } from "../src/core/serial-queue.js";
import { isGone, startCircusd, waitFor } from "./helpers/circusd.js";
import { connect, listen, sleeperSection } from "./helpers/control.js";
import { cleanupEachTest } from "./helpers/cleanup.js";
import { waitForPids } from "./helpers/ctl-tests.js";

cleanupEachTest();

describe("SerialQueue", () => {
  test("jobs run one at a time, in order; a job's own changes run inline", async () => {
    const queue = new SerialQueue();
    const log: string[] = [];
    const job = (name: string, ms: number) => async () => {
      log.push(`${name}+`);
      await sleep(ms);
      log.push(`${name}-`);
    };
    const nested = queue.push(async () => {
      log.push("outer+");
      // Queued behind itself, this would never run: inside a job it runs at once.
      await queue.push(job("inner", 5));
      log.push("outer-");
    });
    const a = queue.push(job("a", 1));
    const failing = queue.push(() => {
      throw new Error("refused");
    });
    const b = queue.push(job("b", 1));
    await nested;
    await a;
    await assert.rejects(failing, /refused/);
    await b;
    assert.deepEqual(log, ["outer+", "inner+", "inner-", "outer-", "a+", "a-", "b+", "b-"]);
  });

  test("work a job leaves behind queues like anyone else once the job is done", async () => {
    const queue = new SerialQueue();
    let later: Promise<string> | null = null;
    await queue.push(() => {
      setTimeout(() => {
        later = queue.push(() => "late");
      }, 1);
    });
    let blocker!: () => void;
    const blocking = queue.push(() => new Promise<void>((resolve) => (blocker = resolve)));
    await waitFor(() => later !== null);
    let settled = false;
    void (later as unknown as Promise<string>).then(() => (settled = true));
    await sleep(20);
    assert.equal(settled, false, "the timer's change ran beside the job before it");
    blocker();
    await blocking;
    assert.equal(await (later as unknown as Promise<string>), "late");
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
