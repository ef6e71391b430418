/**
 * A throwaway OpenSSH server for the `--ssh` tests: generated host and user keys, a free
 * loopback port, no PAM, no passwords; stopped at the test's (or file's) cleanup.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { makeTempDir, waitFor } from "./circusd.js";
import { defer } from "./cleanup.js";
import { freePort } from "./ctl.js";

const SSHD = "/usr/sbin/sshd";

/** A test's skip reason when Debian's openssh (server and client) is missing. */
export const sshSkip =
  !existsSync(SSHD) || !existsSync("/usr/bin/ssh") ? "openssh-server is not installed" : false;

/** The ssh client must trust the throwaway host key without a known_hosts entry. */
export const SSH_OPTIONS =
  "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR";

export interface Sshd {
  /** `user@127.0.0.1:PORT`, as `--ssh` takes it. */
  server: string;
  /** The user's private key, which the server accepts. */
  key: string;
  /** The folder of its files (a test may add keys there). */
  dir: string;
  pid: number;
}

/** Starts an sshd and waits until it listens. */
export async function startSshd(): Promise<Sshd> {
  const dir = makeTempDir("circus-sshd-");
  const key = path.join(dir, "user_key");
  const hostKey = path.join(dir, "host_key");
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", hostKey]);
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key]);
  execFileSync("cp", [`${key}.pub`, path.join(dir, "authorized_keys")]);
  const port = await freePort();
  writeFileSync(
    path.join(dir, "sshd_config"),
    [
      `Port ${port}`,
      "ListenAddress 127.0.0.1",
      `HostKey ${hostKey}`,
      `PidFile ${path.join(dir, "sshd.pid")}`,
      `AuthorizedKeysFile ${path.join(dir, "authorized_keys")}`,
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "PermitRootLogin prohibit-password",
      // The temp folder is world-writable (see makeTempDir): sshd would refuse its keys.
      "StrictModes no",
      "AllowTcpForwarding yes",
      "UsePAM no",
      "",
    ].join("\n"),
  );
  // sshd insists on its privilege separation folder.
  mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
  const child = spawn(SSHD, ["-D", "-e", "-f", path.join(dir, "sshd_config")], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  defer(() => child.kill("SIGTERM"));
  let log = "";
  child.stderr?.setEncoding("utf8").on("data", (c: string) => (log += c));
  await waitFor(() => log.includes("Server listening"), {
    message: () => `sshd to listen; log: ${log}`,
  });
  return {
    server: `${os.userInfo().username}@127.0.0.1:${port}`,
    key,
    dir,
    pid: child.pid as number,
  };
}
