/**
 * The native spawner applies every group, rlimit and fd it is given, past its old fixed
 * sizes (256 groups, 16 rlimits, 64 fds), or fails the spawn saying which and the limit;
 * the on-demand watch takes more than its old 64 sockets; and a unix socket path is used
 * whole or refused, never cut. Real children and sockets, checked through /proc.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { closeSync, openSync, readFileSync, readdirSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { native } from "../src/sys/native.js";
import { bindSocket } from "../src/sys/sockets.js";
import { spawnChild, SpawnError, type SpawnSpec } from "../src/sys/spawn.js";
import {
  openFds,
  makeTempDir,
  procLimit,
  procStatusField,
  startCircusd,
  waitFor,
} from "./helpers/circusd.js";
import { connect } from "./helpers/control.js";
import { listSockets } from "./helpers/sockets.js";
import { cleanupEachTest } from "./helpers/cleanup.js";

cleanupEachTest();

const SLEEP: SpawnSpec = {
  argv: ["/bin/sleep", "1000"],
  env: {},
  stdin: "null",
  stdout: "null",
  stderr: "null",
};

/** Runs `check` on a sleeping child spawned with `spec`, then kills and reaps it. */
async function withChild(
  spec: Partial<SpawnSpec>,
  check: (pid: number) => void | Promise<void>,
): Promise<void> {
  const child = spawnChild({ ...SLEEP, ...spec });
  try {
    await check(child.pid);
  } finally {
    process.kill(child.pid, "SIGKILL");
    // The reaper's SIGCHLD listener does not keep the event loop alive; this timer does.
    const alive = setInterval(() => undefined, 1000);
    await child.exited.finally(() => clearInterval(alive));
  }
}

/**
 * The fds of a process once they are exactly 0-2 and `expected`: right after exec, sleep
 * opens (and closes) a file of its own. Times out, listing what it saw, when they never are.
 */
async function settledFds(pid: number, expected: number[]): Promise<Map<number, string>> {
  const want = JSON.stringify([0, 1, 2, ...expected].sort((a, b) => a - b));
  let seen = "";
  return waitFor(
    () => {
      const fds = openFds(pid);
      seen = JSON.stringify([...fds.keys()].sort((a, b) => a - b));
      return seen === want ? fds : null;
    },
    { timeout: 5000, message: () => `fds ${want} of ${pid}; saw ${seen}` },
  );
}

/** Opens `count` files of a temp folder; closes them once `use` is done. */
async function withFiles(count: number, use: (fds: number[], files: string[]) => Promise<void>) {
  const dir = makeTempDir("circus-fds-");
  const files = Array.from({ length: count }, (_, i) => path.join(dir, `f${i}`));
  const fds = files.map((file) => openSync(file, "w"));
  try {
    await use(fds, files);
  } finally {
    for (const fd of fds) closeSync(fd);
  }
}

/** Every Linux rlimit: a value the child can run with, and its /proc/PID/limits row. */
const LIMIT_ROWS: [name: string, value: number, label: string][] = [
  ["as", 2 ** 31, "Max address space"],
  ["core", 2 ** 20, "Max core file size"],
  ["cpu", 3600, "Max cpu time"],
  ["data", 2 ** 30, "Max data size"],
  ["fsize", 2 ** 30, "Max file size"],
  ["locks", 1000, "Max file locks"],
  ["memlock", 131072, "Max locked memory"],
  ["msgqueue", 409600, "Max msgqueue size"],
  ["nice", 10, "Max nice priority"],
  ["nofile", 4096, "Max open files"],
  ["nproc", 5000, "Max processes"],
  ["rss", 2 ** 30, "Max resident set"],
  ["rtprio", 5, "Max realtime priority"],
  ["rttime", 5_000_000, "Max realtime timeout"],
  ["sigpending", 1000, "Max pending signals"],
  ["stack", 2 ** 24, "Max stack size"],
];

/**
 * LIMIT_ROWS within this process's hard limits: root without CAP_SYS_RESOURCE (a container)
 * cannot raise one.
 */
const ALL_LIMITS = LIMIT_ROWS.map(([name, value, label]): [string, number, string] => {
  const hard = procLimit(process.pid, label)?.hard ?? "unlimited";
  return [name, hard === "unlimited" ? value : Math.min(value, Number(hard)), label];
});

const NGROUPS_MAX = Number(readFileSync("/proc/sys/kernel/ngroups_max", "utf8"));

describe("the native spawner hands over every fd", () => {
  test("100 fds reach the child, each at its number, and nothing else", async () => {
    await withFiles(100, async (sources, files) => {
      // Reversed, so that sources (circusd's fds ~20-120) overlap the targets 3-102.
      const fds = sources.map((source, i): [number, number] => [102 - i, source]);
      await withChild({ fds }, async (pid) => {
        const open = await settledFds(
          pid,
          fds.map(([target]) => target),
        );
        for (const [i, [target]] of fds.entries()) assert.equal(open.get(target), files[i]);
      });
    });
  });

  test("an fd at or above the child's nofile limit fails the spawn, naming the limit", async () => {
    await withFiles(3, async (sources) => {
      const fds = sources.map((source, i): [number, number] => [60 + 20 * i, source]);
      assert.throws(
        () => spawnChild({ ...SLEEP, rlimits: { nofile: 64 }, fds }),
        (error: Error) =>
          error instanceof SpawnError &&
          error.message ===
            "/bin/sleep: dup2: fds to hand over: 2 of 3 at or above the child's open-files " +
              "limit (RLIMIT_NOFILE 64), the highest being fd 100; raise rlimit_nofile",
      );
    });
  });

  test("a child fd given twice, or a source that is not open, is refused", async () => {
    await withFiles(2, async ([a, b]) => {
      const twice = `dup2: fd 7 of the child is given twice (from fds ${a} and ${b})`;
      assert.throws(
        () =>
          spawnChild({
            ...SLEEP,
            fds: [
              [7, a as number],
              [7, b as number],
            ],
          }),
        { message: `/bin/sleep: ${twice}` },
      );
    });
    assert.throws(() => spawnChild({ ...SLEEP, fds: [[5, 4000]] }), {
      message: "/bin/sleep: fcntl: fd 4000, to be fd 5 of the child, is not open",
      code: "EBADF",
    });
  });
});

describe("the native spawner sets every rlimit", () => {
  test("all 16 Linux rlimits at once, soft and hard", async () => {
    const rlimits = Object.fromEntries(ALL_LIMITS.map(([name, value]) => [name, value]));
    await withChild({ rlimits }, (pid) => {
      for (const [name, value, label] of ALL_LIMITS) {
        assert.deepEqual(
          procLimit(pid, label),
          { soft: String(value), hard: String(value) },
          `${name} (${label})`,
        );
      }
    });
  });

  test("an unknown name after the 16 known ones is refused, not dropped", () => {
    const rlimits = Object.fromEntries(ALL_LIMITS.map(([name, value]) => [name, value]));
    assert.throws(() => spawnChild({ ...SLEEP, rlimits: { ...rlimits, bogus: 1 } }), {
      name: "SpawnError",
      code: "EINVAL",
      message:
        '/bin/sleep: setrlimit: unknown resource limit "bogus" (known: as, core, cpu, data, ' +
        "fsize, locks, memlock, msgqueue, nice, nofile, nproc, rss, rtprio, rttime, " +
        "sigpending, stack)",
    });
  });

  test("one name given twice to the native spawner is refused", () => {
    assert.throws(
      () =>
        native().spawn({
          file: "/bin/sleep",
          argv: ["sleep", "1000"],
          env: [],
          stdin: "null",
          stdout: "null",
          stderr: "null",
          rlimits: [
            ["nofile", 100],
            ["nofile", 200],
          ],
        }),
      { code: "EINVAL", message: 'setrlimit: resource limit "nofile" given twice' },
    );
  });

  test("a limit the kernel refuses names the rlimit", () => {
    // Past fs.nr_open: setrlimit fails in the child even for root.
    const nrOpen = Number(readFileSync("/proc/sys/fs/nr_open", "utf8"));
    assert.throws(() => spawnChild({ ...SLEEP, rlimits: { nofile: nrOpen + 1 } }), {
      code: "EPERM",
      message: "/bin/sleep: setrlimit nofile: Operation not permitted",
    });
  });
});

describe("the native spawner sets every supplementary group", () => {
  const groups = Array.from({ length: 300 }, (_, i) => 100_000 + i);

  test("300 groups, with a uid and without one", async () => {
    for (const ids of [{ uid: 65534, gid: 65534 }, {}]) {
      await withChild({ ...ids, groups }, (pid) => {
        const seen = (procStatusField(pid, "Groups") ?? []).map(Number);
        assert.deepEqual(
          seen.sort((a, b) => a - b),
          groups,
          JSON.stringify(ids),
        );
      });
    }
  });

  test("more groups than the kernel's NGROUPS_MAX fail the spawn, saying how many", () => {
    const tooMany = Array.from({ length: NGROUPS_MAX + 1 }, (_, i) => 100_000 + i);
    assert.throws(() => spawnChild({ ...SLEEP, uid: 65534, gid: 65534, groups: tooMany }), {
      code: "EINVAL",
      message:
        `/bin/sleep: setgroups: ${NGROUPS_MAX + 1} supplementary groups, more than the ` +
        `kernel accepts (NGROUPS_MAX ${NGROUPS_MAX})`,
    });
  });
});

describe("unix socket paths", () => {
  /** sun_path's 108 bytes, less the NUL. */
  const MAX_PATH = 107;

  test("a path longer than sun_path is refused, not cut at a character boundary", () => {
    const dir = makeTempDir("circus-sun-");
    // N-API fills the 107 bytes with whole 4-byte characters only: pad so that it would stop
    // short of them, where the old length check took the cut path for a short one.
    const pad = "a".repeat(((MAX_PATH - dir.length - 1) % 4) + 1);
    const long = `${dir}/${pad}${"\u{1F600}".repeat(30)}`;
    assert.throws(() => bindSocket({ family: "AF_UNIX", type: "SOCK_STREAM", path: long }), {
      code: "ENAMETOOLONG",
      message: `bind: the socket path is missing, holds a NUL or is longer than ${MAX_PATH} bytes`,
    });
    assert.throws(() => native().unixDgramOpen(long), {
      code: "ENAMETOOLONG",
      message: `connect: the socket path holds a NUL or is longer than ${MAX_PATH} bytes`,
    });
    assert.deepEqual(readdirSync(dir), [], "no socket file at a cut path");
  });

  test("a path of exactly 107 bytes binds", () => {
    const dir = makeTempDir("circus-sun-");
    const full = `${dir}/${"b".repeat(MAX_PATH - dir.length - 1)}`;
    const { fd } = bindSocket({ family: "AF_UNIX", type: "SOCK_STREAM", path: full });
    closeSync(fd);
    assert.deepEqual(readdirSync(dir), [path.basename(full)]);
  });
});

/** 70 `[socket:sN]` sections on 127.0.0.1, more than the old 64-fd limits. */
function manySockets(count = 70): string {
  return Array.from(
    { length: count },
    (_, i) => `[socket:s${i}]\nhost = 127.0.0.1\nport = 0\n`,
  ).join("\n");
}

describe("circusd with more than 64 sockets", () => {
  test("on_demand waits on all 70; the process gets every one at circusd's number", async () => {
    const d = startCircusd(
      (dir) => `${manySockets()}
[watcher:many]
cmd = /bin/sleep 1000
use_sockets = true
on_demand = true

[env:many]
MARK = ${dir}
`,
    );
    const client = await connect(d);
    const sockets = [...(await listSockets(client)).values()];
    assert.equal(sockets.length, 70);
    const last = sockets.find((s) => s.name === "s69");
    // The last socket: the one a watch cut to 64 fds would miss.
    const conn = net.connect({ host: "127.0.0.1", port: last?.port as number });
    try {
      const pid = await waitFor(async () => {
        const pids = (await client.call("list", { name: "many" })).pids as number[];
        return pids[0] ?? null;
      });
      const child = await settledFds(
        pid,
        sockets.map((s) => s.fd),
      );
      const own = openFds(d.pid);
      for (const { fd, name } of sockets) assert.equal(child.get(fd), own.get(fd), name);
    } finally {
      conn.destroy();
    }
    assert.equal((await d.stop()).code, 0);
  });

  test("rlimit_nofile below the sockets' fds: each try logs why, then it gives up", async () => {
    const d = startCircusd(
      (dir) => `${manySockets()}
[watcher:tight]
cmd = /bin/sleep 1000
use_sockets = true
rlimit_nofile = 40
max_retry = 2

[env:tight]
MARK = ${dir}
`,
    );
    await d.waitForLog(/tight: giving up after 2 failed spawns/);
    const tries = d.lines.filter((line) => line.includes("tight: cannot spawn process"));
    assert.equal(tries.length, 2, d.log);
    const why = new RegExp(
      String.raw`tight: cannot spawn process \(try 1\): /bin/sleep: dup2: fds to hand over: ` +
        String.raw`\d+ of 70 at or above the child's open-files limit \(RLIMIT_NOFILE 40\), ` +
        String.raw`the highest being fd \d+; raise rlimit_nofile$`,
    );
    assert.match(tries[0] ?? "", why);
    assert.equal((await d.stop()).code, 0);
  });
});
