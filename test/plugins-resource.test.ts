/**
 * ResourceWatcher run by a real circusd from a `[plugin:NAME]` section, against real
 * processes that spin on a CPU or hold memory (test/fixtures/plugins/resource/hog.mjs), with
 * a real UDP socket standing for statsd.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import {
  isAlive,
  makeTempDir,
  refusal,
  startCircusd,
  waitFor,
  writeConfig,
} from "./helpers/circusd.js";
import { sleeperSection } from "./helpers/control.js";
import { HOG, pluginSection } from "./helpers/plugins.js";
import { StatsdListener } from "./fixtures/plugins/statsd/listener.js";
import { cleanupEachTest } from "./helpers/cleanup.js";

cleanupEachTest();

/** One line of hog.mjs's --out file. */
interface HogRecord {
  event: "start" | "child-exit";
  pid: number;
  child?: number | null;
  signal?: string | null;
}

function records(file: string): HogRecord[] {
  try {
    return readFileSync(file, "utf8")
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as HogRecord);
  } catch {
    return [];
  }
}

const startsOf = (file: string) => records(file).filter((r) => r.event === "start");

/** A watcher running hog.mjs with `args`, recording into DIR/NAME.jsonl. */
function hogSection(dir: string, name: string, args: string): string {
  const out = path.join(dir, `${name}.jsonl`);
  return sleeperSection(dir, name, {}, `${process.execPath} ${HOG} --out ${out} ${args}`.trim());
}

/** A ResourceWatcher on `watcher`, quick and sending to the test's statsd socket. */
function resourceSection(
  name: string,
  watcher: string,
  port: number,
  options: Record<string, string | number>,
): string {
  return pluginSection(name, {
    use: "circus.plugins.resource_watcher.ResourceWatcher",
    watcher,
    loop_rate: 0.3,
    host: "127.0.0.1",
    port,
    ...options,
  });
}

/**
 * A circusd running a hog.mjs watcher for each of `watchers` (name -> hog.mjs arguments),
 * each looked after by a ResourceWatcher `rw_<name>` with `limits`.
 */
function startWatched(
  udp: StatsdListener,
  watchers: Record<string, string>,
  limits: Record<string, string | number>,
) {
  const names = Object.keys(watchers);
  return startCircusd(
    (dir) =>
      names.map((name) => hogSection(dir, name, watchers[name] as string)).join("") +
      names.map((name) => resourceSection(`rw_${name}`, name, udp.port, limits)).join(""),
  );
}

const bucket = (watcher: string, what: string) =>
  `circus.app.watcher._resource_watcher.${watcher}.${what}:1|c`;

describe("ResourceWatcher", () => {
  test("restarts a watcher whose process burns CPU, leaves an idle one alone", async () => {
    const udp = await StatsdListener.open();
    // Only the CPU limit: memory and health checks can not fire for these processes.
    const limits = { max_cpu: 30, max_mem: "95", health_threshold: 0, max_count: 1 };
    const d = startWatched(udp, { burn: "--cpu", calm: "" }, limits);
    const burn = d.path("burn.jsonl");
    const calm = d.path("calm.jsonl");
    const [first] = await waitFor(() => (startsOf(burn).length >= 2 ? startsOf(burn) : null), {
      message: () => `burn to be restarted; statsd got:\n${udp.lines.join("\n")}\n${d.log}`,
    });
    assert.ok(first);
    // Restarted: the first process is gone, a new one runs.
    await waitFor(() => !isAlive(first.pid), {
      message: `the first burn process ${first.pid} to end`,
    });
    // max_count = 1: two looks over the limit in a row, then the restart.
    await udp.waitForLine(bucket("burn", "restarting"));
    const burnLines = udp.matching("circus.app.watcher._resource_watcher.burn.");
    const firstRestart = burnLines.indexOf(bucket("burn", "restarting"));
    assert.ok(firstRestart >= 2, burnLines.join("\n"));
    assert.deepEqual(burnLines.slice(0, firstRestart), [
      bucket("burn", "over_cpu"),
      bucket("burn", "over_cpu"),
    ]);
    // The idle watcher, looked after by the same limits, is never restarted. (Its very first
    // look may count one over_cpu: a process's first CPU figure covers node's start-up.)
    await sleep(1000);
    assert.equal(startsOf(calm).length, 1);
    const calmLines = udp.matching("circus.app.watcher._resource_watcher.calm.");
    assert.ok(
      calmLines.length <= 1 && !calmLines.includes(bucket("calm", "restarting")),
      calmLines.join("\n"),
    );
  });

  test("restarts a watcher whose process holds more memory than max_mem bytes", async () => {
    const udp = await StatsdListener.open();
    const limits = { max_cpu: 0, max_mem: "150M", health_threshold: 0, max_count: 1 };
    const d = startWatched(udp, { fat: "--mem 250", slim: "--mem 10" }, limits);
    const fat = d.path("fat.jsonl");
    const [first] = await waitFor(() => (startsOf(fat).length >= 2 ? startsOf(fat) : null), {
      message: () => `fat to be restarted; statsd got:\n${udp.lines.join("\n")}\n${d.log}`,
    });
    assert.ok(first);
    await waitFor(() => !isAlive(first.pid), {
      message: `the first fat process ${first.pid} to end`,
    });
    await udp.waitForLine(bucket("fat", "restarting"));
    const fatLines = udp.matching("circus.app.watcher._resource_watcher.fat.");
    assert.deepEqual(fatLines.slice(0, 3), [
      bucket("fat", "over_memory"),
      bucket("fat", "over_memory"),
      bucket("fat", "restarting"),
    ]);
    await sleep(1000);
    assert.equal(startsOf(d.path("slim.jsonl")).length, 1);
    assert.deepEqual(udp.matching("circus.app.watcher._resource_watcher.slim."), []);
  });

  test("min_cpu: restarts a watcher whose process uses too little CPU", async () => {
    const udp = await StatsdListener.open();
    const d = startWatched(
      udp,
      { lazy: "" },
      { min_cpu: 50, max_mem: "95", health_threshold: 0, max_count: 1 },
    );
    await waitFor(() => startsOf(d.path("lazy.jsonl")).length >= 2, {
      message: () => `lazy to be restarted; statsd got:\n${udp.lines.join("\n")}\n${d.log}`,
    });
    await udp.waitForLine(bucket("lazy", "restarting"));
    const lines = udp.matching("circus.app.watcher._resource_watcher.lazy.");
    const restart = lines.indexOf(bucket("lazy", "restarting"));
    assert.deepEqual(lines.slice(restart - 2, restart), [
      bucket("lazy", "under_cpu"),
      bucket("lazy", "under_cpu"),
    ]);
  });

  test("process_children: signals a child over its limits, not the watcher", async () => {
    const udp = await StatsdListener.open();
    const d = startWatched(
      udp,
      { parent: "--child-cpu" },
      {
        max_cpu: 30,
        max_mem: "95",
        health_threshold: 0,
        max_count: 1,
        process_children: "true",
        child_signal: 9,
      },
    );
    const out = d.path("parent.jsonl");
    const start = await waitFor(() => startsOf(out)[0], { message: "the parent's start" });
    assert.ok(start.child);
    const exit = await waitFor(() => records(out).find((r) => r.event === "child-exit"), {
      message: () => `the child to be signalled; statsd got:\n${udp.lines.join("\n")}\n${d.log}`,
    });
    assert.deepEqual(
      { pid: exit.pid, signal: exit.signal },
      { pid: start.child, signal: "SIGKILL" },
    );
    assert.ok(udp.lines.includes(bucket("parent", "restarting")));
    // The parent itself was not restarted.
    await sleep(1000);
    assert.deepEqual(
      startsOf(out).map((r) => r.pid),
      [start.pid],
    );
  });
});

describe("ResourceWatcher options", () => {
  const cases: [string, string, RegExp][] = [
    [
      "max_mem = lots",
      "watcher = web\nmax_mem = lots",
      /\[plugin:rw\] max_mem: expected a percentage or a size/,
    ],
    ["max_count = often", "watcher = web\nmax_count = often", /\[plugin:rw\] max_count: /],
    ["no watcher", "max_cpu = 50", /\[plugin:rw\] watcher: .*mandatory/],
    ["child_signal = NOPE", "watcher = web\nchild_signal = NOPE", /\[plugin:rw\] child_signal: /],
  ];
  for (const [what, options, expected] of cases) {
    test(`${what}: circusd exits non-zero with one line naming it`, async () => {
      const dir = makeTempDir();
      const config = writeConfig(
        dir,
        `[watcher:web]\ncmd = sleep 100\n\n[plugin:rw]\nuse = ResourceWatcher\n${options}\n`,
      );
      assert.match(await refusal(config), expected);
    });
  }
});
