/**
 * What a child receives from circusd: environment ([env] sections, copy_env, `$PATH`
 * expansion), formatted arguments, working_dir, shell, executable, umask, resource limits,
 * user and group.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import path from "node:path";
import {
  makeTempDir,
  NODE_WORKER,
  procArgv,
  procLimit,
  procStat,
  procStatusField,
  readRecords,
  runCircusd,
  startCircusd,
  WORKER,
  waitFor,
  waitForStarts,
  workerSection,
  writeConfig,
} from "./helpers/circusd.js";
import { cleanupEachTest } from "./helpers/cleanup.js";

cleanupEachTest();

const PARENT_PATH = "/usr/local/bin:/usr/bin:/bin";

describe("environment", () => {
  test("[env], [env:NAME] and [env:wild*] merge in file order; copy_env decides what is inherited", async () => {
    const env = { ...process.env, PATH: PARENT_PATH, CIRCUS_IT_FROM_PARENT: "parent-value" };
    const d = startCircusd(
      (dir) => `
[env]
SHARED = from-env
OVERRIDE = from-env
TAGVAL = tag-from-env

[watcher:envw]
cmd = ${NODE_WORKER} --out ${dir}/envw.jsonl --wid $(circus.wid)
args = --w2 ((circus.wid)) --tag $(circus.env.TAGVAL) --parent $(circus.env.CIRCUS_IT_FROM_PARENT) --specific $(circus.env.SPECIFIC)
numprocesses = 2
graceful_timeout = 2

[watcher:copyw]
cmd = ${NODE_WORKER} --out ${dir}/copyw.jsonl
copy_env = true
graceful_timeout = 2

[env:envw]
OVERRIDE = from-envw
SPECIFIC = only-envw
PATH = $PATH:/x

[env:env*]
WILD = from-wild
SPECIFIC = wild-wins
`,
      { env },
    );
    const records = await waitForStarts(d.path("envw.jsonl"), 2);
    for (const r of records) {
      assert.deepEqual(r.env, {
        SHARED: "from-env",
        OVERRIDE: "from-envw",
        TAGVAL: "tag-from-env",
        SPECIFIC: "wild-wins",
        WILD: "from-wild",
        PATH: `${PARENT_PATH}:/x`,
      });
      const wid = r.wid ?? "?";
      assert.deepEqual(r.argv?.slice(2), [
        "--wid",
        wid,
        "--w2",
        wid,
        "--tag",
        "tag-from-env",
        "--parent",
        "parent-value",
        "--specific",
        "wild-wins",
      ]);
    }
    assert.deepEqual(records.map((r) => r.wid).sort(), ["1", "2"]);

    const [copied] = await waitForStarts(d.path("copyw.jsonl"), 1);
    assert.ok(copied?.env);
    assert.equal(copied.env.CIRCUS_IT_FROM_PARENT, "parent-value", "copy_env = true inherits");
    assert.equal(copied.env.PATH, PARENT_PATH);
    assert.equal(copied.env.SHARED, "from-env", "[env] applies to every watcher");
    assert.equal(copied.env.OVERRIDE, "from-env");
    assert.equal(copied.env.WILD, undefined, "[env:env*] does not match copyw");
  });
});

describe("how the command runs", () => {
  test("working_dir sets the child's current folder", async () => {
    const d = startCircusd((dir) => {
      mkdirSync(path.join(dir, "wd"));
      return workerSection(dir, "inwd", { working_dir: path.join(dir, "wd") });
    });
    const [r] = await waitForStarts(d.path("inwd.jsonl"), 1);
    assert.equal(r?.cwd, d.path("wd"));
  });

  test("shell = true runs cmd through sh: a pipe feeds the worker", async () => {
    const d = startCircusd(
      (dir) => `
[watcher:piped]
cmd = printf 'through-the-pipe-$(circus.wid)' | ${NODE_WORKER} --out ${dir}/piped.jsonl --read-stdin
shell = true
graceful_timeout = 1
`,
    );
    const out = d.path("piped.jsonl");
    const stdin = await waitFor(() => readRecords(out).find((r) => r.event === "stdin"), {
      message: "the worker to read its stdin",
    });
    assert.equal(stdin.data, "through-the-pipe-1");
    // circusd's child is the shell; the worker is the shell's child.
    const [shell] = d.children();
    assert.ok(shell, "circusd runs the shell");
    assert.equal(procArgv(shell.pid)[0], "/bin/sh");
    assert.equal(procStat(stdin.pid)?.ppid, shell.pid);
  });

  test("executable runs that program with cmd's first word as argv[0]", async () => {
    const d = startCircusd(
      (dir) => `
[watcher:renamed]
cmd = my-renamed-worker ${WORKER} --out ${dir}/renamed.jsonl
executable = ${process.execPath}
graceful_timeout = 1
`,
    );
    const [r] = await waitForStarts(d.path("renamed.jsonl"), 1);
    assert.ok(r);
    const argv = procArgv(r.pid);
    assert.equal(argv[0], "my-renamed-worker");
    assert.equal(argv[1], WORKER);
  });

  test("[circus] umask = 027 is the children's umask; without it they inherit circusd's", async () => {
    const masked = startCircusd(
      (dir) => "[circus]\numask = 027\n\n" + workerSection(dir, "masked"),
    );
    const plain = startCircusd((dir) => workerSection(dir, "plain"), {});
    const [m] = await waitForStarts(masked.path("masked.jsonl"), 1);
    const [p] = await waitForStarts(plain.path("plain.jsonl"), 1);
    assert.equal(m?.umask, "0027");
    const own = process.umask();
    assert.equal(p?.umask, own.toString(8).padStart(4, "0"));
  });
});

describe("resource limits", () => {
  test("rlimit_nofile = 100 and an empty rlimit_core hold from the child's start", async () => {
    const d = startCircusd((dir) =>
      workerSection(dir, "limited", { rlimit_nofile: 100, rlimit_core: "" }),
    );
    const [r] = await waitForStarts(d.path("limited.jsonl"), 1);
    assert.ok(r);
    // What the worker read from /proc/self/limits before doing anything else...
    assert.deepEqual(r.limits?.nofile, { soft: "100", hard: "100" });
    assert.deepEqual(r.limits?.core, { soft: "unlimited", hard: "unlimited" });
    // ...and what the running process shows; it is circusd's own child.
    assert.deepEqual(procLimit(r.pid, "Max open files"), { soft: "100", hard: "100" });
    assert.deepEqual(procLimit(r.pid, "Max core file size"), {
      soft: "unlimited",
      hard: "unlimited",
    });
    assert.equal(procStat(r.pid)?.ppid, d.pid);
  });
});

describe("user and group", () => {
  const ids = (pid: number, field: "Uid" | "Gid") => procStatusField(pid, field)?.map(Number);

  test("uid = nobody and gid = nogroup, by name", async () => {
    const d = startCircusd((dir) =>
      workerSection(dir, "byname", { uid: "nobody", gid: "nogroup" }),
    );
    const [r] = await waitForStarts(d.path("byname.jsonl"), 1);
    assert.ok(r);
    assert.deepEqual(ids(r.pid, "Uid"), [65534, 65534, 65534, 65534]);
    assert.deepEqual(ids(r.pid, "Gid"), [65534, 65534, 65534, 65534]);
    assert.equal(r.uid, 65534);
    assert.equal(r.gid, 65534);
  });

  test("uid and gid by number", async () => {
    const d = startCircusd((dir) => workerSection(dir, "bynumber", { uid: 1234, gid: 4321 }));
    const [r] = await waitForStarts(d.path("bynumber.jsonl"), 1);
    assert.ok(r);
    assert.deepEqual(ids(r.pid, "Uid"), [1234, 1234, 1234, 1234]);
    assert.deepEqual(ids(r.pid, "Gid"), [4321, 4321, 4321, 4321]);
  });

  test("uid alone runs with the user's primary group and groups, never root's", async () => {
    const d = startCircusd((dir) => workerSection(dir, "uidonly", { uid: 65534 }));
    const [r] = await waitForStarts(d.path("uidonly.jsonl"), 1);
    assert.ok(r);
    assert.deepEqual(ids(r.pid, "Uid"), [65534, 65534, 65534, 65534]);
    assert.deepEqual(ids(r.pid, "Gid"), [65534, 65534, 65534, 65534], "nobody's group");
    assert.deepEqual(procStatusField(r.pid, "Groups"), ["65534"], "root's groups are dropped");
  });

  test("a uid without a passwd entry and no gid is refused rather than run with gid 0", async () => {
    const dir = makeTempDir();
    const config = writeConfig(dir, workerSection(dir, "ghost", { uid: 4242 }));
    const result = await runCircusd([config]);
    assert.notEqual(result.code, 0);
    const lines = result.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0] ?? "", /\[watcher:ghost\] gid: .*4242/);
    assert.deepEqual(readRecords(`${dir}/ghost.jsonl`), [], "nothing ran");
  });

  test("uid with a resource limit: both apply", async () => {
    const d = startCircusd((dir) =>
      workerSection(dir, "both", { uid: "nobody", gid: "nogroup", rlimit_nofile: 64 }),
    );
    const [r] = await waitForStarts(d.path("both.jsonl"), 1);
    assert.ok(r);
    assert.deepEqual(ids(r.pid, "Uid"), [65534, 65534, 65534, 65534]);
    assert.deepEqual(ids(r.pid, "Gid"), [65534, 65534, 65534, 65534]);
    assert.deepEqual(r.limits?.nofile, { soft: "64", hard: "64" });
    assert.equal(procStat(r.pid)?.ppid, d.pid);
  });
});
