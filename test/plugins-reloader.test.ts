/**
 * The CommandReloader plugin run by a real circusd from `[plugin:NAME]`: a watcher is
 * restarted when its command file is touched or when the path its cmd resolves to changes
 * (a symlink pointed at a new release); the other watchers are left alone.
 */
import assert from "node:assert/strict";
import {
  chmodSync,
  realpathSync,
  renameSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { makeTempDir, refusal, startCircusd, waitFor, type Circusd } from "./helpers/circusd.js";
import { connect, sleeperSection, type RawClient } from "./helpers/control.js";
import { onePid } from "./helpers/plugins.js";
import { cleanupEachTest } from "./helpers/cleanup.js";

cleanupEachTest();

/** An executable script that runs sleep; its mtime set to `mtime` (seconds). */
function script(file: string, mtime = Date.now() / 1000 - 60): string {
  writeFileSync(file, "#!/bin/sh\nexec /bin/sleep 1000\n");
  chmodSync(file, 0o755);
  utimesSync(file, mtime, mtime);
  return file;
}

/** Waits until the watcher's one process is another than `pid`, and returns it. */
function replaced(c: RawClient, name: string, pid: number): Promise<number> {
  return onePid(c, name, pid, { timeout: 10_000, message: `${name} (${pid}) to be restarted` });
}

// With debug, the plugin says what it looked at, on circusd's stdout.
const PLUGIN = `[plugin:reloader]
use = circus.plugins.command_reloader.CommandReloader
loop_rate = 0.2

[circus]
debug = true
`;

/**
 * Waits until the plugin has looked at `file` for `watcher`: a change made before its first
 * look is no change to it (a busy machine may start the plugin late).
 */
function looked(d: Circusd, watcher: string, file: string): Promise<boolean> {
  const line = `${watcher}: looked at ${file}`;
  return waitFor(() => d.lines.some((l) => l.endsWith(line)), {
    message: () => `the plugin to look at ${file}; log:\n${d.lines.join("\n")}`,
  });
}

describe("CommandReloader plugin", () => {
  test("restarts a watcher after its command file is touched, and only that one", async () => {
    let app = "";
    const d = startCircusd((dir) => {
      app = script(path.join(dir, "app.sh"));
      const other = script(path.join(dir, "other.sh"));
      return sleeperSection(dir, "app", {}, app) + sleeperSection(dir, "other", {}, other) + PLUGIN;
    });
    const c = await connect(d);
    const first = await onePid(c, "app");
    const other = await onePid(c, "other");
    await looked(d, "app", app);
    // Several loops with nothing changed: nothing restarts.
    await sleep(1000);
    assert.equal(await onePid(c, "app"), first);

    const now = Date.now() / 1000;
    utimesSync(app, now, now);
    const second = await replaced(c, "app", first);
    // Restarted once, not at every loop.
    await sleep(800);
    assert.equal(await onePid(c, "app"), second);
    assert.equal(await onePid(c, "other"), other);
  });

  test("restarts a watcher when its cmd resolves to another file (same mtime)", async () => {
    let link = "";
    let v2 = "";
    const d = startCircusd((dir) => {
      const mtime = Date.now() / 1000 - 60;
      const v1 = script(path.join(dir, "v1.sh"), mtime);
      v2 = script(path.join(dir, "v2.sh"), mtime);
      link = path.join(dir, "current");
      symlinkSync(v1, link);
      return sleeperSection(dir, "app", {}, link) + PLUGIN;
    });
    const c = await connect(d);
    const first = await onePid(c, "app");
    await looked(d, "app", realpathSync(link));
    await sleep(600);
    assert.equal(await onePid(c, "app"), first);
    // Switched atomically, as a deployment does: a new link renamed over the old one.
    symlinkSync(v2, `${link}.new`);
    renameSync(`${link}.new`, link);
    await replaced(c, "app", first);
  });

  test("a loop_rate that is not a number is refused at startup", async () => {
    const dir = makeTempDir();
    const file = path.join(dir, "circus.ini");
    writeFileSync(
      file,
      `[watcher:w]\ncmd = sleep 300\n\n[plugin:r]\nuse = CommandReloader\nloop_rate = fast\n`,
    );
    assert.match(await refusal(file, dir), /\[plugin:r\] loop_rate: expected a number, got "fast"/);
  });
});
