/**
 * Container mode, for real: circusd as PID 1 of a fresh PID namespace (`unshare --pid --fork
 * --mount-proc`, root only), as a child subreaper (`--container`, not PID 1), and as a plain
 * process reaping orphans without ever taking the exit of a child Node's child_process waits
 * for. Also: an essential watcher that gives up ends circusd with exit code 3, SIGTERM ends
 * the whole namespace gracefully with 0, and the health endpoints answer.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync, writeFileSync, existsSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { before, describe, test } from "node:test";
import {
  liveChildren,
  makeTempDir,
  processTable,
  procStat,
  startCircusd,
  type Circusd,
  testEndpoints,
  waitFor,
  zombieChildren,
} from "./helpers/circusd.js";
import { cleanupEachTest, defer } from "./helpers/cleanup.js";
import { connect, RawClient } from "./helpers/control.js";

cleanupEachTest();

/** `npm test` runs as root (it installs Debian packages): without root this fails, saying why. */
function needRoot(): void {
  assert.equal(
    process.getuid?.(),
    0,
    "needs root: unshare --pid makes a PID namespace only for root (CAP_SYS_ADMIN)",
  );
}

/** circusd's pid on the host, in a PID namespace of its own (pidns): unshare's one child. */
async function hostPid(d: Circusd): Promise<number> {
  return waitFor(
    () => {
      const pid = liveChildren(d.pid)[0]?.pid;
      // The child is circusd once it has exec'd node (and its namespace is not unshare's).
      return pid !== undefined && nsOf(pid) !== nsOf(d.pid) ? pid : null;
    },
    { message: () => `unshare's child, circusd; log:\n${d.log}\n${d.stderr}` },
  );
}

/** /proc/PID/ns/pid, or null once the process is gone. */
function nsOf(pid: number): string | null {
  try {
    return readlinkSync(`/proc/${pid}/ns/pid`);
  } catch {
    return null;
  }
}

/** The host pids of every process in `ns`, with their states. */
function namespaceProcesses(ns: string): { pid: number; state: string; comm: string }[] {
  const found = [];
  for (const { pid, state, comm } of processTable()) {
    if (nsOf(pid) === ns) found.push({ pid, state, comm });
  }
  return found;
}

/** The health URL circusd logged (health_port = 0 takes a free port). */
async function healthUrl(d: { waitForLog(regex: RegExp): Promise<string> }): Promise<string> {
  const line = await d.waitForLog(/health endpoints on http:\/\/[^ ]+\/healthz/);
  return (/(http:\/\/[^ ]+)\/healthz/.exec(line) as RegExpExecArray)[1] as string;
}

async function get(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe("circusd as PID 1 of a PID namespace", () => {
  before(needRoot);

  test("orphans of double-forking processes are all reaped: no zombie is left", async () => {
    const dir = makeTempDir();
    // Two processes orphan 500 grandchildren each, as fast as sh forks, and exit.
    const d = startCircusd(
      `[watcher:forker]
cmd = /bin/sh
args = -c 'i=0; while [ $i -lt 500 ]; do (sleep 0.2 &); i=$((i+1)); done; exit 0'
numprocesses = 2
respawn = false
`,
      { dir, pidns: true },
    );
    const pid = await hostPid(d);
    const ns = nsOf(pid) as string;
    await d.waitForLog(/forker started/);
    // Orphans live: some processes besides circusd are seen at some point.
    const seen = await waitFor(() => {
      const n = namespaceProcesses(ns).length;
      return n > 1 ? n : null;
    });
    assert.ok(seen > 1);
    // Then they all die, and none stays a zombie: PID 1 alone is left.
    const left = await waitFor(
      () => {
        const procs = namespaceProcesses(ns);
        return procs.length === 1 ? procs : null;
      },
      {
        timeout: 30_000,
        message: () =>
          `the namespace to hold circusd alone; it holds ${JSON.stringify(
            namespaceProcesses(ns).slice(0, 10),
          )}...; log:\n${d.log}`,
      },
    );
    assert.equal(left[0]?.pid, pid);
    assert.equal(namespaceProcesses(ns).filter((p) => p.state === "Z").length, 0);
    // The watcher's own two processes were reaped by the watcher (their exits not taken by
    // the orphan reaper): it lists no pid any more.
    const client = new RawClient(testEndpoints(dir).endpoint as string);
    defer(() => client.close());
    const listed = await waitFor(async () => {
      const reply = await client.call("list", { name: "forker" }, { timeout: 2000 });
      return (reply.pids as number[]).length === 0 ? reply : null;
    });
    assert.deepEqual(listed.pids, []);
    process.kill(pid, "SIGTERM");
    assert.deepEqual(await d.waitExit(), { code: 0, signal: null });
  });

  test("SIGTERM to PID 1: a graceful stop of every process of the namespace, exit 0", async () => {
    const dir = makeTempDir();
    const marker = path.join(dir, "orphan-got-term");
    writeFileSync(
      path.join(dir, "orphan.sh"),
      `trap 'echo term > ${marker}; exit 0' TERM\nwhile :; do sleep 0.05; done\n`,
    );
    // The daemon's output goes elsewhere, as a daemon's does: circusd closes the watcher's
    // pipes once it stopped, and a write there would end it with SIGPIPE.
    const d = startCircusd(
      `[watcher:sleepers]
cmd = sleep 1000
numprocesses = 3

[watcher:daemonizer]
cmd = /bin/sh
args = -c '(sh ${path.join(dir, "orphan.sh")} >/dev/null 2>&1 &) ; exec sleep 1000'
`,
      { dir, pidns: true },
    );
    const pid = await hostPid(d);
    const ns = nsOf(pid) as string;
    await d.waitForLog(/Arbiter now waiting for commands/);
    // circusd, 3 sleepers, the daemonizer's sleep, the orphan and its sleep (at times).
    await waitFor(() => namespaceProcesses(ns).length >= 6, {
      message: () => `6 processes in the namespace; log:\n${d.log}`,
    });
    const orphan = namespaceProcesses(ns).find(
      (p) => p.comm === "sh" && procStat(p.pid)?.ppid === pid,
    );
    assert.ok(orphan, "the orphaned sh was reparented to circusd (PID 1)");
    process.kill(pid, "SIGTERM");
    const status = await d.waitExit();
    assert.deepEqual(status, { code: 0, signal: null }, d.log);
    assert.ok(
      existsSync(marker),
      `the orphan got SIGTERM (not only the kernel's SIGKILL); log:\n${d.log}`,
    );
    assert.match(d.log, /ending the processes left in the namespace/);
    assert.match(d.log, /circusd stopped/);
    assert.deepEqual(namespaceProcesses(ns), []);
  });

  test("an essential watcher that cannot spawn: circusd stops everything and exits 3", async () => {
    const dir = makeTempDir();
    const d = startCircusd(
      `[watcher:other]
cmd = sleep 1000
numprocesses = 2
priority = 10

[watcher:broken]
cmd = /nonexistent
max_retry = 2
essential = true
`,
      { dir, pidns: true },
    );
    const pid = await hostPid(d);
    const ns = nsOf(pid) as string;
    const status = await d.waitExit();
    assert.deepEqual(status, { code: 3, signal: null }, d.log);
    assert.match(
      d.log,
      /\[ERROR\] essential watcher broken gave up: 2 failed spawns in a row \(max_retry = 2\); stopping circusd \(exit code 3\)/,
    );
    assert.match(d.log, /other stopped/);
    assert.deepEqual(namespaceProcesses(ns), []);
  });

  test("/healthz and /readyz: 503 until the essential watcher runs all its processes, then 200", async () => {
    const dir = makeTempDir();
    const d = startCircusd(
      `[circus]
health_port = 0

[watcher:web]
cmd = sleep 1000
numprocesses = 3
warmup_delay = 1
essential = true

[watcher:flappy]
cmd = /bin/sh
args = -c 'exit 1'

[watcher:slowstop]
cmd = /bin/sh
args = -c 'trap "" TERM; while :; do sleep 0.05; done'
graceful_timeout = 3
`,
      { dir, pidns: true },
    );
    const pid = await hostPid(d);
    const base = await healthUrl(d);
    assert.equal((await get(`${base}/healthz`)).status, 200);
    // While web warms up (one process a second), not ready, naming web only: flappy is
    // not essential, so it does not count.
    const early = await get(`${base}/readyz`);
    assert.equal(early.status, 503, JSON.stringify(early.body));
    assert.deepEqual(early.body.waiting, ["web"]);
    assert.match(String(early.body.reason), /not ready: web/);
    const ready = await waitFor(async () => {
      const r = await get(`${base}/readyz`);
      return r.status === 200 ? r : null;
    });
    assert.deepEqual(ready.body, { status: "ok", waiting: [] });
    assert.equal((await fetch(`${base}/nothing`)).status, 404);
    assert.equal((await fetch(`${base}/healthz`, { method: "POST" })).status, 405);
    // Stopping (slowstop holds the stop for its graceful_timeout): both say 503.
    process.kill(pid, "SIGTERM");
    await d.waitForLog(/Arbiter exiting/);
    const stopping = await get(`${base}/healthz`);
    assert.equal(stopping.status, 503);
    assert.equal(stopping.body.reason, "circusd is stopping");
    assert.equal((await get(`${base}/readyz`)).status, 503);
    assert.deepEqual(await d.waitExit(), { code: 0, signal: null });
  });

  test("a second SIGTERM cuts the graceful stop short: SIGKILL to everything, exit 4", async () => {
    const dir = makeTempDir();
    const d = startCircusd(
      `[watcher:stubborn]
cmd = /bin/sh
args = -c 'trap "" TERM; while :; do sleep 0.05; done'
numprocesses = 2
graceful_timeout = 60
`,
      { dir, pidns: true },
    );
    const pid = await hostPid(d);
    const ns = nsOf(pid) as string;
    await d.waitForLog(/Arbiter now waiting for commands/);
    await waitFor(() => namespaceProcesses(ns).length >= 3);
    process.kill(pid, "SIGTERM");
    await d.waitForLog(/Arbiter exiting/);
    await sleep(200);
    const before = Date.now();
    process.kill(pid, "SIGTERM");
    const status = await d.waitExit(20_000);
    assert.deepEqual(status, { code: 4, signal: null }, d.log);
    assert.ok(Date.now() - before < 10_000, "did not wait for graceful_timeout (60 s)");
    assert.match(d.log, /SIGTERM again while stopping: killing every process now \(exit code 4\)/);
  });
});

describe("circusd --container, not PID 1", () => {
  test("it is the child subreaper: an orphaned grandchild is reparented to it and reaped", async () => {
    const d = startCircusd(
      (dir) => {
        writeFileSync(path.join(dir, "orphan.sh"), "sleep 1\nexit 7\n");
        return `[watcher:parent]
cmd = /bin/sh
args = -c 'sh ${path.join(dir, "orphan.sh")} & exit 0'
respawn = false
`;
      },
      { args: ["--container", "--log-level", "debug"] },
    );
    const script = d.path("orphan.sh");
    const orphan = await waitFor(() =>
      readdirSync("/proc")
        .filter((name) => /^\d+$/.test(name))
        .map(Number)
        .find((pid) => {
          try {
            return readFileSync(`/proc/${pid}/cmdline`, "latin1").includes(script);
          } catch {
            return false;
          }
        }),
    );
    // Its parent exited at once: the orphan is circusd's now, not init's.
    await waitFor(() => procStat(orphan)?.ppid === d.pid || procStat(orphan) === null);
    const line = await d.waitForLog(new RegExp(`reaped orphan ${orphan} \\(exit code 7\\)`));
    assert.ok(line);
    assert.equal(procStat(orphan), null, "reaped: not even a zombie");
    assert.deepEqual(zombieChildren(d.pid), []);
    assert.match(d.log, /container mode: circusd is the child subreaper of its descendants/);
    assert.deepEqual(await d.stop(), { code: 0, signal: null });
  });
});

describe("essential watchers, outside any container", () => {
  test("Flapping's last stop of an essential watcher ends circusd with exit code 3", async () => {
    const d = startCircusd(`[circus]
check_delay = 0.1

[watcher:keeper]
cmd = sleep 1000

[watcher:crash]
cmd = /bin/sh -c 'exit 1'
essential = true

[plugin:flapping]
use = Flapping
attempts = 2
window = 5
retry_in = 0.5
max_retry = 1
`);
    const status = await d.waitExit(60_000);
    assert.deepEqual(status, { code: 3, signal: null }, d.log);
    assert.match(
      d.log,
      /essential watcher crash gave up: the Flapping plugin stopped it for good \(max_retry = 1\); stopping circusd \(exit code 3\)/,
    );
    assert.match(d.log, /keeper stopped/);
    // Only the last stop counts: the first (a retry follows) left circusd running.
    assert.equal(d.log.match(/essential watcher/g)?.length, 1);
  });

  test("a non-essential watcher that gives up leaves circusd running", async () => {
    const d = startCircusd(`[watcher:broken]
cmd = /nonexistent
max_retry = 1

[watcher:keeper]
cmd = sleep 1000
`);
    await d.waitForLog(/broken: giving up after 1 failed spawns/);
    await sleep(300);
    assert.equal(d.exitStatus, null, d.log);
    assert.deepEqual(await d.stop(), { code: 0, signal: null });
  });
});

describe("essential and health options", () => {
  test("essential on the wire: get answers it, options lists it only when true, set changes it", async () => {
    const d = startCircusd(`[watcher:web]
cmd = sleep 1000
essential = true

[watcher:side]
cmd = sleep 1000
`);
    const c = await connect(d);
    const web = await c.call("options", { name: "web" });
    assert.equal((web.options as Record<string, unknown>).essential, true);
    const side = await c.call("options", { name: "side" });
    assert.equal("essential" in (side.options as Record<string, unknown>), false);
    assert.deepEqual((await c.call("get", { name: "side", keys: ["essential"] })).options, {
      essential: false,
    });
    assert.equal(
      // Waited for: without it the reply goes before the change is applied (as in Circus).
      (await c.call("set", { name: "side", options: { essential: true }, waiting: true })).status,
      "ok",
    );
    assert.deepEqual((await c.call("get", { name: "side", keys: ["essential"] })).options, {
      essential: true,
    });
    const bad = await c.call("set", { name: "side", options: { essential: "yes" } });
    assert.equal(bad.status, "error");
    assert.deepEqual(await d.stop(), { code: 0, signal: null });
  });

  for (const [option, value, why] of [
    ["health_port", "70000", /health_port: .*65535/],
    ["health_host", "192.0.2.1", /health_host: cannot listen on 192\.0\.2\.1:0/],
    ["health_host", "", /health_host: expected a host name or address/],
  ] as const) {
    test(`a bad ${option} (${JSON.stringify(value)}) is refused at startup, naming file, section and option`, async () => {
      const d = startCircusd(`[circus]
${option === "health_port" ? "" : "health_port = 0"}
${option} = ${value}

[watcher:web]
cmd = sleep 1000
`);
      const status = await d.waitExit();
      assert.equal(status.code, 1, d.log);
      const line = d.stderr.trim().split("\n").at(-1) ?? "";
      assert.ok(line.includes(`${d.configPath}`), line);
      assert.ok(line.includes(`[circus] ${option}: `), line);
      assert.match(line, why);
    });
  }
});

describe("the orphan reaper leaves Node's children to Node", () => {
  test("child_process exits keep their codes while orphans are reaped around them", async () => {
    // In this test process: a subreaper whose orphans are reaped, with child_process
    // children (registered) exiting at the same time.
    const { native } = await import("../src/sys/native.js");
    const { reapOrphans } = await import("../src/sys/reaper.js");
    const { trackNodeChild } = await import("../src/sys/node-children.js");
    const { spawnChild } = await import("../src/sys/spawn.js");
    native().setChildSubreaper();
    assert.equal(native().isChildSubreaper(), true);
    const orphans: { pid: number; code: number | null }[] = [];
    reapOrphans((pid, exit) => orphans.push({ pid, code: exit.code }));
    const codes: Promise<number | null>[] = [];
    const native_: Promise<number | null>[] = [];
    for (let i = 0; i < 30; i++) {
      // Each orphans a grandchild that exits with 9 while its sibling exits with i.
      const child = trackNodeChild(spawn("/bin/sh", ["-c", `(sleep 0.05; exit 9) & exit ${i}`]));
      codes.push(new Promise((resolve) => child.once("exit", (code) => resolve(code))));
      const c = spawnChild({
        argv: ["/bin/sh", "-c", `(sleep 0.05; exit 9) & exit ${i + 100}`],
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
        stdin: "null",
        stdout: "null",
        stderr: "null",
      });
      native_.push(c.exited.then((e) => e.code));
    }
    assert.deepEqual(
      await Promise.all(codes),
      Array.from({ length: 30 }, (_, i) => i),
    );
    assert.deepEqual(
      await Promise.all(native_),
      Array.from({ length: 30 }, (_, i) => i + 100),
    );
    await waitFor(() => orphans.length >= 60, {
      message: () => `60 orphans reaped, got ${orphans.length}`,
    });
    assert.ok(orphans.every((o) => o.code === 9));
    assert.deepEqual(zombieChildren(process.pid), []);
  });
});
