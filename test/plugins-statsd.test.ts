/**
 * StatsdEmitter and FullStats run by a real circusd from `[plugin:NAME]` sections, checked
 * on a real UDP socket standing for statsd: the exact lines, as Circus's plugins send them.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { makeTempDir, refusal, startCircusd, waitFor, writeConfig } from "./helpers/circusd.js";
import { connect, listen, sleeperSection } from "./helpers/control.js";
import { HOG, pluginSection } from "./helpers/plugins.js";
import { StatsdListener } from "./fixtures/plugins/statsd/listener.js";
import { cleanupEachTest } from "./helpers/cleanup.js";

cleanupEachTest();

/** A watcher running hog.mjs (idle unless `args` say otherwise), findable by cleanup. */
function hogSection(dir: string, name: string, options: Record<string, string | number> = {}) {
  const { args = "", ...rest } = options;
  return sleeperSection(
    dir,
    name,
    { graceful_timeout: 1, ...rest },
    `${process.execPath} ${HOG} ${String(args)}`.trimEnd(),
  );
}

describe("StatsdEmitter", () => {
  test("one counter per event, prefixed circus.<application_name>.watcher; |@rate", async () => {
    const udp = await StatsdListener.open();
    const d = startCircusd(
      (dir) =>
        sleeperSection(dir, "web") +
        pluginSection("statsd", {
          use: "circus.plugins.statsd.StatsdEmitter",
          host: "127.0.0.1",
          port: udp.port,
          application_name: "example",
          sample_rate: "1.0",
        }) +
        pluginSection("sampled", {
          use: "StatsdEmitter",
          host: "127.0.0.1",
          port: udp.port,
          application_name: "sampled",
          sample_rate: "0.5",
        }),
    );
    const c = await connect(d);
    const events = listen(d);
    // The plugins subscribe once their process runs: poke `web` (an `updated` event) until
    // both plugins and our own subscriber have seen one.
    await waitFor(
      async () => {
        await c.call("set", { name: "web", options: { graceful_timeout: 1 } });
        return (
          udp.lines.includes("circus.example.watcher.web.updated:1|c") &&
          udp.lines.includes("circus.sampled.watcher.web.updated:1|c|@0.5") &&
          events.events.some((e) => e.topic === "watcher.web.updated")
        );
      },
      { interval: 200, message: () => `both plugins to count events; got ${udp.lines.join(" ")}` },
    );
    // The last pokes' events may still be on their way: start counting once all is quiet.
    let before = -1;
    await waitFor(
      () => {
        const now = udp.lines.length + events.events.length;
        const quiet = now === before;
        before = now;
        return quiet;
      },
      { interval: 300, message: "the statsd lines to settle" },
    );
    const mark = udp.lines.length;
    const seen = events.events.length;

    assert.equal((await c.call("stop", { name: "web", waiting: true })).status, "ok");
    assert.equal((await c.call("start", { name: "web", waiting: true })).status, "ok");
    await udp.waitForLine("circus.example.watcher.web.start:1|c", mark);
    await udp.waitForLine("circus.sampled.watcher.web.start:1|c|@0.5", mark);
    await events.waitFor("watcher.web.start");

    // Exactly one line per event circusd published, in each plugin's format.
    const published = events.events.slice(seen).map((e) => e.topic.slice("watcher.".length));
    const lines = udp.lines.slice(mark);
    const example = lines.filter((l) => l.startsWith("circus.example."));
    const sampled = lines.filter((l) => l.startsWith("circus.sampled."));
    const expected = (app: string, suffix: string) =>
      published.map((topic) => `circus.${app}.watcher.${topic}:1|c${suffix}`).sort();
    assert.deepEqual([...example].sort(), expected("example", ""));
    assert.deepEqual([...sampled].sort(), expected("sampled", "|@0.5"));
    assert.equal(example.length + sampled.length, lines.length, lines.join("\n"));
    for (const action of ["stop", "reap", "spawn", "start"])
      assert.ok(example.includes(`circus.example.watcher.web.${action}:1|c`), action);
  });
});

/** The latest value of each FullStats gauge, by its bucket. */
function gauges(lines: string[], prefix: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of lines) {
    if (!line.startsWith(prefix)) continue;
    const match = /^(.*):(-?[\d.]+(?:e[+-]?\d+)?)\|g$/.exec(line);
    assert.ok(match, `a gauge line: ${line}`);
    out.set((match[1] as string).slice(prefix.length), Number(match[2]));
  }
  return out;
}

describe("FullStats", () => {
  test("gauges of CPU and memory per watcher every loop_rate, and event counters", async () => {
    const udp = await StatsdListener.open();
    const d = startCircusd(
      (dir) =>
        hogSection(dir, "idle", { numprocesses: 2 }) +
        hogSection(dir, "burn", { args: "--cpu" }) +
        hogSection(dir, "off", { autostart: "false" }) +
        pluginSection("full", {
          use: "circus.plugins.statsd.FullStats",
          host: "127.0.0.1",
          port: udp.port,
          application_name: "example",
          loop_rate: "0.3",
        }),
    );
    const c = await connect(d);
    const prefix = "circus.example.watcher._stats.";
    // The first stats of a process measure its CPU since it started (node's own start-up
    // included): wait for a later round, where CPU is measured between two rounds.
    const latest = await waitFor(
      () => {
        const rounds = udp.matching(`${prefix}idle.watchers_num:2|g`).length;
        const g = gauges(udp.lines, prefix);
        return rounds >= 2 && (g.get("burn.cpu_max") ?? 0) > 30 ? g : null;
      },
      { message: () => `FullStats gauges; got:\n${udp.lines.slice(-30).join("\n")}` },
    );

    for (const name of ["idle", "burn"]) {
      for (const gauge of [
        "watchers_num",
        "cpu_max",
        "cpu_sum",
        "mem_pct_max",
        "mem_pct_sum",
        "mem_max",
        "mem_sum",
      ])
        assert.ok(latest.has(`${name}.${gauge}`), `${name}.${gauge}`);
    }
    const get = (key: string) => latest.get(key) as number;
    assert.equal(get("burn.watchers_num"), 1);
    assert.equal(get("burn.cpu_sum"), get("burn.cpu_max"));
    assert.ok(get("idle.cpu_max") < 30, `idle cpu ${get("idle.cpu_max")}`);
    assert.ok(get("idle.cpu_sum") >= get("idle.cpu_max"));
    assert.ok(get("idle.mem_pct_sum") >= get("idle.mem_pct_max") && get("idle.mem_pct_max") > 0);
    // Resident bytes read back from stats' `mem_info1` (`40.94M`), whole as human2bytes makes them.
    const memMax = get("idle.mem_max");
    assert.ok(memMax >= 1024 * 1024 && Number.isInteger(memMax), `mem_max ${memMax}`);
    assert.ok(get("idle.mem_sum") >= memMax);
    // A stopped watcher has no processes to measure: only its count.
    assert.equal(get("off.watchers_num"), 0);
    assert.ok(!latest.has("off.cpu_max"));
    // The plugin's own watcher is left out.
    assert.deepEqual(
      udp.lines.filter((l) => l.includes("_stats.plugin:")),
      [],
    );

    // Events are counted too, and the next rounds follow the processes.
    assert.equal((await c.call("incr", { name: "idle", waiting: true })).status, "ok");
    await udp.waitForLine("circus.example.watcher.idle.spawn:1|c");
    await waitFor(() => gauges(udp.lines, prefix).get("idle.watchers_num") === 3, {
      message: "idle.watchers_num:3",
    });
  });
});

describe("statsd options", () => {
  const cases: [string, string, RegExp][] = [
    ["StatsdEmitter", "port = x", /\[plugin:stats\] port: expected an integer, got "x"/],
    ["FullStats", "loop_rate = soon", /\[plugin:stats\] loop_rate: expected a number/],
    ["StatsdEmitter", "sample_rate = 2", /\[plugin:stats\] sample_rate: must be 1 or less, got 2/],
  ];
  for (const [use, option, expected] of cases) {
    test(`${use} with ${option}: circusd exits non-zero with one line naming it`, async () => {
      const dir = makeTempDir();
      const config = writeConfig(dir, `[plugin:stats]\nuse = ${use}\n${option}\n`);
      assert.match(await refusal(config), expected);
    });
  }
});
