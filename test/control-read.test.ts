/** The read commands against a real circusd, through a raw DEALER: replies key for key. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { copyFixture, isAlive, makeTempDir, startCircusd } from "./helpers/circusd.js";
import { connect, sleeperSection } from "./helpers/control.js";
import { keys, waitForPids } from "./helpers/ctl-tests.js";
import { cleanupEachTest } from "./helpers/cleanup.js";

cleanupEachTest();

describe("read commands", () => {
  test("status, list, numprocesses, numwatchers, globaloptions, listsockets", async () => {
    const d = startCircusd(
      (dir) => sleeperSection(dir, "b", { numprocesses: 2 }) + sleeperSection(dir, "A"),
    );
    const c = await connect(d);
    const pids = await waitForPids(c, "b", 2);
    await waitForPids(c, "a", 1);

    const list = await c.call("list");
    assert.deepEqual(keys(list), ["id", "status", "time", "watchers"]);
    assert.deepEqual(list.watchers, ["a", "b"], "lower-cased and sorted, as Circus");
    assert.deepEqual(keys(await c.call("list", { name: "b" })), ["id", "pids", "status", "time"]);

    const statuses = await c.call("status");
    assert.deepEqual(statuses.statuses, { b: "active", A: "active" });
    assert.equal((await c.call("status", { name: "a" })).status, "active", "case-insensitive");

    const num = await c.call("numprocesses", { name: "b" });
    assert.deepEqual(keys(num), ["id", "numprocesses", "status", "time", "watcher_name"]);
    assert.equal(num.numprocesses, 2);
    assert.equal(num.watcher_name, "b");
    assert.equal((await c.call("numprocesses")).numprocesses, 3);
    assert.equal((await c.call("numwatchers")).numwatchers, 2);

    const globals = await c.call("globaloptions");
    assert.deepEqual(Object.keys(globals.options as object).sort(), [
      "check_delay",
      "endpoint",
      "multicast_endpoint",
      "pubsub_endpoint",
      "stats_endpoint",
    ]);
    assert.match(String((globals.options as Record<string, unknown>).endpoint), /^ipc:\/\//);
    const one = await c.call("globaloptions", { option: "check_delay" });
    assert.deepEqual(one.options, { check_delay: 5 });
    assert.equal((await c.call("globaloptions", { option: "nope" })).status, "error");

    const sockets = await c.call("listsockets");
    assert.deepEqual(sockets.sockets, []);
    assert.ok(pids.every(isAlive));
  });

  test("options and get give the watcher's options by their wire names", async () => {
    const d = startCircusd((dir) =>
      sleeperSection(dir, "web", { numprocesses: 2, graceful_timeout: 7, send_hup: true }),
    );
    const c = await connect(d);
    const options = (await c.call("options", { name: "web" })).options as Record<string, unknown>;
    assert.equal(options.numprocesses, 2);
    assert.equal(options.graceful_timeout, 7);
    assert.equal(options.send_hup, true);
    assert.equal(options.cmd, "/bin/sleep 1000");
    for (const key of [
      "warmup_delay",
      "working_dir",
      "uid",
      "gid",
      "stop_signal",
      "env",
      "max_retry",
      "respawn",
      "priority",
      "singleton",
      "max_age",
      "max_age_variance",
      "stdout_stream_conf",
      "stderr_stream_conf",
    ])
      assert.ok(key in options, key);
    const got = await c.call("get", { name: "web", keys: ["numprocesses", "send_hup"] });
    assert.deepEqual(keys(got), ["id", "options", "status", "time"]);
    assert.deepEqual(got.options, { numprocesses: 2, send_hup: true });
  });

  test("stats: per process figures; dstats: circusd's", async () => {
    const d = startCircusd(
      (dir) =>
        sleeperSection(dir, "burn", {}, "/bin/sh -c 'while :; do :; done'") +
        sleeperSection(dir, "idle"),
    );
    const c = await connect(d);
    const [pid] = await waitForPids(c, "burn", 1);
    await waitForPids(c, "idle", 1);
    await new Promise((r) => setTimeout(r, 1500));
    const one = await c.call("stats", { name: "burn" });
    assert.deepEqual(keys(one), ["id", "info", "name", "status", "time"]);
    const info = (one.info as Record<string, Record<string, unknown>>)[String(pid)];
    assert.ok(info, JSON.stringify(one));
    for (const key of [
      "pid",
      "cpu",
      "mem",
      "mem_info1",
      "mem_info2",
      "ctime",
      "nice",
      "username",
      "cmdline",
      "create_time",
      "age",
      "started",
      "children",
      "wid",
    ])
      assert.ok(key in info, `stats has ${key}`);
    assert.equal(info.pid, pid);
    assert.equal(info.wid, 1);
    assert.match(String(info.mem_info1), /^(\d+\.\d\d[KMGTPEZY]|\d+B)$/);
    assert.match(String(info.ctime), /^\d+:\d\d\.\d+$/);
    // A process that burns one core: close to 100 %, as ps says.
    const ps = Number(
      (await import("node:child_process")).execFileSync("ps", ["-o", "%cpu=", "-p", String(pid)], {
        encoding: "utf8",
      }),
    );
    assert.ok(
      Math.abs((info.cpu as number) - ps) <= 10 + ps * 0.1,
      `stats ${info.cpu} vs ps ${ps}`,
    );
    // The next sample measures CPU since this one, as psutil's cpu_percent(None) does: give
    // it a second, since /proc counts CPU time in 10 ms ticks.
    await new Promise((r) => setTimeout(r, 1000));
    const again = await c.call("stats", { name: "burn", process: pid });
    assert.deepEqual(keys(again), ["id", "info", "process", "status", "time"]);
    assert.ok(
      (((again.info as Record<string, unknown>).cpu as number) ?? 0) > 30,
      `cpu over the interval: ${JSON.stringify(again.info)}`,
    );

    const all = await c.call("stats");
    assert.deepEqual(Object.keys(all.infos as object).sort(), ["burn", "idle"]);
    const missing = await c.call("stats", { name: "burn", process: 1 });
    assert.equal(missing.status, "error");

    const daemon = await c.call("dstats");
    assert.deepEqual(keys(daemon), ["id", "info", "status", "time"]);
    const di = daemon.info as Record<string, unknown>;
    assert.equal(di.pid, d.pid);
    for (const key of [
      "children",
      "cmdline",
      "cpu",
      "ctime",
      "mem",
      "mem_info1",
      "mem_info2",
      "nice",
      "username",
    ])
      assert.ok(key in di, `dstats has ${key}`);
  });
});

describe("stats --extended", () => {
  test("the extended_stats hook adds its figures when asked for", async () => {
    const d = startCircusd(
      (dir) =>
        sleeperSection(dir, "web", { "hooks.extended_stats": `${dir}/hooks.mjs:extendStats` }),
      {
        dir: (() => {
          const dir = makeTempDir();
          copyFixture(dir, "hooks.mjs");
          return dir;
        })(),
      },
    );
    const c = await connect(d);
    const [pid] = await waitForPids(c, "web", 1);
    const plain = await c.call("stats", { name: "web" });
    const info = (plain.info as Record<string, Record<string, unknown>>)[String(pid)];
    assert.equal(info?.extra, undefined);
    const extended = await c.call("stats", { name: "web", extended: true });
    const ext = (extended.info as Record<string, Record<string, unknown>>)[String(pid)];
    assert.deepEqual(ext?.extra, { answer: 42, pid });
    const one = await c.call("stats", { name: "web", process: pid, extended: true });
    assert.deepEqual((one.info as Record<string, unknown>).extra, { answer: 42, pid });
  });
});
