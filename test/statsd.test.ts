/**
 * circusd-stats against a real circusd: `statsd = true` runs it as the watcher circusd-stats,
 * and its stream carries what circus-top shows: each process's figures with the real pids,
 * each watcher's aggregate, circus's own two processes, and the hits of the sockets. The
 * frames' exact shape is checked against the reference by the conformance scenario `statsd`.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync, readlinkSync } from "node:fs";
import { Subscriber } from "zeromq";
import path from "node:path";
import { describe, test } from "node:test";
import { isGone, ROOT, startCircusd, waitFor, type Circusd } from "./helpers/circusd.js";
import {
  connect,
  EventLog,
  sleeperSection,
  type Event,
  type RawClient,
} from "./helpers/control.js";
import { cleanupEachTest, defer } from "./helpers/cleanup.js";
import { HOG } from "./helpers/plugins.js";
import { get, httpWatcher, listSockets, tcpSocket } from "./helpers/sockets.js";
import { runCtl } from "./helpers/ctl.js";

cleanupEachTest();

const STATSD = path.join(ROOT, "dist/cli/circusd-stats.js");

/** `[circus]` lines that turn circusd-stats on, publishing in the test's folder. */
const statsd = (dir: string, extra = "") =>
  `[circus]\nstatsd = true\nstats_endpoint = ipc://${dir}/stats.sock\n${extra}\n`;

/** A subscriber of the test circusd's stats endpoint, closed at cleanup. */
function statsLog(d: Circusd): EventLog {
  const log = new EventLog(`ipc://${d.dir}/stats.sock`);
  defer(() => log.close());
  return log;
}

/** circusd-stats run by the test on a circusd's endpoints, killed at cleanup. */
function ownStatsd(d: Circusd, extra: string[] = []) {
  const endpoint = `ipc://${d.dir}/own-stats.sock`;
  const child = spawn(
    process.execPath,
    [
      STATSD,
      "--endpoint",
      `ipc://${d.dir}/circus-ctl.sock`,
      "--pubsub",
      `ipc://${d.dir}/circus-pub.sock`,
      "--statspoint",
      endpoint,
      ...extra,
    ],
    { stdio: "ignore" },
  );
  defer(() => child.kill("SIGKILL"));
  return { child, endpoint };
}

async function pidsOf(client: RawClient, name: string): Promise<number[]> {
  const reply = await client.call("list", { name });
  assert.equal(reply.status, "ok", JSON.stringify(reply));
  return reply.pids as number[];
}

/** Waits for a frame on `topic` that arrived after `from` frames and matches `where`. */
function frame(
  log: EventLog,
  topic: string,
  where: (data: Record<string, unknown>) => boolean = () => true,
  from = 0,
): Promise<Event> {
  return waitFor(() => log.events.slice(from).find((e) => e.topic === topic && where(e.data)), {
    timeout: 30_000,
    message: () =>
      `a frame on ${topic}; the last ones: ${JSON.stringify(log.events.slice(-12), null, 1)}`,
  });
}

describe("circusd-stats", () => {
  test("statsd = true: a watcher of its own; per process, per watcher, circus itself, sockets", async () => {
    const d = startCircusd(
      (dir) =>
        statsd(dir) +
        sleeperSection(dir, "busy", {}, `${process.execPath} ${HOG} --cpu ${dir}`) +
        sleeperSection(dir, "idle", { numprocesses: 2 }) +
        tcpSocket("web") +
        httpWatcher(dir, "web", "web"),
    );
    const client = await connect(d);
    await waitFor(async () => (await pidsOf(client, "circusd-stats")).length === 1);
    const status = await client.call("status", {});
    assert.deepEqual(status.statuses, {
      busy: "active",
      "circusd-stats": "active",
      idle: "active",
      web: "active",
    });
    const [statsPid] = await pidsOf(client, "circusd-stats");
    const idle = await pidsOf(client, "idle");
    const [busy] = await pidsOf(client, "busy");
    const log = statsLog(d);

    // Each process, with the figures of `stats`, then the watcher's aggregate.
    for (const pid of idle) {
      const { data } = await frame(log, `stat.idle.${pid}`);
      assert.equal(data.pid, pid);
      assert.equal(data.subtopic, pid);
      assert.equal(data.name, null);
      assert.equal(data.cmdline, "sleep");
      assert.match(String(data.mem_info1), /^\d+(\.\d\d)?[BKMG]$/);
    }
    const aggregate = await frame(log, "stat.idle");
    assert.deepEqual([...(aggregate.data.pid as number[])].sort(), [...idle].sort());
    // The busy process spins: its CPU is measured over the last second, not since its start.
    await frame(log, `stat.busy.${busy}`, (data) => Number(data.cpu) > 20);

    // circus itself: circusd and circusd-stats, named; never a watcher's group of their own.
    await frame(log, `stat.circus.${d.pid}`, (data) => data.name === "circusd");
    await frame(log, `stat.circus.${statsPid}`, (data) => data.name === "circusd-stats");
    assert.ok(!log.events.some((e) => e.topic.startsWith("stat.circusd-stats")));

    // The socket's hits: connections to it, served by the worker.
    const web = (await listSockets(client)).get("web");
    assert.ok(web?.port !== undefined);
    const { port } = web;
    const address = `127.0.0.1:${port}`;
    const before = log.events.length;
    await waitFor(
      async () => {
        for (let i = 0; i < 5; i++) await get({ host: "127.0.0.1", port });
        return log.events
          .slice(before)
          .some((e) => e.topic === "stat.sockets" && Number(e.data.reads) > 0);
      },
      { timeout: 30_000, message: "hits on the socket" },
    );
    const one = await frame(log, `stat.sockets.${web.fd}`);
    assert.equal(one.data.address, address);
    const total = await frame(log, "stat.sockets");
    assert.deepEqual(total.data.addresses, [address]);

    // decr: the process that stopped leaves the stream.
    await client.call("decr", { name: "idle", waiting: true });
    const left = await pidsOf(client, "idle");
    assert.equal(left.length, 1);
    const gone = idle.find((p) => !left.includes(p));
    const mark = log.events.length;
    await frame(log, "stat.idle", (data) => String(data.pid) === String(left), mark);
    const after = await frame(log, "stat.idle", () => true, log.events.length);
    assert.deepEqual(after.data.pid, left);
    assert.ok(!log.events.slice(mark).some((e) => e.topic === `stat.idle.${gone}`));
  });

  test("circusd-stats run by circusd ends when circusd is killed -9, instead of sampling for nobody", async () => {
    const d = startCircusd((dir) => statsd(dir) + sleeperSection(dir, "w"));
    const client = await connect(d);
    const [pid] = await waitFor(async () => {
      const pids = await pidsOf(client, "circusd-stats");
      return pids.length === 1 ? pids : null;
    });
    assert.ok(pid);
    d.kill("SIGKILL");
    await waitFor(() => isGone(pid), {
      timeout: 20_000,
      message: `circusd-stats ${pid} to end`,
    });
  });

  test("stats_endpoint alone turns circusd-stats on, with Circus's warning", async () => {
    const d = startCircusd(
      (dir) => `[circus]\nstats_endpoint = ipc://${dir}/stats.sock\n\n${sleeperSection(dir, "w")}`,
    );
    await d.waitForLog(
      /\[circus\] stats_endpoint: You defined a stats_endpoint without setting up statsd to True\./,
    );
    const client = await connect(d);
    await waitFor(async () => (await pidsOf(client, "circusd-stats")).length === 1);
    const [pid] = await pidsOf(client, "w");
    await frame(statsLog(d), `stat.w.${pid}`);
  });

  test("statsd_close_outputs sends circusd-stats's stdout and stderr to /dev/null", async () => {
    const outputs = async (extra: string) => {
      const d = startCircusd((dir) => statsd(dir, extra) + sleeperSection(dir, "w"));
      const client = await connect(d);
      const [pid] = await waitFor(async () => {
        const pids = await pidsOf(client, "circusd-stats");
        return pids.length === 1 ? pids : null;
      });
      return [1, 2].map((fd) => readlinkSync(`/proc/${pid}/fd/${fd}`));
    };
    assert.deepEqual(await outputs("statsd_close_outputs = true"), ["/dev/null", "/dev/null"]);
    for (const target of await outputs("")) assert.match(target, /^pipe:/);
  });

  test("the circusd-stats program: its options, and a stream of a circusd it was pointed at", async () => {
    const version = spawn(process.execPath, [STATSD, "--version"]);
    let out = "";
    version.stdout.on("data", (chunk: Buffer) => (out += chunk));
    await new Promise((resolve) => version.on("exit", resolve));
    assert.match(out, /^\d+\.\d+\.\d+\n$/);

    const d = startCircusd((dir) => sleeperSection(dir, "w"));
    const client = await connect(d);
    const [pid] = await pidsOf(client, "w");
    const ctl = await runCtl(["--endpoint", `ipc://${d.dir}/circus-ctl.sock`, "status"]);
    assert.equal(ctl.stdout, "w: active\n", "no circusd-stats without statsd");
    const { child, endpoint } = ownStatsd(d);
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    const log = new EventLog(endpoint);
    defer(() => log.close());
    await frame(log, `stat.w.${pid}`);
    await frame(log, `stat.circus.${child.pid}`, (data) => data.name === "circusd-stats");
    child.kill("SIGTERM");
    assert.equal(await exited, 0);
  });

  test("a subscriber that stops reading costs a bounded queue in circusd-stats; the others' frames keep coming", async () => {
    const d = startCircusd((dir) => sleeperSection(dir, "w", { numprocesses: 100 }));
    const client = await connect(d);
    await waitFor(async () => (await pidsOf(client, "w")).length === 100);
    // 50 rounds a second of 100 processes: 5000 frames a second, so that the queue of the
    // stalled subscriber (10,000 frames) fills within 2 s.
    const { child, endpoint } = ownStatsd(d, ["--delay", "0.02"]);
    const stalled = new Subscriber({ linger: 0 });
    defer(() => stalled.close());
    stalled.connect(endpoint);
    stalled.subscribe("stat.");
    const reader = new EventLog(endpoint);
    defer(() => reader.close());
    const rss = () => {
      const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
      return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]) / 1024;
    };
    // Counted in frames, not seconds, so that a busy machine only makes it slower: after
    // 25,000 the stalled subscriber's queue (at most 10,000 + its own 1000) is surely full.
    const frames = (n: number) =>
      waitFor(() => reader.events.length >= n, { timeout: 60_000, interval: 200 });
    await frames(25_000);
    const before = rss();
    await frames(65_000);
    const after = rss();
    // Had circusd-stats kept them, the stalled subscriber's 40,000 more frames would take
    // more than 20 MB.
    assert.ok(after - before < 10, `circusd-stats grew from ${before} to ${after} MiB`);
  });
});
