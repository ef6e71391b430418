/**
 * Readiness probes and depends_on (ours, beyond Circus), with real circusd and real workers:
 * a watcher waits for the watchers it depends on to be ready, status/stats/events/metrics say
 * who is ready, a process late to be ready is replaced, and a reload of a socket watcher with
 * a probe replaces the workers one by one, each old one stopped once its successor is ready.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import path from "node:path";
import {
  makeTempDir,
  refusal,
  ROOT,
  startCircusd,
  waitFor,
  writeConfig,
} from "./helpers/circusd.js";
import { connect, listen, type RawClient } from "./helpers/control.js";
import { freePort } from "./helpers/ctl.js";
import { listSockets, steadyLoad } from "./helpers/sockets.js";
import { cleanupEachTest } from "./helpers/cleanup.js";

cleanupEachTest();

const WORKER = path.join(ROOT, "test/fixtures/graceful-http-worker.mjs");

/** `ready` of one process in the stats of its watcher. */
async function readyInStats(client: RawClient, name: string, pid: number): Promise<unknown> {
  const info = (await client.call("stats", { name })).info as Record<string, { ready?: boolean }>;
  return info[String(pid)]?.ready;
}

async function pidsOf(client: RawClient, name: string): Promise<number[]> {
  return ((await client.call("list", { name })).pids as number[]) ?? [];
}

/** Text of one GET of the metrics endpoint. */
function scrape(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        let body = "";
        res.on("data", (c: Buffer) => (body += c.toString()));
        res.on("end", () => resolve(body));
      })
      .on("error", reject);
  });
}

describe("depends_on and readiness", { timeout: 110_000 }, () => {
  test("a watcher starts once what it depends on is ready; status, stats, events and metrics tell readiness", async () => {
    const d = startCircusd(
      (dir) => `[circus]
metrics = true
metrics_port = 0

[socket:db]
host = 127.0.0.1
port = 0

[watcher:db]
cmd = ${process.execPath} ${WORKER} $(circus.sockets.db) ${dir}
use_sockets = true
readiness = notify

[watcher:api]
cmd = /bin/sleep 1000
depends_on = db
priority = 10

[env:api]
CIRCUS_IT_MARKER = ${dir}

[env:db]
READY_AFTER_MS = 1500
`,
    );
    const events = listen(d);
    const client = await connect(d);
    // api has the higher priority, but waits: db is running, not ready.
    const early = await waitFor(async () => {
      const reply = await client.call("status", {});
      return (reply.statuses as Record<string, string>).db === "active" ? reply : null;
    });
    assert.deepEqual(early.statuses, { api: "waiting", db: "active" });
    assert.deepEqual(early.waits, { api: ["db"] });
    assert.deepEqual(early.readinesses, { db: { ready: 0, of: 1 } });
    assert.deepEqual(await pidsOf(client, "api"), []);
    const [dbPid] = await pidsOf(client, "db");
    assert.equal(await readyInStats(client, "db", dbPid as number), false);

    const ready = await events.waitFor("watcher.db.ready");
    assert.equal(ready.data.process_pid, dbPid);
    await waitFor(async () => (await pidsOf(client, "api")).length === 1 || null, {
      message: "api to start once db is ready",
    });
    const spawn = await events.waitFor("watcher.api.spawn");
    assert.ok(
      (spawn.data.time as number) >= (ready.data.time as number),
      "api spawned after db was ready",
    );
    const after = await client.call("status", {});
    assert.deepEqual(after.statuses, { api: "active", db: "active" });
    assert.deepEqual(after.readinesses, { db: { ready: 1, of: 1 } });
    assert.equal(await readyInStats(client, "db", dbPid as number), true);
    const line = await d.waitForLog(/ metrics on http:\/\/\S+/);
    const metrics = await scrape((/(http:\/\/\S+)/.exec(line) as RegExpExecArray)[1] as string);
    assert.match(metrics, /circus_watcher_ready_processes\{watcher="db"\} 1/);

    // Stopped in the other order: what depends on db stops first.
    await client.call("stop", { waiting: true });
    const stops = events.events.filter((e) => e.topic.endsWith(".stop")).map((e) => e.topic);
    assert.deepEqual(stops, ["watcher.api.stop", "watcher.db.stop"]);
  });

  test("tcp: and http:// probes: ready once listening; unready when it stops answering, ready again after", async () => {
    const [tcpPort, httpPort] = [await freePort(), await freePort()];
    const d = startCircusd(
      (dir) => `[watcher:tcp]
cmd = ${process.execPath} ${WORKER} --port ${tcpPort} ${dir}
readiness = tcp:127.0.0.1:${tcpPort}
readiness_interval = 0.2

[watcher:web]
cmd = ${process.execPath} ${WORKER} --port ${httpPort} ${dir}
readiness = http://127.0.0.1:${httpPort}/
readiness_interval = 0.2
readiness_timeout = 0.3
readiness_failures = 2
readiness_deadline = 0
`,
    );
    const events = listen(d);
    const client = await connect(d);
    await events.waitFor("watcher.tcp.ready");
    const ready = await events.waitFor("watcher.web.ready");
    const pid = ready.data.process_pid as number;
    // Stopped, it still accepts connections (the kernel's backlog) but answers none.
    process.kill(pid, "SIGSTOP");
    const unready = await events.waitFor("watcher.web.unready");
    assert.equal(unready.data.process_pid, pid);
    assert.match(
      unready.data.reason as string,
      /2 failed probes in a row: http:\/\/127\.0\.0\.1:\d+\/: /,
    );
    assert.deepEqual((await client.call("status", { name: "web" })).readiness, { ready: 0, of: 1 });
    const from = events.events.length;
    process.kill(pid, "SIGCONT");
    await waitFor(() => events.events.slice(from).find((e) => e.topic === "watcher.web.ready"));
    assert.deepEqual(
      await pidsOf(client, "web"),
      [pid],
      "an unready process is kept, not replaced",
    );
    await client.call("stop", { waiting: true });
  });

  test("a process not ready within readiness_deadline is replaced, and the reason logged", async () => {
    const d = startCircusd(
      (dir) => `[watcher:slow]
cmd = /bin/sleep 1000
readiness = exec:test -e ${dir}/never
readiness_interval = 0.2
readiness_deadline = 1
graceful_timeout = 1

[env:slow]
CIRCUS_IT_MARKER = ${dir}
`,
    );
    const client = await connect(d);
    const [first] = await waitFor(async () => {
      const pids = await pidsOf(client, "slow");
      return pids.length === 1 ? pids : null;
    });
    await d.waitForLog(
      new RegExp(
        `slow: process ${first} not ready within 1 s \\(exec:test -e .*: exit 1\\); restarting it`,
      ),
    );
    await waitFor(
      async () => {
        const pids = await pidsOf(client, "slow");
        return pids.length === 1 && pids[0] !== first ? pids : null;
      },
      { message: "a new process in place of the late one" },
    );
    await client.call("stop", { waiting: true });
  });

  test("reload and restart with a probe: each old worker stops once its successor is ready, no request fails", async () => {
    const d = startCircusd(
      (dir) => `[socket:web]
host = 127.0.0.1
port = 0

[watcher:web]
cmd = ${process.execPath} ${WORKER} $(circus.sockets.web) ${dir}
use_sockets = true
numprocesses = 3
readiness = notify
graceful_timeout = 5

[env:web]
READY_AFTER_MS = 300
`,
    );
    const events = listen(d);
    const client = await connect(d);
    await waitFor(async () => {
      const reply = await client.call("status", { name: "web" });
      return (reply.readiness as { ready: number } | undefined)?.ready === 3 || null;
    });
    const port = (await listSockets(client)).get("web")?.port as number;
    const before = await pidsOf(client, "web");
    const load = steadyLoad({ host: "127.0.0.1", port });
    const from = events.events.length;
    assert.equal((await client.call("reload", { name: "web", waiting: true })).status, "ok");
    const reloaded = await pidsOf(client, "web");
    assert.equal(reloaded.filter((p) => before.includes(p)).length, 0, "every worker replaced");
    assert.equal((await client.call("restart", { name: "web", waiting: true })).status, "ok");
    const report = await load.stop();
    assert.equal(report.failed, 0, report.errors.join("; "));
    assert.ok(report.served > 50, `served ${report.served}`);
    // One at a time: before each old worker's reap, its successor said it was ready.
    const seq = events.events.slice(from).filter((e) => /\.(ready|reap)$/.test(e.topic));
    let readySoFar = 3;
    for (const e of seq) {
      if (e.topic.endsWith(".ready")) readySoFar++;
      else assert.ok(--readySoFar >= 3, `a worker reaped while only ${readySoFar + 1} were ready`);
    }
    await client.call("stop", { waiting: true });
  });

  test("depends_on naming no watcher, itself, or a cycle is refused at startup naming file, section and option", async () => {
    const dir = makeTempDir();
    const cases: [string, RegExp][] = [
      [
        "[watcher:a]\ncmd = /bin/sleep 1\ndepends_on = b\n",
        /\[watcher:a\] depends_on: no watcher named b/,
      ],
      [
        "[watcher:a]\ncmd = /bin/sleep 1\ndepends_on = a\n",
        /\[watcher:a\] depends_on: a cannot depend on itself/,
      ],
      [
        "[watcher:a]\ncmd = /bin/sleep 1\ndepends_on = b\n[watcher:b]\ncmd = /bin/sleep 1\ndepends_on = c\n[watcher:c]\ncmd = /bin/sleep 1\ndepends_on = a\n",
        /\[watcher:a\] depends_on: a cycle: a -> b -> c -> a/,
      ],
      [
        "[watcher:a]\ncmd = /bin/sleep 1\nreadiness = udp:1.2.3.4:5\n",
        /\[watcher:a\] readiness: expected tcp:HOST:PORT, http:\/\/HOST:PORT\/PATH, exec:COMMAND or notify/,
      ],
    ];
    for (const [i, [text, expected]] of cases.entries()) {
      const file = writeConfig(dir, text, `case${i}.ini`);
      const line = await refusal(file, dir);
      assert.match(line, expected);
      assert.ok(line.startsWith(file), line);
    }
  });
});
