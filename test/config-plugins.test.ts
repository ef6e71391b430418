/**
 * `[plugin:NAME]` options and the `[circus]` options that shape the plugins' watchers, against
 * a real circusd running a real plugin: `active = false` runs nothing; `debug` puts the
 * plugins' output on circusd's stdout and stderr and their logging at debug level; options
 * that would have no effect on a plugin's watcher are refused.
 */
import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import {
  makeTempDir,
  procArgv,
  refusal,
  ROOT,
  startCircusd,
  waitFor,
  writeConfig,
  type Circusd,
} from "./helpers/circusd.js";
import { connect, sleeperSection, type RawClient } from "./helpers/control.js";
import { onePid, pluginSection, watcherPids } from "./helpers/plugins.js";
import { cleanupEachTest } from "./helpers/cleanup.js";

cleanupEachTest();

/**
 * Writes talker.mjs into `dir`: a plugin that, once connected, logs a debug line, writes a
 * line to its stdout and one to its stderr, then creates `ready`.
 */
function talker(dir: string): string {
  const file = path.join(dir, "talker.mjs");
  writeFileSync(
    file,
    `import { writeFileSync } from "node:fs";
import { CircusPlugin, logger } from ${JSON.stringify(path.join(ROOT, "dist/index.js"))};
export class Talker extends CircusPlugin {
  handleInit() {
    logger.debug("talker DEBUG-MARK");
    process.stdout.write("talker OUT-MARK\\n");
    process.stderr.write("talker ERR-MARK\\n");
    writeFileSync(${JSON.stringify(path.join(dir, "ready"))}, "");
  }
  handleRecv() {}
}
`,
  );
  return `${file}:Talker`;
}

/** The argument after `flag` in the plugin process's command line. */
function argAfter(pid: number, flag: string): string | undefined {
  const argv = procArgv(pid);
  return argv[argv.indexOf(flag) + 1];
}

async function startTalker(debug: boolean): Promise<{ d: Circusd; c: RawClient; pid: number }> {
  const d = startCircusd(
    (dir) =>
      `[circus]\ndebug = ${debug}\n\n${sleeperSection(dir, "s")}` +
      pluginSection("talker", { use: talker(dir) }),
  );
  const c = await connect(d);
  const pid = await onePid(c, "plugin:talker");
  await waitFor(() => existsSync(d.path("ready")), { message: "the plugin to start" });
  return { d, c, pid };
}

describe("[circus] debug", () => {
  test("on: a plugin's stdout and stderr reach circusd's, and it logs at debug level", async () => {
    const { d, pid } = await startTalker(true);
    assert.equal(argAfter(pid, "--log-level"), "debug");
    await d.waitForLog(/^talker OUT-MARK$/);
    await d.waitForLog(/\[DEBUG\] talker DEBUG-MARK$/);
    await waitFor(() => d.stderr.includes("talker ERR-MARK\n"), {
      message: () => `ERR-MARK on circusd's stderr: ${d.stderr}`,
    });
  });

  test("off: a plugin's output stays out of circusd's (it is in the plugin's live tail)", async () => {
    const { d, c, pid } = await startTalker(false);
    assert.equal(argAfter(pid, "--log-level"), "INFO");
    await waitFor(async () => {
      const reply = await c.call("logs", { name: "plugin:talker", lines: 50 });
      const lines = (reply.logs as { line: string }[]).map((l) => l.line);
      return lines.includes("talker OUT-MARK") && lines.includes("talker ERR-MARK");
    });
    assert.ok(!d.log.includes("MARK"), d.log);
    assert.ok(!d.stderr.includes("MARK"), d.stderr);
  });
});

describe("[plugin:NAME] active = false", () => {
  test("the plugin does not run at all, is not listed, and a reload turns it on and off", async () => {
    const section = (dir: string, active: boolean) =>
      `${sleeperSection(dir, "s")}${pluginSection("flap", { use: "Flapping", active: String(active) })}`;
    const d = startCircusd((dir) => section(dir, false));
    const c = await connect(d);
    await d.waitForLog(/plugin:flap is not started: its section says active = false/);
    await onePid(c, "s");
    // Long enough for a plugin process to start, fail and be respawned, had one started.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.deepEqual(
      d.children().map((p) => p.pid),
      await watcherPids(c, "s"),
      "circusd's only child is the sleeper",
    );
    assert.deepEqual((await c.call("list")).watchers, ["s"]);
    assert.deepEqual(Object.keys((await c.call("status")).statuses as object), ["s"]);

    writeConfig(d.dir, section(d.dir, true));
    assert.equal((await c.call("reloadconfig", { waiting: true })).status, "ok");
    await onePid(c, "plugin:flap");
    writeConfig(d.dir, section(d.dir, false));
    assert.equal((await c.call("reloadconfig", { waiting: true })).status, "ok");
    assert.deepEqual((await c.call("list")).watchers, ["s"]);
  });
});

describe("[plugin:NAME] watcher options", () => {
  test("command-line options are refused, as cmd is: circusd builds the plugin's command", async () => {
    const dir = makeTempDir();
    for (const option of [
      "args = --verbose",
      "shell = true",
      "shell_args = -l",
      "executable = x",
    ]) {
      const file = writeConfig(dir, pluginSection("p", { use: "Flapping" }) + `${option}\n`);
      const name = option.split(" ")[0];
      assert.equal(
        await refusal(file, dir),
        `${file}:4: [plugin:p] ${name}: circusd runs a plugin itself: leave ${name} out`,
      );
    }
  });

  test("use_papa on a plugin is refused: plugins run with circusd", async () => {
    const dir = makeTempDir();
    const file = writeConfig(dir, pluginSection("p", { use: "Flapping", use_papa: "true" }));
    assert.equal(
      await refusal(file, dir),
      `${file}: [plugin:p] use_papa: a plugin runs with circusd, not in the process kernel`,
    );
  });
});
