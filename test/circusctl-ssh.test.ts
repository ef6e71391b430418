/**
 * `circusctl --ssh user@host:port --ssh_keyfile KEY` through a real OpenSSH: an sshd of the
 * test's own (generated host and user keys, a free loopback port, no PAM, no passwords),
 * the real `ssh` client making the tunnel, a real circusd at the other end. Skipped when
 * Debian's openssh-server is not installed.
 */
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import path from "node:path";
import { markedProcesses, waitFor, workerSection } from "./helpers/circusd.js";
import { CIRCUSCTL, ctlEnv, runCtl, startDaemon, type Daemon } from "./helpers/ctl.js";
import { cleanupEachTest } from "./helpers/cleanup.js";
import { SSH_OPTIONS, sshSkip, startSshd } from "./helpers/sshd.js";

cleanupEachTest();

const skip = sshSkip;

let d: Daemon;
let dir: string;
let sshdPid = 0;
let server: string;
let key: string;
const SSH_COMMAND = `ssh ${SSH_OPTIONS}`;

before(async () => {
  if (skip) return;
  d = await startDaemon((dir) => workerSection(dir, "remote", { numprocesses: 1 }));
  const sshd = await startSshd();
  ({ dir, key, server } = sshd);
  sshdPid = sshd.pid;
});

/** circusctl --ssh SERVER --ssh_keyfile KEY ARGS */
const viaSsh = (...args: string[]) =>
  runCtl(["--ssh", server, "--ssh_keyfile", key, ...args], {
    env: { CIRCUS_SSH_COMMAND: SSH_COMMAND },
  });

describe("circusctl --ssh", { skip }, () => {
  test("runs commands through an ssh tunnel and ends the ssh process", async () => {
    const r = await viaSsh("--endpoint", d.endpoint, "status");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "remote: active\n");
    const list = await viaSsh("--endpoint", d.endpoint, "--json", "list");
    assert.deepEqual((JSON.parse(list.stdout) as { watchers: string[] }).watchers, ["remote"]);
    // The ssh processes named the key in their argv: none may be left.
    await waitFor(() => markedProcesses(key).filter((pid) => pid !== sshdPid).length === 0, {
      message: "the ssh client processes to be gone",
    });
  });

  test("a key the server does not accept: the ssh failure on stderr, exit status 1", async () => {
    const other = path.join(dir, "other_key");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", other]);
    const r = await runCtl(
      ["--ssh", server, "--ssh_keyfile", other, "--endpoint", d.endpoint, "status"],
      {
        env: { CIRCUS_SSH_COMMAND: `${SSH_COMMAND} -o BatchMode=yes` },
      },
    );
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^circusctl: ssh tunnel to .* failed: .*Permission denied/);
  });

  test("listen through the tunnel prints the remote daemon's events", async () => {
    const child = spawn(
      process.execPath,
      [CIRCUSCTL, "--ssh", server, "--ssh_keyfile", key, "listen", d.pubsub],
      { env: ctlEnv({ CIRCUS_SSH_COMMAND: SSH_COMMAND }), stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (out += c));
    const closed = new Promise((resolve) => child.once("close", resolve));
    try {
      await waitFor(
        async () => {
          await runCtl(["--endpoint", d.endpoint, "incr", "remote"]);
          await new Promise((r) => setTimeout(r, 300));
          return out.includes("watcher.remote.spawn: {");
        },
        { timeout: 20_000, message: () => `a spawn line; got ${JSON.stringify(out)}` },
      );
      child.kill("SIGINT");
      // As Circus's circusctl: interrupted, it exits 1.
      assert.equal(await closed, 1);
    } finally {
      child.kill("SIGKILL");
    }
  });
});
