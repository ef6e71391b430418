/**
 * Resource limits never cost running processes: near its open-files limit circusd keeps
 * starting processes (their output through one shared pipe per stream), and a spawn that
 * fails on a limit (EMFILE, EAGAIN) keeps what runs, says which limit and its value, and is
 * retried until every process runs.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { isAlive, startCircusd, waitFor } from "./helpers/circusd.js";
import { cleanupEachTest } from "./helpers/cleanup.js";
import { connect, listen, sleeperSection, type RawClient } from "./helpers/control.js";
import { runCtl } from "./helpers/ctl.js";

cleanupEachTest();

/** The pids `list` reports for the watcher. */
async function pidsOf(client: RawClient, name: string): Promise<number[]> {
  const reply = await client.call("list", { name });
  return (reply.pids as number[]) ?? [];
}

async function waitForCount(client: RawClient, name: string, count: number): Promise<number[]> {
  return waitFor(
    async () => {
      const pids = await pidsOf(client, name);
      return pids.length === count ? pids : null;
    },
    { message: `${name} to run ${count} processes`, timeout: 30_000 },
  );
}

/** The watcher's status reply, once it has a shortfall. */
async function shortfallOf(client: RawClient, name: string): Promise<Record<string, unknown>> {
  return waitFor(
    async () => {
      const reply = await client.call("status", { name });
      return reply.shortfall ? reply : null;
    },
    { message: `a shortfall in ${name}'s status` },
  );
}

function setNofile(pid: number, soft: number, hard: number): void {
  execFileSync("prlimit", ["--pid", String(pid), `--nofile=${soft}:${hard}`]);
}

describe("open-files limit", () => {
  test("near the limit, every process starts and every line of output is kept", async () => {
    const count = 80;
    const d = startCircusd(
      (dir) =>
        sleeperSection(
          dir,
          "many",
          { numprocesses: count },
          `/bin/sh -c 'echo hello-$(circus.wid); exec /bin/sleep 1000'`,
        ),
      { nofile: 100 },
    );
    const client = await connect(d);
    const pids = await waitForCount(client, "many", count);
    assert.equal(pids.filter(isAlive).length, count);
    const warning = await d.waitForLog(/many: circusd has \d+ files left/);
    assert.match(warning, /RLIMIT_NOFILE = 100\b/);

    // Every process's line reaches the ring: the first ones through pipes of their own,
    // the later ones through the shared pipe (pid 0).
    const lines = await waitFor(
      async () => {
        const reply = await client.call("logs", { name: "many", lines: 1000 });
        const logs = reply.logs as { pid: number; line: string }[];
        return logs.length >= count ? logs : null;
      },
      { message: "a line from every process" },
    );
    const wids = new Set(lines.map((l) => /^hello-(\d+)$/.exec(l.line)?.[1]));
    assert.equal(wids.size, count, JSON.stringify(lines));
    assert.ok(lines.some((l) => l.pid === 0) && lines.some((l) => pids.includes(l.pid)));
    assert.equal((await client.call("status", { name: "many" })).shortfall, undefined);

    // Processes killed at once are all replaced.
    for (const pid of pids.slice(0, 10)) process.kill(pid, "SIGKILL");
    await waitFor(
      async () => {
        const now = await pidsOf(client, "many");
        return now.length === count && pids.slice(0, 10).every((p) => !now.includes(p));
      },
      { message: "the 10 killed processes replaced" },
    );
  });

  test("a limit hit while running keeps the processes, says so and recovers", async () => {
    const d = startCircusd((dir) => sleeperSection(dir, "s", { numprocesses: 10 }), {
      nofile: 400,
    });
    const client = await connect(d);
    const events = listen(d);
    await waitForCount(client, "s", 10);
    // The subscription is up before the limit comes down (connecting needs a file): one
    // more process at a time until its spawn event arrives.
    let wanted = 10;
    await waitFor(async () => {
      wanted = (await client.call("incr", { name: "s", nb: 1, waiting: true }))
        .numprocesses as number;
      await waitForCount(client, "s", wanted);
      return events.events.some((e) => e.topic === "watcher.s.spawn");
    });
    const before = await pidsOf(client, "s");

    // A few files left: a few spawns fit, then pipe2 fails with EMFILE.
    const open = readdirSync(`/proc/${d.pid}/fd`).length;
    const soft = open + 12;
    setNofile(d.pid, soft, 400);
    assert.equal((await client.call("incr", { name: "s", nb: 10 })).status, "ok");

    const status = await shortfallOf(client, "s");
    const shortfall = status.shortfall as Record<string, unknown>;
    assert.equal(status.status, "active");
    assert.equal(shortfall.errno, "EMFILE");
    assert.equal(shortfall.numprocesses, wanted + 10);
    assert.match(String(shortfall.reason), new RegExp(`RLIMIT_NOFILE = ${soft}\\b`));
    const running = await pidsOf(client, "s");
    assert.ok(running.length >= wanted && running.length < wanted + 10, `${running.length} run`);
    for (const pid of before) assert.ok(running.includes(pid) && isAlive(pid), `${pid} kept`);
    await d.waitForLog(/s: cannot spawn: .*RLIMIT_NOFILE = \d+\)?; keeping the \d+ running/);
    const event = await events.waitFor("watcher.s.shortfall");
    assert.equal(event.data.errno, "EMFILE");

    // circusctl says so, in the files left.
    const ctl = await runCtl(["--endpoint", client.endpoint, "status", "s"]);
    assert.match(
      ctl.stdout,
      new RegExp(`^active \\(\\d+ of ${wanted + 10} running: .*Too many open files`),
    );
    assert.match(ctl.stdout, /RLIMIT_NOFILE = \d+\); retrying\)$/m);

    // The limit raised, the retries start the rest.
    setNofile(d.pid, 400, 400);
    await waitForCount(client, "s", wanted + 10);
    await waitFor(async () => !(await client.call("status", { name: "s" })).shortfall, {
      message: "the shortfall over",
    });
    await d.waitForLog(new RegExp(`s: all ${wanted + 10} processes running again`));
    for (const pid of before) assert.ok(isAlive(pid));
  });
});

describe("process limit", () => {
  test("EAGAIN from rlimit_nproc keeps what runs, and a higher limit starts the rest", async () => {
    const d = startCircusd((dir) =>
      sleeperSection(dir, "np", { numprocesses: 6, uid: "nobody", rlimit_nproc: 3 }),
    );
    const client = await connect(d);
    const status = await shortfallOf(client, "np");
    const shortfall = status.shortfall as Record<string, unknown>;
    assert.equal(shortfall.errno, "EAGAIN");
    assert.match(String(shortfall.reason), /rlimit_nproc = 3\b/);
    const running = await pidsOf(client, "np");
    assert.ok(running.length >= 1 && running.length < 6, `${running.length} running`);
    assert.equal(
      (await client.call("set", { name: "np", options: { rlimit_nproc: 64 } })).status,
      "ok",
    );
    await waitForCount(client, "np", 6);
  });
});
