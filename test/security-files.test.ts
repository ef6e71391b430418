/**
 * Safe local defaults: the socket files of ipc endpoints and of unix sockets are read-write
 * for circusd's user only unless a umask says otherwise; the pidfile and the log files are
 * never world-writable, whatever the umask; a circusd that is not root refuses to add a
 * watcher that would run as another user.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, existsSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { Client } from "../src/client/client.js";
import { makeTempDir, ROOT, startCircusd, waitFor } from "./helpers/circusd.js";
import { cleanupEachTest, defer } from "./helpers/cleanup.js";
import { connect } from "./helpers/control.js";

cleanupEachTest();

/** A file's permission bits. */
const modeOf = (file: string) => statSync(file).mode & 0o777;

/** Waits until the circusd of `dir` answers on ipc://DIR/control.sock. */
async function answering(dir: string): Promise<void> {
  const client = new Client({ endpoint: `ipc://${dir}/control.sock`, timeout: 1 });
  defer(() => client.close());
  await waitFor(async () => (await client.call("list").catch(() => null))?.status === "ok", {
    timeout: 20_000,
    message: `circusd on ipc://${dir}/control.sock`,
  });
}

/** Waits for a file that circusd (or circusd-stats) creates. */
async function created(file: string): Promise<void> {
  await waitFor(() => existsSync(file), { timeout: 20_000, message: `${file} to exist` });
}

describe("socket files", () => {
  test("ipc endpoints and unix sockets are owner-only by default", async () => {
    const d = startCircusd(
      (dir) => `[circus]
endpoint = ipc://${dir}/control.sock
pubsub_endpoint = ipc://${dir}/pubsub.sock
stats_endpoint = ipc://${dir}/stats.sock
statsd = true

[socket:web]
path = ${dir}/web.sock

[socket:open]
path = ${dir}/open.sock
umask = 000

[watcher:w]
cmd = sleep 1000

[env:w]
CIRCUS_IT_MARKER = ${dir}
`,
    );
    await answering(d.dir);
    for (const name of ["control", "pubsub", "stats"]) {
      const file = path.join(d.dir, `${name}.sock`);
      await created(file);
      // circusd-stats binds a moment after it starts: wait for the mode, not just the file.
      await waitFor(() => modeOf(file) === 0o600, {
        timeout: 20_000,
        message: () => `${name}.sock read-write for its owner only: ${modeOf(file).toString(8)}`,
      });
    }
    assert.equal(modeOf(path.join(d.dir, "web.sock")), 0o600, "a unix socket by default");
    assert.equal(modeOf(path.join(d.dir, "open.sock")), 0o777, "its section's umask = 000");
  });

  test("with [circus] umask, the socket files follow it", async () => {
    const d = startCircusd(
      (dir) => `[circus]
endpoint = ipc://${dir}/control.sock
pubsub_endpoint = ipc://${dir}/pubsub.sock
umask = 002

[socket:web]
path = ${dir}/web.sock

[watcher:w]
cmd = sleep 1000

[env:w]
CIRCUS_IT_MARKER = ${dir}
`,
    );
    await answering(d.dir);
    assert.equal(modeOf(path.join(d.dir, "control.sock")), 0o775);
    assert.equal(modeOf(path.join(d.dir, "web.sock")), 0o775);
  });
});

describe("pidfile and logs", () => {
  test("never world-writable, even with umask = 000 and an old world-writable log", async () => {
    const dir = makeTempDir();
    const old = path.join(dir, "circusd.log");
    writeFileSync(old, "an older log\n");
    chmodSync(old, 0o666);
    const d = startCircusd(
      `[circus]
umask = 000
pidfile = ${dir}/circusd.pid
logoutput = ${old}

[watcher:w]
cmd = sh -c "echo hello; sleep 1000"
stdout_stream.class = FileStream
stdout_stream.filename = ${dir}/w.out

[env:w]
CIRCUS_IT_MARKER = ${dir}
`,
      { dir },
    );
    await connect(d);
    await created(path.join(dir, "w.out"));
    assert.equal(modeOf(path.join(dir, "circusd.pid")), 0o644, "the pidfile");
    assert.equal(modeOf(old), 0o664, "the log file lost its world-write bit");
    assert.equal(modeOf(path.join(dir, "w.out")), 0o644, "a stream's file");
  });
});

describe("add as another user", () => {
  test("a circusd that is not root refuses a watcher with another uid, and says why", async () => {
    const dir = makeTempDir();
    const config = path.join(dir, "circus.ini");
    const endpoint = `ipc://${dir}/control.sock`;
    writeFileSync(
      config,
      `[circus]\nendpoint = ${endpoint}\npubsub_endpoint = ipc://${dir}/pubsub.sock\n\n[watcher:w]\ncmd = sleep 1000\n\n[env:w]\nCIRCUS_IT_MARKER = ${dir}\n`,
    );
    // circusd as nobody (65534), in the world-writable temp folder.
    const child = spawn(
      "setpriv",
      [
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        process.execPath,
        path.join(ROOT, "dist/cli/circusd.js"),
        config,
      ],
      { cwd: dir, stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (output += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (output += c));
    defer(() => child.kill("SIGKILL"));
    const client = new Client({ endpoint, timeout: 5 });
    defer(() => client.close());
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`circusd exited: ${output}`);
        return (await client.call("list").catch(() => null))?.status === "ok";
      },
      { timeout: 20_000, message: () => `circusd as nobody to answer; output: ${output}` },
    );
    const refused = await client.call("add", {
      name: "as-root",
      cmd: "sleep 1000",
      options: { uid: "root" },
    });
    assert.equal(refused.status, "error");
    assert.equal(
      refused.reason,
      "circusd runs as uid 65534, not root: it cannot run a watcher as uid 0",
    );
    // Its own uid is fine.
    const own = await client.call("add", {
      name: "as-nobody",
      cmd: "sleep 1000",
      options: { uid: 65534, env: { CIRCUS_IT_MARKER: dir } },
    });
    assert.equal(own.status, "ok", JSON.stringify(own));
  });
});
