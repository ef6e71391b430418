/**
 * The Flapping plugin run by a real circusd from `[plugin:NAME]`: a watcher whose command
 * exits at once is stopped, started again after retry_in, and left stopped after max_retry;
 * `flapping.*` keys of a watcher section override the plugin's options for that watcher.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import {
  iniSection,
  makeTempDir,
  refusal,
  startCircusd,
  waitFor,
  writeConfig,
} from "./helpers/circusd.js";
import { connect, listen, type EventLog, type RawClient } from "./helpers/control.js";
import { cleanupEachTest } from "./helpers/cleanup.js";

cleanupEachTest();

/** A watcher whose processes exit at once with code 1 (the test folder marks circusd). */
function crashing(name: string, options: Record<string, string | number> = {}): string {
  return iniSection(`watcher:${name}`, ["cmd = /bin/sh -c 'exit 1'"], options) + "\n";
}

/** The start/stop events of one watcher, in order, with their arrival time. */
function lifecycle(log: EventLog, name: string): { action: string; at: number }[] {
  return log.events
    .filter((e) => e.topic === `watcher.${name}.start` || e.topic === `watcher.${name}.stop`)
    .map((e) => ({ action: e.topic.split(".")[2] as string, at: Number(e.data.time) * 1000 }));
}

/** Waits until `count` events on `topic` arrived. */
async function waitForCount(log: EventLog, topic: string, count: number): Promise<void> {
  await waitFor(() => log.events.filter((e) => e.topic === topic).length >= count, {
    message: () => `${count} ${topic}; got ${log.events.map((e) => e.topic).join(", ")}`,
  });
}

/** What the plugin process printed (its watcher's output ring). */
async function pluginLog(c: RawClient, name = "plugin:flapping"): Promise<string> {
  const reply = await c.call("logs", { name, lines: 200 });
  return ((reply.logs ?? []) as { line: string }[]).map((l) => l.line).join("\n");
}

describe("Flapping plugin", () => {
  test("stops a crash-looping watcher, retries after retry_in, gives up after max_retry", async () => {
    const d = startCircusd(
      `[circus]
check_delay = 0.1

${crashing("crash")}${crashing("quick", { "flapping.max_retry": 0 })}${crashing("ignored", {
        "flapping.active": "false",
      })}[plugin:flapping]
use = circus.plugins.flapping.Flapping
attempts = 2
window = 5
retry_in = 1
max_retry = 1
`,
    );
    const c = await connect(d);
    const log = listen(d);
    const status = async (name: string) => String((await c.call("status", { name })).status);

    // crash: stopped, started once more after retry_in, stopped for good.
    await log.waitFor("watcher.crash.stop");
    await log.waitFor("watcher.crash.start");
    await waitForCount(log, "watcher.crash.stop", 2);
    const crash = lifecycle(log, "crash");
    assert.deepEqual(
      crash.map((e) => e.action),
      ["stop", "start", "stop"],
    );
    const pause = (crash[1]?.at as number) - (crash[0]?.at as number);
    assert.ok(pause >= 800 && pause < 4000, `restarted ${pause} ms after the stop`);

    // quick (flapping.max_retry = 0): stopped at once, never retried.
    await log.waitFor("watcher.quick.stop");
    // Longer than retry_in: no retry comes, and crash stays stopped too.
    await sleep(1500);
    assert.deepEqual(
      lifecycle(log, "quick").map((e) => e.action),
      ["stop"],
    );
    assert.equal(lifecycle(log, "crash").length, 3);
    assert.equal(await status("crash"), "stopped");
    assert.equal(await status("quick"), "stopped");
    // ignored (flapping.active = false) crashes on, respawned by circusd.
    assert.equal(await status("ignored"), "active");
    assert.ok(log.events.some((e) => e.topic === "watcher.ignored.reap"));
    assert.match(await pluginLog(c), /crash: flapping detected: reached max retry limit/);
  });

  test("re-reads a watcher's flapping.* keys when it is updated (reloadconfig)", async () => {
    const config = (active: string) => `[circus]
check_delay = 0.1

${crashing("crash", { "flapping.active": active })}[plugin:flapping]
use = Flapping
window = 5
retry_in = 60
`;
    const d = startCircusd(config("false"));
    const c = await connect(d);
    const log = listen(d);
    // Several crashes seen by the plugin (once it runs), and the watcher left alone.
    await waitFor(
      async () => (await c.call("status", { name: "plugin:flapping" })).status === "active",
    );
    await waitForCount(log, "watcher.crash.reap", 3);
    await sleep(500);
    assert.equal(String((await c.call("status", { name: "crash" })).status), "active");
    assert.ok(!log.events.some((e) => e.topic === "watcher.crash.stop"));

    writeConfig(d.dir, config("true"));
    assert.equal((await c.call("reloadconfig", { waiting: true })).status, "ok");
    await log.waitFor("watcher.crash.updated");
    // (circusd may restart the watcher for the new config: the plugin's own stop is awaited.)
    await waitFor(async () => /crash: flapping detected: retry in 60s/.test(await pluginLog(c)), {
      message: "the plugin to see crash flapping",
    });
    await waitFor(async () => (await c.call("status", { name: "crash" })).status === "stopped");
  });

  test("a wrong-typed option makes circusd exit with one line naming it", async () => {
    const dir = makeTempDir();
    const file = path.join(dir, "circus.ini");
    const cases: [string, RegExp][] = [
      ["attempts = many", /\[plugin:flapping\] attempts: expected an integer, got "many"/],
      ["window = soon", /\[plugin:flapping\] window: expected a number/],
      ["max_retry = -2", /\[plugin:flapping\] max_retry: must be >= -1/],
    ];
    for (const [option, expected] of cases) {
      writeFileSync(
        file,
        `[watcher:w]\ncmd = sleep 300\n\n[plugin:flapping]\nuse = Flapping\n${option}\n`,
      );
      assert.match(await refusal(file, dir), expected);
    }
  });
});
