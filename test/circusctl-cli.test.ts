/**
 * The circusctl binary as a user types it, against a real circusd: console output, --json,
 * --prettify, exit statuses, errors on stderr, timeouts, CIRCUSCTL_ENDPOINT, help, listen.
 */
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { isAlive, ROOT, startCircusd, waitFor, workerSection } from "./helpers/circusd.js";
import { sleeperSection } from "./helpers/control.js";
import { CIRCUSCTL, ctlEnv, freePort, runCtl, startDaemon, type Daemon } from "./helpers/ctl.js";
import { HELP_COMMANDS } from "./helpers/ctl-tests.js";
import { cleanupEachTest } from "./helpers/cleanup.js";

cleanupEachTest();

const VERSION = (
  JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string }
).version;

let d: Daemon;
/** circusctl --endpoint <the daemon> ARGS */
const ctl = (...args: string[]) => runCtl(["--endpoint", d.endpoint, ...args]);

before(async () => {
  d = await startDaemon(
    (dir) =>
      workerSection(dir, "web", { numprocesses: 2 }) +
      workerSection(dir, "db", { numprocesses: 1 }) +
      workerSection(dir, "spare", { numprocesses: 1 }),
  );
  await waitFor(async () => (await ctl("list", "web")).stdout.split(",").length === 2);
});

describe("circusctl commands", () => {
  test("status prints `name: status` lines, sorted, and exits 0", async () => {
    const r = await ctl("status");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "db: active\nspare: active\nweb: active\n");
    assert.equal(r.stderr, "");
    assert.equal((await ctl("status", "web")).stdout, "active\n");
  });

  test("list prints comma-separated watchers, or a watcher's pids", async () => {
    assert.equal((await ctl("list")).stdout, "db,spare,web\n");
    const r = await ctl("list", "web");
    assert.match(r.stdout, /^\d+,\d+\n$/);
    for (const pid of r.stdout.trim().split(",")) assert.ok(isAlive(Number(pid)), pid);
  });

  test("incr prints the new count when waited for, ok otherwise; decr brings it back", async () => {
    const r = await ctl("incr", "db", "--waiting");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "2\n");
    assert.equal((await ctl("numprocesses", "db")).stdout, "2\n");
    assert.equal((await ctl("decr", "db")).stdout, "ok\n");
    await waitFor(async () => (await ctl("numprocesses", "db")).stdout === "1\n", {
      message: "db back to 1 process",
    });
  });

  test("stop prints ok and the watcher is stopped; start brings it back", async () => {
    const r = await ctl("stop", "spare", "--waiting");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "ok\n");
    assert.equal((await ctl("status", "spare")).stdout, "stopped\n");
    assert.equal((await ctl("start", "spare", "--waiting")).stdout, "ok\n");
    assert.equal((await ctl("status", "spare")).stdout, "active\n");
  });

  test("--json prints the reply as Python's json.dumps does; --prettify indents and sorts", async () => {
    const r = await ctl("--json", "list");
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^\{"[a-z]+": .*\}\n$/, "one line, with ', ' and ': ' separators");
    const reply = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.equal(reply.status, "ok");
    assert.deepEqual(reply.watchers, ["db", "spare", "web"]);
    const pretty = await ctl("list", "--json", "--prettify");
    assert.match(
      pretty.stdout,
      /^\{\n {2}"id": "[0-9a-f]{32}",\n {2}"status": "ok",\n {2}"time": [\d.]+,\n {2}"watchers": \[\n {4}"db",\n/,
    );
  });

  test("an error reply: `error: REASON` on stderr, nothing on stdout, exit status 3 (0 with --json)", async () => {
    const r = await ctl("status", "nope");
    assert.equal(r.code, 3);
    assert.equal(r.stdout, "");
    assert.equal(r.stderr, "error: program nope not found\n");
    // With --json, as Circus's circusctl: the reply on stdout, whatever its status, exit 0.
    const json = await ctl("--json", "status", "nope");
    assert.equal(json.code, 0);
    assert.equal((JSON.parse(json.stdout) as { reason: string }).reason, "program nope not found");
    assert.equal(json.stderr, "");
  });

  test("wrong arguments: the command's message on stderr, exit status 1", async () => {
    const r = await ctl("incr");
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Invalid number of arguments/);
    assert.equal(r.stdout, "");
  });

  test("an unknown command or option: usage and exit status 2", async () => {
    const unknown = await ctl("frobnicate");
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /usage: circusctl \[options\] command \[args\]/);
    assert.match(unknown.stderr, /unknown command: frobnicate/);
    const option = await ctl("status", "--bogus");
    assert.equal(option.code, 2);
    assert.match(option.stderr, /unrecognized arguments: --bogus/);
    const timeout = await runCtl(["--timeout", "soon", "status"]);
    assert.equal(timeout.code, 2);
  });

  test("no daemon: `circusctl: timed out` on stderr and exit status 1 after --timeout", async () => {
    const endpoint = `tcp://127.0.0.1:${await freePort()}`;
    const started = Date.now();
    const r = await runCtl(["--endpoint", endpoint, "--timeout", "1", "status"]);
    const elapsed = Date.now() - started;
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^circusctl: timed out after 1 s waiting for a reply to "status" from tcp:\/\/127\.0\.0\.1:\d+\n/,
    );
    assert.equal(r.stdout, "");
    assert.ok(elapsed >= 1000 && elapsed < 5000, `${elapsed} ms`);
  });

  test("CIRCUSCTL_ENDPOINT names the endpoint; --endpoint wins over it", async () => {
    const r = await runCtl(["status", "web"], { env: { CIRCUSCTL_ENDPOINT: d.endpoint } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "active\n");
    const dead = `tcp://127.0.0.1:${await freePort()}`;
    const over = await runCtl(["--endpoint", d.endpoint, "list"], {
      env: { CIRCUSCTL_ENDPOINT: dead },
    });
    assert.equal(over.stdout, "db,spare,web\n");
    const viaEnv = await runCtl(["--timeout", "0.5", "list"], {
      env: { CIRCUSCTL_ENDPOINT: dead },
    });
    assert.equal(viaEnv.code, 1);
    assert.ok(viaEnv.stderr.includes(dead), viaEnv.stderr);
  });
});

describe("circusctl discover", () => {
  test("finds a circusd of this host on its group (multicast loops back); --json; none: exit 1", async () => {
    const group = "239.255.42.17";
    const port = await freePort();
    const endpoint = `tcp://127.0.0.1:${await freePort()}`;
    const pubsub = `tcp://127.0.0.1:${await freePort()}`;
    const multicast = `udp://${group}:${port}`;
    const daemon = startCircusd(
      (dir) =>
        `[circus]\nendpoint = ${endpoint}\npubsub_endpoint = ${pubsub}\nmulticast_endpoint = ${multicast}\n\n${sleeperSection(dir, "s")}`,
    );
    await daemon.waitForLog(/Arbiter now waiting for commands/);
    // Never the shared default group: other daemons of this machine may answer there.
    const found = await waitFor(
      async () => {
        const r = await runCtl(["discover", "--multicast", multicast, "--timeout", "0.5"]);
        return r.code === 0 ? r : null;
      },
      { message: `an answer on ${multicast}` },
    );
    assert.equal(found.stdout, `${endpoint}\n`);
    assert.equal(found.stderr, "");
    const json = await runCtl(["--json", "discover", "--multicast", multicast]);
    const list = JSON.parse(json.stdout) as { endpoint: string; from: string }[];
    assert.deepEqual(
      list.map((d) => d.endpoint),
      [endpoint],
    );
    await daemon.stop();
    const none = await runCtl(["discover", "--multicast", multicast, "--timeout", "0.2"]);
    assert.equal(none.code, 1);
    assert.equal(none.stderr, `circusctl: no circusd answered on ${multicast} within 0.2s\n`);
    const bad = await runCtl(["discover", "--multicast", "udp://10.1.2.3:5"]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^--multicast: expected udp:\/\/A\.B\.C\.D:PORT/);
  });
});

describe("circusctl help and version", () => {
  test("--version prints `circusctl VERSION`", async () => {
    const r = await runCtl(["--version"]);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, `circusctl ${VERSION}\n`);
  });

  test("--help lists every command with its summary and the options", async () => {
    const r = await runCtl(["--help"]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^usage: circusctl \[options\] command \[args\]/);
    for (const name of HELP_COMMANDS)
      assert.match(r.stdout, new RegExp(`^  ${name} +\\S`, "m"), name);
    for (const option of [
      "--endpoint",
      "--timeout",
      "--json",
      "--prettify",
      "--ssh",
      "--ssh_keyfile",
      "--version",
    ])
      assert.ok(r.stdout.includes(option), option);
  });

  test("COMMAND --help (or --help COMMAND) prints the command's help without calling circusd", async () => {
    const a = await runCtl(["--endpoint", "tcp://127.0.0.1:1", "status", "--help"]);
    assert.equal(a.code, 0);
    assert.match(a.stdout, /^Get the status of a watcher or all watchers\n/);
    const b = await runCtl(["--help", "incr"]);
    assert.match(b.stdout, /^Increment the number of processes in a watcher\n/);
  });
});

describe("circusctl bash completion", () => {
  test("AUTO_COMPLETE with COMP_WORDS / COMP_CWORD prints the matching command names", async () => {
    const r = await runCtl([], {
      env: { AUTO_COMPLETE: "1", COMP_WORDS: "circusctl st", COMP_CWORD: "1" },
    });
    assert.equal(r.stdout, "start stats status stop\n");
    assert.equal(r.code, 1, "Circus's circusctl exits 1 after completing");
  });
});

describe("circusctl listen", () => {
  test("prints `topic: json` lines as events arrive, until interrupted", async () => {
    const child = spawn(process.execPath, [CIRCUSCTL, "listen", d.pubsub], {
      env: ctlEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (out += c));
    const closed = new Promise<number | null>((resolve) => child.once("close", resolve));
    try {
      // Resize until an event gets through (the subscription needs a moment to arrive).
      await waitFor(
        async () => {
          await ctl("incr", "web");
          await sleep(200);
          return /^watcher\.web\.spawn: \{.*"process_pid": ?\d+/m.test(out);
        },
        { message: () => `a spawn line; got ${JSON.stringify(out)}` },
      );
      for (const line of out.trim().split("\n")) {
        const [, topic, body] = /^([\w.-]+): (.*)$/.exec(line) ?? [];
        assert.ok(topic, line);
        assert.equal(typeof JSON.parse(body as string), "object", line);
      }
      child.kill("SIGINT");
      // As Circus's circusctl: interrupted, it exits 1.
      assert.equal(await closed, 1);
    } finally {
      child.kill("SIGKILL");
      await ctl("decr", "web", "9");
      await ctl("incr", "web", "2");
    }
  });

  test("topics after the endpoint filter what is printed; --endpoint names it too", async () => {
    const child = spawn(
      process.execPath,
      [CIRCUSCTL, "--endpoint", d.pubsub, "listen", "watcher.db.spawn"],
      { env: ctlEnv(), stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (out += c));
    try {
      await waitFor(
        async () => {
          await ctl("incr", "web");
          await ctl("incr", "db");
          await sleep(200);
          return out.includes("watcher.db.spawn: ");
        },
        { message: () => `a db spawn line; got ${JSON.stringify(out)}` },
      );
      assert.ok(
        out
          .trim()
          .split("\n")
          .every((l) => l.startsWith("watcher.db.spawn: ")),
        out,
      );
    } finally {
      child.kill("SIGKILL");
    }
  });
});
