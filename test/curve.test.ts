/**
 * CURVE on circusd's endpoints (`curve_secret_key` + `curve_clients`), end to end with the
 * real programs: keys made by circus-keygen; a circusd with circusd-stats, circushttpd and a
 * plugin that all reach it with circus's own key; circusctl with an admin key, a read-only
 * key, an unknown key, no key and the wrong server key; the stats stream with a key and
 * without; a key removed from the folder while its client is connected.
 */
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, statSync } from "node:fs";
import path from "node:path";
import { before, describe, test } from "node:test";
import { Subscriber } from "../src/client/subscriber.js";
import { curveClientFrom } from "../src/security/client-options.js";
import { changesState } from "../src/control/command.js";
import { COMMANDS } from "../src/control/commands/index.js";
import { makeTempDir, ROOT, startCircusd, waitFor, type Circusd } from "./helpers/circusd.js";
import { cleanupEachTest, defer } from "./helpers/cleanup.js";
import { freePort, runCtl } from "./helpers/ctl.js";
import { Tmux } from "./helpers/tmux.js";

cleanupEachTest();

const KEYGEN = path.join(ROOT, "dist/cli/circus-keygen.js");
const EVENT_LOGGER = path.join(ROOT, "examples/event-logger.ts");

/** circus-keygen NAME --role ROLE --dir DIR; returns the secret file. */
function keygen(dir: string, name: string, role = "readonly"): string {
  execFileSync(process.execPath, [KEYGEN, name, "--role", role, "--dir", dir]);
  return path.join(dir, `${name}.key_secret`);
}

interface System {
  circusd: Circusd;
  endpoint: string;
  stats: string;
  web: string;
  dir: string;
  /** circusd's public certificate, as clients give it. */
  serverCert: string;
  clients: string;
  keys: Record<"admin" | "reader" | "stranger", string>;
  events: string;
}

let system: System;

before(async () => {
  const dir = makeTempDir("circus-curve-");
  const keys = path.join(dir, "keys");
  const clients = path.join(dir, "clients");
  mkdirSync(clients);
  keygen(dir, "server");
  const admin = keygen(keys, "admin", "admin");
  const reader = keygen(keys, "reader");
  const stranger = keygen(keys, "stranger", "admin");
  for (const name of ["admin", "reader"])
    execFileSync("cp", [path.join(keys, `${name}.key`), clients]);
  const [control, pubsub, stats, web] = await Promise.all([1, 2, 3, 4].map(() => freePort()));
  const endpoint = `tcp://127.0.0.1:${control}`;
  const events = path.join(dir, "events.log");
  const circusd = startCircusd(
    `[circus]
endpoint = ${endpoint}
pubsub_endpoint = tcp://127.0.0.1:${pubsub}
stats_endpoint = tcp://127.0.0.1:${stats}
statsd = true
httpd = true
httpd_host = 127.0.0.1
httpd_port = ${web}
check_delay = 1
curve_secret_key = ${path.join(dir, "server.key_secret")}
curve_clients = ${clients}

[watcher:sleepers]
cmd = sleep 1000
numprocesses = 2

[env:sleepers]
CIRCUS_IT_MARKER = ${dir}

[plugin:logger]
use = ${EVENT_LOGGER}:EventLogger
filename = ${events}
`,
    { dir },
  );
  system = {
    circusd,
    endpoint,
    stats: `tcp://127.0.0.1:${stats}`,
    web: `http://127.0.0.1:${web}`,
    dir,
    serverCert: path.join(dir, "server.key"),
    clients,
    keys: { admin, reader, stranger },
    events,
  };
  await circusd.waitForLog(/CURVE on: 2 client keys/);
  await waitFor(async () => (await ctl("admin", "status")).code === 0, {
    timeout: 20_000,
    message: () => `circusd to answer the admin key; log:\n${circusd.log}`,
  });
});

/** circusctl with one of the test's keys (and circusd's public certificate), or none. */
function ctl(key: keyof System["keys"] | null, ...args: string[]) {
  const curve = key
    ? ["--curve-key", system.keys[key], "--curve-server-key", system.serverCert]
    : [];
  return runCtl(["--endpoint", system.endpoint, "--timeout", "10", ...curve, ...args]);
}

describe("circus-keygen", () => {
  test("writes a public certificate and a secret one only its owner reads", () => {
    const dir = makeTempDir();
    const out = execFileSync(process.execPath, [KEYGEN, "ops", "--role", "admin", "--dir", dir], {
      encoding: "utf8",
    });
    assert.match(out, /ops\.key \(public, role admin\): \S{40}\n/);
    assert.equal(statSync(path.join(dir, "ops.key_secret")).mode & 0o777, 0o600);
    const pub = readFileSync(path.join(dir, "ops.key"), "utf8");
    assert.match(pub, /^metadata\n {4}name = "ops"\n {4}role = "admin"\ncurve\n/m);
    assert.ok(!pub.includes("secret-key"), "the public file holds no secret");
    // Never overwrites a key.
    let failed: { status: number; stderr: string } | null = null;
    try {
      execFileSync(process.execPath, [KEYGEN, "ops", "--dir", dir], { stdio: "pipe" });
    } catch (error) {
      failed = {
        status: (error as { status: number }).status,
        stderr: String((error as { stderr: Buffer }).stderr),
      };
    }
    assert.equal(failed?.status, 1);
    assert.match(failed?.stderr ?? "", /exists already: not overwritten/);
  });
});

describe("circusd with CURVE", () => {
  test("an admin key runs everything, and circusd logs the key's name", async () => {
    const status = await ctl("admin", "status");
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^sleepers: active$/m);
    const incr = await ctl("admin", "incr", "sleepers");
    assert.equal(incr.code, 0, incr.stderr);
    await system.circusd.waitForLog(/key admin: incr \{"name": "sleepers"\}/);
    assert.equal((await ctl("admin", "decr", "sleepers")).code, 0);
  });

  test("a read-only key reads, and its state change is refused naming the role", async () => {
    const list = await ctl("reader", "list", "sleepers");
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^\d+,\d+\n$/);
    for (const command of [["incr", "sleepers"], ["stop", "sleepers"], ["quit"]]) {
      const refused = await ctl("reader", ...command);
      assert.notEqual(refused.code, 0, command.join(" "));
      assert.match(
        refused.stdout + refused.stderr,
        new RegExp(`read-only key reader cannot ${command[0]}`),
      );
    }
    assert.equal((await ctl("admin", "status", "sleepers")).stdout, "active\n");
    assert.match((await ctl("admin", "list", "sleepers")).stdout, /^\d+,\d+\n$/, "still 2");
  });

  test("no key, an unknown key, the wrong server key: one clear line each, at once", async () => {
    const none = await ctl(null, "status");
    assert.equal(none.code, 1);
    assert.match(none.stderr, /^circusctl: circusd at tcp:\/\/\S+ wants CURVE: give --curve-key/);
    const stranger = await ctl("stranger", "status");
    assert.equal(stranger.code, 1);
    assert.match(
      stranger.stderr,
      /refused this client's key \(it is not among its curve_clients\)/,
    );
    await system.circusd.waitForLog(
      /curve: refused the unknown client key \S{40} from 127\.0\.0\.1/,
    );
    const wrong = await runCtl([
      "--endpoint",
      system.endpoint,
      "--timeout",
      "10",
      "--curve-key",
      system.keys.admin,
      "--curve-server-key",
      path.join(system.dir, "keys", "admin.key"),
      "status",
    ]);
    assert.equal(wrong.code, 1);
    assert.match(
      wrong.stderr,
      /the CURVE handshake with \S+ failed: is --curve-server-key circusd's public key\?/,
    );
    // None of them waited for the 10 s timeout.
    for (const r of [none, stranger, wrong]) assert.doesNotMatch(r.stderr, /timed out/);
  });

  test("the keys can come from CIRCUS_CURVE_KEY and CIRCUS_CURVE_SERVER_KEY", async () => {
    const serverKey = /public-key = "(.{40})"/.exec(readFileSync(system.serverCert, "utf8"))?.[1];
    assert.ok(serverKey);
    const r = await runCtl(["--endpoint", system.endpoint, "list"], {
      env: { CIRCUS_CURVE_KEY: system.keys.reader, CIRCUS_CURVE_SERVER_KEY: serverKey },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split(",").sort(), [
      "circusd-stats",
      "circushttpd",
      "plugin:logger",
      "sleepers",
    ]);
  });

  test("circus's own programs work: stats streamed, the console up, the plugin's events", async () => {
    // The stats stream takes the clients' keys: a read-only key gets frames, no key nothing.
    const curve = curveClientFrom({ key: system.keys.reader, serverKey: system.serverCert });
    assert.ok(curve);
    const withKey = new Subscriber({ endpoint: system.stats, topics: ["stat.sleepers"], curve });
    defer(() => withKey.close());
    const frame = await withKey.receive();
    assert.match(frame.topic, /^stat\.sleepers/);
    const without = new Subscriber({ endpoint: system.stats, topics: ["stat."] });
    defer(() => without.close());
    await assert.rejects(without.receive(), /wants CURVE/);
    // circushttpd reached circusd with circus's own key.
    await waitFor(async () => (await fetch(`${system.web}/api/daemons/0/watchers`)).ok, {
      timeout: 20_000,
      message: "the console's API through CURVE",
    });
    const watchers = (await (await fetch(`${system.web}/api/daemons/0/watchers`)).json()) as {
      name: string;
    }[];
    assert.ok(watchers.some((w) => w.name === "sleepers"));
    // The plugin subscribed with it, and logs the events.
    await waitFor(
      async () => {
        await ctl("admin", "incr", "sleepers");
        await ctl("admin", "decr", "sleepers");
        return (
          existsSync(system.events) &&
          readFileSync(system.events, "utf8").includes("spawn sleepers")
        );
      },
      { timeout: 20_000, interval: 500, message: "the plugin to log a spawn" },
    );
  });

  test("circus-top shows the stream with a read-only key, and says why without one", async () => {
    const top = path.join(ROOT, "dist/cli/circus-top.js");
    const run = (args: string[]) =>
      Tmux.start(
        [process.execPath, top, "--endpoint", system.stats, ...args].join(" ") +
          '; echo "circus-top exited $?"; exec sleep 600',
      );
    const keyed = await run([
      "--curve-key",
      system.keys.reader,
      "--curve-server-key",
      system.serverCert,
    ]);
    await keyed.waitForScreen("the sleepers' block in circus-top", (rows) =>
      rows.some((r) => r.trim() === "sleepers"),
    );
    const bare = await run([]);
    const rows = await bare.waitForScreen("circus-top without a key to exit", (rows) =>
      rows.some((r) => r.startsWith("circus-top exited")) ? rows : null,
    );
    const text = rows.join("\n");
    assert.match(text, /circus-top: circusd at tcp:\/\/\S+ wants CURVE: give --curve-key/);
    assert.match(text, /circus-top exited 1/);
  });

  test("circushttpd on its own with a key; a daemon added in the page with its server key", async () => {
    const port = await freePort();
    const httpd = spawn(
      process.execPath,
      [
        path.join(ROOT, "dist/cli/circushttpd.js"),
        "--host",
        "127.0.0.1",
        "--port",
        String(port),
        "--endpoint",
        system.endpoint,
        "--curve-key",
        system.keys.admin,
        "--curve-server-key",
        system.serverCert,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    httpd.stdout.setEncoding("utf8").on("data", (c: string) => (output += c));
    httpd.stderr.setEncoding("utf8").on("data", (c: string) => (output += c));
    defer(() => httpd.kill("SIGKILL"));
    const base = `http://127.0.0.1:${port}`;
    const get = async (url: string) => (await fetch(`${base}${url}`)).status;
    await waitFor(async () => (await get("/api/daemons/0/watchers").catch(() => 0)) === 200, {
      timeout: 20_000,
      message: () => `daemon 0 through CURVE; circushttpd said:\n${output}`,
    });
    // Without users, the anonymous admin's CSRF token is the session's.
    const session = (await (await fetch(`${base}/api/session`)).json()) as { csrf: string };
    const post = (body: unknown) =>
      fetch(`${base}/api/daemons`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-csrf-token": session.csrf, origin: base },
        body: JSON.stringify(body),
      });
    const bad = await post({ endpoint: system.endpoint, serverKey: "not a key" });
    assert.equal(bad.status, 400);
    assert.ok(((await bad.json()) as { fields?: { serverKey?: string } }).fields?.serverKey);
    const serverKey = /public-key = "(.{40})"/.exec(readFileSync(system.serverCert, "utf8"))?.[1];
    const added = await post({ endpoint: system.endpoint, serverKey });
    assert.equal(added.status, 201, await added.clone().text());
    const { id } = (await added.json()) as { id: string };
    await waitFor(async () => (await get(`/api/daemons/${id}/watchers`)) === 200, {
      timeout: 20_000,
      message: `daemon ${id} through CURVE`,
    });
  });

  test("a key taken out of curve_clients stops working for its connected client", async () => {
    const curve = curveClientFrom({ key: system.keys.reader, serverKey: system.serverCert });
    assert.ok(curve);
    const { Client } = await import("../src/client/client.js");
    const client = new Client({ endpoint: system.endpoint, curve, timeout: 10 });
    defer(() => client.close());
    assert.equal((await client.call("numwatchers")).status, "ok");
    const file = path.join(system.clients, "reader.key");
    const away = path.join(system.dir, "reader.key.away");
    renameSync(file, away);
    defer(() => existsSync(away) && renameSync(away, file));
    const refused = await waitFor(
      async () => {
        const reply = await client.call("numwatchers");
        return reply.status === "error" ? reply : null;
      },
      { timeout: 10_000, interval: 300, message: "the removed key to be refused" },
    );
    assert.match(String(refused.reason), /no valid client key token/);
    renameSync(away, file);
    await waitFor(async () => (await client.call("numwatchers")).status === "ok", {
      timeout: 10_000,
      interval: 300,
      message: "the key back in the folder to work again",
    });
  });
});

describe("CURVE in the config", () => {
  test("one option without the other, or a bad key file, stops circusd naming it", async () => {
    const dir = makeTempDir();
    keygen(dir, "server");
    const cases: [string, RegExp][] = [
      [`curve_clients = ${dir}`, /\[circus\] curve_clients: curve_clients needs curve_secret_key/],
      [
        `curve_secret_key = ${dir}/server.key\ncurve_clients = ${dir}`,
        /curve_secret_key: .*server\.key: no curve secret-key/,
      ],
      [
        `curve_secret_key = ${dir}/server.key_secret\ncurve_clients = ${dir}/nowhere`,
        /curve_clients: .*no such file or directory/,
      ],
    ];
    for (const [lines, expected] of cases) {
      const d = startCircusd(`[circus]\n${lines}\n\n[watcher:w]\ncmd = sleep 100\n`);
      const exit = await d.exited;
      assert.notEqual(exit.code, 0, lines);
      assert.match(d.stderr, expected);
      assert.equal(d.stderr.trim().split("\n").length, 1, `one line: ${d.stderr}`);
    }
  });

  test("without CURVE, a tcp endpoint beyond loopback is warned about at startup", async () => {
    const port = await freePort();
    const d = startCircusd(
      `[circus]\nendpoint = tcp://0.0.0.0:${port}\n\n[watcher:w]\ncmd = sleep 100\n`,
    );
    await d.waitForLog(
      new RegExp(
        `endpoint tcp://0\\.0\\.0\\.0:${port} is reachable beyond this machine without CURVE`,
      ),
    );
  });
});

describe("roles", () => {
  test("a read-only key runs exactly the commands that change nothing", () => {
    // The issue's list of read-only commands; every other command is a state change.
    const readOnly = [
      "dstats",
      "get",
      "globaloptions",
      "list",
      "listen",
      "listsockets",
      "logs",
      "numprocesses",
      "numwatchers",
      "options",
      "stats",
      "status",
    ];
    assert.deepEqual(
      // discover is circusctl's own: circusd does not run it at all.
      COMMANDS.filter((c) => !c.clientOnly && !changesState(c)).map((c) => c.name),
      readOnly,
    );
  });
});
