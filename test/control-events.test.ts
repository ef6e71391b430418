/** Every event topic on the pub/sub endpoint, read with a plain zeromq Subscriber. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { copyFixture, startCircusd, waitFor } from "./helpers/circusd.js";
import { connect, listen, sleeperSection } from "./helpers/control.js";
import { cleanupEachTest } from "./helpers/cleanup.js";

cleanupEachTest();

describe("events", () => {
  test("spawn, kill, reap, stop, start, updated, add, remove, hook_success, hook_failure", async () => {
    const d = startCircusd((dir) => sleeperSection(dir, "web", { autostart: false }));
    copyFixture(d.dir, "hooks.mjs");
    const c = await connect(d);
    const events = listen(d);
    // A subscription takes a moment to reach the publisher: wait until one event arrives.
    await waitFor(async () => {
      await c.call("set", { name: "web", options: { graceful_timeout: 1 }, waiting: true });
      return events.events.some((e) => e.topic === "watcher.web.updated");
    });
    const updated = await events.waitFor("watcher.web.updated");
    assert.deepEqual(Object.keys(updated.data), ["time"]);

    await c.call("start", { name: "web", waiting: true });
    const spawn = await events.waitFor("watcher.web.spawn");
    const pid = spawn.data.process_pid as number;
    assert.equal(typeof pid, "number");
    assert.deepEqual(Object.keys(spawn.data).sort(), ["process_pid", "time"]);
    assert.equal(typeof spawn.data.time, "number");
    const start = await events.waitFor("watcher.web.start");
    assert.equal(typeof start.data.time, "number");

    await c.call("stop", { name: "web", waiting: true });
    const kill = await events.waitFor("watcher.web.kill", (e) => e.data.process_pid === pid);
    assert.equal(typeof kill.data.time, "number");
    const reap = await events.waitFor("watcher.web.reap", (e) => e.data.process_pid === pid);
    assert.equal(reap.data.exit_code, -15, "death by SIGTERM, as Circus reports it");
    await events.waitFor("watcher.web.stop");

    await c.call("add", {
      name: "hooked",
      cmd: "/bin/sleep 1000",
      options: {
        env: { CIRCUS_IT_MARKER: d.dir, HOOK_LOG: `${d.dir}/hooks.jsonl` },
        hooks: {
          before_start: `${d.dir}/hooks.mjs:record`,
          after_start: `${d.dir}/hooks.mjs:explode`,
        },
      },
      start: true,
      waiting: true,
    });
    const added = await events.waitFor("watcher.hooked.add");
    assert.deepEqual(Object.keys(added.data), ["time"]);
    const ok = await events.waitFor("watcher.hooked.hook_success");
    assert.equal(ok.data.name, "before_start");
    const failed = await events.waitFor("watcher.hooked.hook_failure");
    assert.equal(failed.data.name, "after_start");
    assert.equal(typeof failed.data.error, "string");

    await c.call("rm", { name: "hooked", waiting: true });
    const removed = await events.waitFor("watcher.hooked.remove");
    assert.deepEqual(Object.keys(removed.data), ["time"]);
    assert.ok(
      events.events.every((e) => /^watcher\.[^.]+\.[a-z_]+$/.test(e.topic)),
      events.events.map((e) => e.topic).join(", "),
    );
  });
});
