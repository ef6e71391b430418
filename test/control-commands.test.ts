/** The state-changing commands against a real circusd, through a raw DEALER. */
import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { describe, test } from "node:test";
import {
  copyFixture,
  isAlive,
  isGone,
  liveChildren,
  startCircusd,
  waitFor,
  waitForStarts,
  workerSection,
  writeConfig,
} from "./helpers/circusd.js";
import { connect, sleeperSection } from "./helpers/control.js";
import { keys, waitForPids } from "./helpers/ctl-tests.js";
import { cleanupEachTest } from "./helpers/cleanup.js";

cleanupEachTest();

/** The hook names logged by test/fixtures/hooks.mjs. */
function hookCalls(file: string): string[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => (JSON.parse(l) as { hook: string }).hook);
}

describe("state-changing commands", () => {
  test("incr, decr (nb), singleton", async () => {
    const d = startCircusd(
      (dir) => sleeperSection(dir, "web") + sleeperSection(dir, "one", { singleton: true }),
    );
    const c = await connect(d);
    await waitForPids(c, "web", 1);
    const up = await c.call("incr", { name: "web", nb: 3, waiting: true });
    assert.deepEqual(keys(up), ["id", "numprocesses", "status", "time"]);
    assert.equal(up.numprocesses, 4);
    await waitForPids(c, "web", 4);
    // Without waiting, as Circus: a plain ok, the count follows.
    assert.deepEqual(keys(await c.call("decr", { name: "web", nb: 2 })), ["id", "status", "time"]);
    await waitForPids(c, "web", 2);
    assert.equal((await c.call("incr", { name: "web" })).status, "ok");
    await waitForPids(c, "web", 3);
    const single = await c.call("incr", { name: "one" });
    assert.deepEqual({ n: single.numprocesses, s: single.singleton }, { n: 1, s: true });
  });

  test("stop, start and restart: one name, glob, regex, simple, and all; waiting", async () => {
    const d = startCircusd(
      (dir) =>
        sleeperSection(dir, "web-1") + sleeperSection(dir, "web-2") + sleeperSection(dir, "db"),
    );
    const c = await connect(d);
    const [web1] = await waitForPids(c, "web-1", 1);
    await waitForPids(c, "web-2", 1);
    await waitForPids(c, "db", 1);

    const stopped = await c.call("stop", { name: "web-1", waiting: true });
    assert.deepEqual(keys(stopped), ["id", "info", "status", "time"]);
    assert.equal(stopped.info, null);
    assert.ok(isGone(web1 as number) || !isAlive(web1 as number));
    assert.equal((await c.call("status", { name: "web-1" })).status, "stopped");

    await c.call("stop", { name: "web-*", waiting: true });
    const after = (await c.call("status")).statuses;
    assert.deepEqual(after, { "web-1": "stopped", "web-2": "stopped", db: "active" });

    await c.call("start", { name: "^web-[12]$", match: "regex", waiting: true });
    assert.deepEqual((await c.call("status")).statuses, {
      "web-1": "active",
      "web-2": "active",
      db: "active",
    });
    const none = await c.call("start", { name: "web-*", match: "simple" });
    assert.equal(none.status, "error");
    assert.match(String(none.reason), /program web-\* not found/);

    const [db] = await waitForPids(c, "db", 1);
    await c.call("restart", { name: "db", waiting: true });
    const [db2] = await waitForPids(c, "db", 1);
    assert.notEqual(db2, db);

    const all = await c.call("stop", { waiting: true });
    assert.deepEqual(keys(all), ["id", "status", "time"]);
    assert.deepEqual(Object.values((await c.call("status")).statuses as object), [
      "stopped",
      "stopped",
      "stopped",
    ]);
    await c.call("start", { waiting: true });
    await waitFor(async () => (await c.call("numprocesses")).numprocesses === 3);
    await c.call("restart", { waiting: true });
    await waitFor(async () => (await c.call("numprocesses")).numprocesses === 3);
  });

  test("reload: graceful replaces every process, sequential too, terminate restarts", async () => {
    const d = startCircusd((dir) => sleeperSection(dir, "web", { numprocesses: 2 }));
    const c = await connect(d);
    const first = await waitForPids(c, "web", 2);
    const reply = await c.call("reload", { name: "web", waiting: true });
    assert.equal(reply.status, "ok");
    const second = await waitForPids(c, "web", 2);
    assert.ok(
      second.every((p) => !first.includes(p)),
      "new processes",
    );
    await c.call("reload", { name: "web", sequential: true, waiting: true });
    const third = await waitForPids(c, "web", 2);
    assert.ok(third.every((p) => !second.includes(p)));
    await c.call("reload", { graceful: false, waiting: true });
    const fourth = await waitForPids(c, "web", 2);
    assert.ok(fourth.every((p) => !third.includes(p)));
  });

  test("set: numprocesses changes the count; other options replace the processes; hooks", async () => {
    const d = startCircusd(
      (dir) => workerSection(dir, "web") + `\n[env:web]\nHOOK_LOG = ${dir}/hooks.jsonl\n`,
    );
    copyFixture(d.dir, "hooks.mjs");
    const c = await connect(d);
    await waitForStarts(d.path("web.jsonl"), 1);
    await c.call("set", { name: "web", options: { numprocesses: 3 }, waiting: true });
    await waitForPids(c, "web", 3);
    assert.equal(
      (
        (await c.call("get", { name: "web", keys: ["numprocesses"] })).options as Record<
          string,
          number
        >
      ).numprocesses,
      3,
    );

    // As Circus: graceful_timeout applies to the next stop; cmd only through new processes.
    const before = await waitForPids(c, "web", 3);
    await c.call("set", { name: "web", options: { graceful_timeout: 4 }, waiting: true });
    assert.deepEqual(await waitForPids(c, "web", 3), before, "graceful_timeout keeps them");
    await c.call("set", { name: "web", options: { cmd: "/bin/sleep 1001" }, waiting: true });
    const after = await waitForPids(c, "web", 3);
    assert.ok(
      after.every((p) => !before.includes(p)),
      "a changed cmd replaces the processes",
    );
    const opts = (await c.call("options", { name: "web" })).options as Record<string, unknown>;
    assert.equal(opts.graceful_timeout, 4);

    const hook = `${d.dir}/hooks.mjs:record`;
    const set = await c.call("set", {
      name: "web",
      options: { "hooks.before_spawn": hook },
      waiting: true,
    });
    assert.equal(set.status, "ok", JSON.stringify(set));
    // A stream that cannot open is refused, naming the option; a good one is taken.
    const badStream = await c.call("set", {
      name: "web",
      options: { stdout_stream: { class: "FileStream", filename: `${d.dir}/no/out.log` } },
      waiting: true,
    });
    assert.equal(badStream.status, "error");
    assert.match(String(badStream.reason), /stdout_stream\.filename: cannot open/);
    const stream = await c.call("set", {
      name: "web",
      options: { stdout_stream: { class: "FileStream", filename: `${d.dir}/out.log` } },
      waiting: true,
    });
    assert.equal(stream.status, "ok", JSON.stringify(stream));
    await c.call("incr", { name: "web", waiting: true });
    await waitFor(() => hookCalls(`${d.dir}/hooks.jsonl`).includes("before_spawn"));
    const shown = (await c.call("options", { name: "web" })).options as Record<string, unknown>;
    assert.deepEqual(shown.stdout_stream_conf, {
      class: "FileStream",
      filename: `${d.dir}/out.log`,
    });
  });

  test("add (with start), rm (nostop), signal and kill", async () => {
    const d = startCircusd((dir) => sleeperSection(dir, "web"));
    const c = await connect(d);
    await waitForPids(c, "web", 1);
    const added = await c.call("add", {
      name: "extra",
      cmd: "/bin/sleep",
      args: ["1000"],
      options: { numprocesses: 2, env: { CIRCUS_IT_MARKER: d.dir }, graceful_timeout: 1 },
      start: true,
      waiting: true,
    });
    // As Circus: waiting for a started watcher's add gives its pids.
    assert.deepEqual(keys(added), ["id", "kept", "started", "status", "time"]);
    const extra = await waitForPids(c, "extra", 2);
    assert.deepEqual(
      added.started,
      [...extra].sort((a, b) => a - b),
    );
    const dup = await c.call("add", { name: "extra", cmd: "/bin/true" });
    assert.equal(dup.status, "error");
    assert.equal((await c.call("add", { name: "x" })).errno, 3, "cmd is missing");

    const idle = await c.call("add", {
      name: "later",
      cmd: "/bin/sleep 1000",
      options: { env: { CIRCUS_IT_MARKER: d.dir } },
    });
    assert.equal(idle.status, "ok");
    assert.equal((await c.call("status", { name: "later" })).status, "stopped");

    await c.call("rm", { name: "extra", nostop: true, waiting: true });
    assert.deepEqual((await c.call("list")).watchers, ["later", "web"]);
    assert.ok(extra.every(isAlive), "nostop leaves the processes running");
    for (const pid of extra) process.kill(pid, "SIGKILL");
    await c.call("rm", { name: "later", waiting: true });

    // signal: by name and number, to a pid or every process; SIGSTOP shows in /proc.
    const [pid] = await waitForPids(c, "web", 1);
    assert.equal((await c.call("signal", { name: "web", signum: "STOP" })).status, "ok");
    await waitFor(() => liveChildren(d.pid).find((p) => p.pid === pid)?.state === "T");
    await c.call("signal", { name: "web", pid, signum: 18 });
    await waitFor(() => liveChildren(d.pid).find((p) => p.pid === pid)?.state === "S");
    const wrong = await c.call("signal", { name: "web", pid: 1, signum: "HUP" });
    assert.equal(wrong.status, "error");

    // kill: the process goes, the watcher replaces it.
    await c.call("kill", { name: "web", pid, signum: "KILL", waiting: true });
    const [next] = await waitForPids(c, "web", 1);
    assert.notEqual(next, pid);
    assert.ok(!isAlive(pid as number));
  });

  test("signal --children and --recursive reach the children", async () => {
    const d = startCircusd((dir) => workerSection(dir, "fam", {}, "--spawn-child"));
    const c = await connect(d);
    const [rec] = await waitForStarts(d.path("fam.jsonl"), 1);
    const child = await waitFor(() => liveChildren(rec?.pid as number)[0]);
    await c.call("signal", { name: "fam", pid: rec?.pid, signum: "STOP", children: true });
    await waitFor(() => liveChildren(rec?.pid as number)[0]?.state === "T");
    assert.notEqual(
      liveChildren(d.pid).find((p) => p.pid === rec?.pid)?.state,
      "T",
      "not the parent",
    );
    await c.call("signal", { name: "fam", pid: rec?.pid, childpid: child.pid, signum: "CONT" });
    await waitFor(() => liveChildren(rec?.pid as number)[0]?.state !== "T");
    await c.call("signal", { name: "fam", signum: "STOP", recursive: true });
    await waitFor(
      () =>
        liveChildren(rec?.pid as number)[0]?.state === "T" &&
        liveChildren(d.pid).find((p) => p.pid === rec?.pid)?.state === "T",
    );
    await c.call("signal", { name: "fam", signum: "CONT", recursive: true });
  });

  test("reloadconfig applies the edited file; quit stops everything and circusd exits 0", async () => {
    const d = startCircusd((dir) => sleeperSection(dir, "web"));
    const c = await connect(d);
    const [pid] = await waitForPids(c, "web", 1);
    writeConfig(
      d.dir,
      sleeperSection(d.dir, "web") + sleeperSection(d.dir, "new", { numprocesses: 2 }),
    );
    const reply = await c.call("reloadconfig", { waiting: true });
    assert.equal(reply.status, "ok", JSON.stringify(reply));
    await waitForPids(c, "new", 2);
    writeFileSync(d.configPath, "[watcher:broken]\ncmd = /bin/true\nnumprocesses = many\n");
    const bad = await c.call("reloadconfig");
    assert.equal(bad.status, "error");
    assert.equal((await c.call("numwatchers")).numwatchers, 2, "the running config is kept");

    const quit = await c.call("quit");
    assert.deepEqual(keys(quit), ["id", "status", "time"]);
    assert.deepEqual(await d.waitExit(), { code: 0, signal: null });
    assert.ok(!isAlive(pid as number));
  });

  test("status answers while a stop of many processes is in flight", async () => {
    const d = startCircusd((dir) =>
      sleeperSection(
        dir,
        "many",
        { numprocesses: 300, graceful_timeout: 3 },
        "/bin/sh -c \"trap '' TERM; exec /bin/sleep 1000\"",
      ),
    );
    const c = await connect(d);
    await waitForPids(c, "many", 300);
    const stopping = c.call("stop", { name: "many", waiting: true }, { timeout: 60_000 });
    const status = await c.call("status", { name: "many" });
    assert.equal(status.status, "stopping", "answered before the stop ended");
    assert.equal((await c.call("numwatchers")).numwatchers, 1);
    const stats = await c.call("list", { name: "many" });
    assert.equal(stats.status, "ok");
    await stopping;
    assert.equal((await c.call("status", { name: "many" })).status, "stopped");
  });
});

describe("endpoint_owner", () => {
  test("chowns the ipc socket and makes add run watchers as that user only", async () => {
    const d = startCircusd(
      (dir) => "[circus]\nendpoint_owner = nobody\n\n" + sleeperSection(dir, "web"),
    );
    const c = await connect(d);
    assert.equal(statSync(d.path("circus-ctl.sock")).uid, 65534);
    const refused = await c.call("add", { name: "root-job", cmd: "/bin/sleep 1000" });
    assert.equal(refused.status, "error");
    assert.match(String(refused.reason), /uid does not match endpoint_owner/);
    const allowed = await c.call("add", {
      name: "nobody-job",
      cmd: "/bin/sleep 1000",
      options: { uid: "nobody", env: { CIRCUS_IT_MARKER: d.dir } },
      start: true,
      waiting: true,
    });
    assert.equal(allowed.status, "ok", JSON.stringify(allowed));
    const [pid] = await waitForPids(c, "nobody-job", 1);
    assert.equal(statSync(`/proc/${pid}`).uid, 65534);
  });
});

describe("reload with a pattern (ours: match, as start's)", () => {
  test("reloads the watchers it matches, and only those; without match the name is exact", async () => {
    const d = startCircusd(
      (dir) =>
        sleeperSection(dir, "web1") + sleeperSection(dir, "web2") + sleeperSection(dir, "db"),
    );
    const c = await connect(d);
    const before = new Map<string, number[]>();
    for (const name of ["web1", "web2", "db"]) before.set(name, await waitForPids(c, name, 1));
    const reply = await c.call("reload", { name: "(?!db$)", match: "regex", waiting: true });
    assert.equal(reply.status, "ok", JSON.stringify(reply));
    for (const name of ["web1", "web2"]) {
      const now = await waitForPids(c, name, 1);
      assert.notDeepEqual(now, before.get(name), `${name} reloaded`);
    }
    assert.deepEqual(await waitForPids(c, "db", 1), before.get("db"), "db untouched");
    // As Circus's, a name without match is a watcher's exact name, not a glob.
    const exact = await c.call("reload", { name: "web*" });
    assert.equal(exact.status, "error");
    assert.match(String(exact.reason), /web\*/);
    const bad = await c.call("reload", { name: "web1", match: "fuzzy" });
    assert.equal(bad.reason, "unknown match method fuzzy");
  });
});

describe("restart of several watchers", () => {
  test("stops them all, then starts them highest priority first", async () => {
    const d = startCircusd(
      (dir) =>
        sleeperSection(dir, "wlow", { priority: 1 }) +
        sleeperSection(dir, "whigh", { priority: 2 }),
    );
    const c = await connect(d);
    await waitForPids(c, "wlow", 1);
    await waitForPids(c, "whigh", 1);
    const from = d.lines.length;
    const reply = await c.call("restart", { name: "w*", match: "glob", waiting: true });
    assert.equal(reply.status, "ok");
    const order = d.lines
      .slice(from)
      .map((line) => /\] (wlow|whigh) (started|stopped)$/.exec(line))
      .filter((m) => m !== null)
      .map((m) => `${m[1]} ${m[2]}`);
    // The stops run together, as Circus's; the starts follow the priority order.
    assert.deepEqual(order.slice(0, 2).sort(), ["whigh stopped", "wlow stopped"]);
    assert.deepEqual(order.slice(2), ["whigh started", "wlow started"]);
  });
});
