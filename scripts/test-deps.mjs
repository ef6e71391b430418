// What the test suite runs besides Node: real programs from Debian, since the tests drive
// circusd with real peers (Python's pyzmq, OpenSSH, script(1), tmux, redis-server, Prometheus,
// chromium, nginx, iproute2).
// Run before `npm test` (and by .ci/run): when something is missing it is installed with apt-get
// if we are root on Debian or Ubuntu; otherwise one line says what to install, and the tests do
// not run half-blind. (Debian's prometheus and nginx packages may start their own services where
// services start: the tests never use them; they run their own servers on free ports.)
import { spawnSync } from "node:child_process";

/** Debian package -> how to tell it is there. */
const NEEDED = [
  {
    pkg: "python3-zmq",
    why: "control tests drive circusd from Python",
    check: "/usr/bin/python3 -c 'import zmq'",
  },
  {
    pkg: "openssh-server",
    why: "circusctl --ssh runs through a real sshd",
    check: "test -x /usr/sbin/sshd",
  },
  {
    pkg: "openssh-client",
    why: "circusctl --ssh",
    check: "command -v ssh && command -v ssh-keygen",
  },
  { pkg: "bsdutils", why: "the circusctl shell runs in script(1)", check: "command -v script" },
  { pkg: "tmux", why: "circus-top runs in a real terminal, tmux", check: "command -v tmux" },
  {
    pkg: "systemd",
    why: "the example unit is checked by systemd-analyze verify",
    check: "command -v systemd-analyze",
  },
  {
    pkg: "redis-server",
    why: "RedisObserver watches a real Redis",
    check: "command -v redis-server",
  },
  {
    pkg: "prometheus",
    why: "the metrics endpoint is scraped by a real Prometheus, and checked with promtool",
    check: "command -v prometheus && command -v promtool",
  },
  {
    pkg: "chromium",
    why: "the web console's tests run in a real browser",
    check: "test -x /usr/bin/chromium",
  },
  {
    pkg: "iproute2",
    why: "multicast discovery is tested on a network of namespaces (ip netns, veth, a bridge)",
    check: "command -v ip",
  },
  {
    pkg: "nginx",
    why: "the web console is tested behind a real reverse proxy",
    check: "test -x /usr/sbin/nginx",
  },
];

const ok = (cmd) => spawnSync("sh", ["-c", `${cmd} >/dev/null 2>&1`]).status === 0;
const missing = NEEDED.filter((n) => !ok(n.check));
if (missing.length === 0) process.exit(0);

const pkgs = missing.map((n) => n.pkg);
const canInstall = process.getuid?.() === 0 && ok("command -v apt-get");
if (!canInstall || process.env.CIRCUS_TEST_NO_INSTALL) {
  console.error(
    `The tests need ${pkgs.join(", ")} (${missing.map((n) => n.why).join("; ")}): ` +
      `sudo apt-get install -y ${pkgs.join(" ")}`,
  );
  process.exit(1);
}
console.error(`Installing what the tests need: ${pkgs.join(" ")} (apt-get, as root)`);
const apt = (args) =>
  spawnSync("apt-get", args, {
    stdio: "inherit",
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  }).status === 0;
if (!apt(["update", "-qq"]) || !apt(["install", "-y", "-qq", ...pkgs])) {
  console.error(`apt-get could not install ${pkgs.join(" ")}`);
  process.exit(1);
}
const still = missing.filter((n) => !ok(n.check)).map((n) => n.pkg);
if (still.length > 0) {
  console.error(`still missing after apt-get: ${still.join(", ")}`);
  process.exit(1);
}
