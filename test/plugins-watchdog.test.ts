/**
 * The WatchDog plugin run by a real circusd from `[plugin:NAME]`: processes send UDP
 * heartbeats; one that stops beating is killed and circusd replaces it, the others live on.
 */
import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { makeTempDir, ROOT, refusal, startCircusd } from "./helpers/circusd.js";
import { connect, listen } from "./helpers/control.js";
import { onePid, watcherPids as pids } from "./helpers/plugins.js";
import { cleanupEachTest } from "./helpers/cleanup.js";

cleanupEachTest();

const HEARTBEAT = path.join(ROOT, "test/fixtures/plugins/watchdog/heartbeat.mjs");

/** A UDP port nobody uses right now (the kernel's pick). */
async function freeUdpPort(): Promise<number> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(resolve));
  return port;
}

/** A watcher of heartbeat.mjs; `--marker DIR` lets cleanup find its processes. */
function beating(dir: string, name: string, port: number, args = ""): string {
  return `[watcher:${name}]
cmd = ${process.execPath} ${HEARTBEAT} --port ${port} --interval 100 --marker ${dir} ${args}
graceful_timeout = 1

`;
}

describe("WatchDog plugin", () => {
  test("kills a process that stops sending heartbeats; circusd replaces it", async () => {
    const port = await freeUdpPort();
    const d = startCircusd(
      (dir) => `[circus]
check_delay = 0.1

${beating(dir, "steady", port)}${beating(dir, "silent", port, "--beats 3")}${beating(
        dir,
        "unwatched",
        port,
        "--beats 0",
      )}[plugin:watchdog]
use = circus.plugins.watchdog.WatchDog
ip = 127.0.0.1
port = ${port}
loop_rate = 0.2
max_count = 5
watchers_regex = ^(steady|silent)$
`,
    );
    const c = await connect(d);
    const log = listen(d);
    const steady = await onePid(c, "steady");
    const silent = await onePid(c, "silent");
    const unwatched = await onePid(c, "unwatched");

    // silent beats 3 times, then goes quiet: killed within loop_rate * max_count (1 s) plus
    // a loop, and a new process takes its place.
    const replaced = await onePid(c, "silent", silent, {
      timeout: 10_000,
      message: () => `silent (${silent}) to be replaced`,
    });
    assert.notEqual(replaced, silent);
    const kill = await log.waitFor("watcher.silent.kill", (e) => e.data.process_pid === silent);
    assert.ok(kill);
    // The replacement is watched too: it goes quiet and is killed in turn.
    await log.waitFor("watcher.silent.kill", (e) => e.data.process_pid === replaced);

    // steady beats on and unwatched is not watched: both keep their process.
    await sleep(500);
    assert.deepEqual(await pids(c, "steady"), [steady]);
    assert.deepEqual(await pids(c, "unwatched"), [unwatched]);
    assert.ok(!log.events.some((e) => e.topic === "watcher.steady.kill"));
    assert.ok(!log.events.some((e) => e.topic.startsWith("watcher.plugin:watchdog.kill")));
  });

  test("a heartbeat format of one's own: msg_regex with a Python pid group", async () => {
    const port = await freeUdpPort();
    const d = startCircusd(
      (dir) => `[circus]
check_delay = 0.1

${beating(dir, "custom", port, "--format 'alive {pid}'")}${beating(
        dir,
        "legacy",
        port,
      )}[plugin:watchdog]
use = Watchdog
port = ${port}
loop_rate = 0.2
max_count = 5
msg_regex = ^alive (?P<pid>\\d+)$
`,
    );
    const c = await connect(d);
    const log = listen(d);
    const custom = await onePid(c, "custom");
    const legacy = await onePid(c, "legacy");
    // legacy's "pid;time" does not match: it counts as silent and is killed.
    await log.waitFor("watcher.legacy.kill", (e) => e.data.process_pid === legacy);
    assert.deepEqual(await pids(c, "custom"), [custom]);
    assert.ok(!log.events.some((e) => e.topic === "watcher.custom.kill"));
  });

  test("options that cannot work are refused at startup, naming the option", async () => {
    const dir = makeTempDir();
    const file = path.join(dir, "circus.ini");
    const cases: [string, RegExp][] = [
      ["msg_regex = ^(?P<who>.*)$", /\[plugin:wd\] msg_regex: must have a group named pid/],
      ["msg_regex = ^(unclosed$", /\[plugin:wd\] msg_regex: /],
      ["max_count = often", /\[plugin:wd\] max_count: expected an integer, got "often"/],
      ["port = 70000", /\[plugin:wd\] port: must be 65535 or less, got 70000/],
    ];
    for (const [option, expected] of cases) {
      writeFileSync(
        file,
        `[watcher:w]\ncmd = sleep 300\n\n[plugin:wd]\nuse = WatchDog\n${option}\n`,
      );
      assert.match(await refusal(file, dir), expected);
    }
  });
});
