/**
 * The circusd program: refusing bad configs in one line, --version, --log-output, and
 * --daemon with --pidfile.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, renameSync } from "node:fs";
import path from "node:path";
import {
  CIRCUSD,
  isAlive,
  isGone,
  makeTempDir,
  markedProcesses,
  procArgv,
  procStat,
  readRecords,
  ROOT,
  runCircusd,
  startCircusd,
  starts,
  waitFor,
  waitForStarts,
  workerSection,
  writeConfig,
} from "./helpers/circusd.js";
import { cleanupEachTest } from "./helpers/cleanup.js";

cleanupEachTest();

describe("bad configs", () => {
  const cases: [string, string, RegExp][] = [
    [
      "a syntax error",
      "[watcher:w]\ncmd = sleep 1\nthis line has no separator\n",
      /:3: syntax error/,
    ],
    [
      "a bad number",
      "[watcher:w]\ncmd = sleep 1\nnumprocesses = five\n",
      /:3: \[watcher:w\] numprocesses: expected an integer, got "five"/,
    ],
    ["a missing cmd", "[watcher:w]\nnumprocesses = 2\n", /\[watcher:w\] cmd: missing required/],
    [
      "an unknown section type",
      "[watchers:w]\ncmd = sleep 1\n",
      /:1: \[watchers:w\] unknown section/,
    ],
    [
      "an unknown user",
      "[watcher:w]\ncmd = sleep 1\nuid = no-such-user-xyz\n",
      /\[watcher:w\] uid: .*no-such-user-xyz/,
    ],
    [
      "an unknown stop signal",
      "[watcher:w]\ncmd = sleep 1\nstop_signal = NOPE\n",
      /\[watcher:w\] stop_signal: .*NOPE/,
    ],
  ];
  for (const [what, text, expected] of cases) {
    test(`${what}: exit non-zero with one stderr line naming file, section and option`, async () => {
      const dir = makeTempDir();
      const config = writeConfig(dir, text);
      const result = await runCircusd([config]);
      assert.notEqual(result.code, 0);
      const lines = result.stderr.trimEnd().split("\n");
      assert.equal(lines.length, 1, `expected one line, got:\n${result.stderr}`);
      const [line = ""] = lines;
      assert.ok(line.startsWith(config), `the line names the file: ${line}`);
      assert.match(line, expected);
    });
  }

  test("a missing config file is refused, naming it", async () => {
    const missing = path.join(makeTempDir(), "nope.ini");
    const result = await runCircusd([missing]);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr.trim(), new RegExp(`^${missing}: .*cannot read`));
  });

  test("no config file at all: usage on stderr, exit non-zero", async () => {
    const result = await runCircusd([]);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /usage: circusd/);
  });
});

describe("options", () => {
  test("--version prints the package version and exits 0", async () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
      version: string;
    };
    const result = await runCircusd(["--version"]);
    assert.equal(result.code, 0);
    assert.equal(result.stdout.trim(), pkg.version);
  });

  test("--log-output FILE writes the log lines there instead of stdout", async () => {
    const dir = makeTempDir();
    const logFile = path.join(dir, "circusd.log");
    const d = startCircusd(workerSection(dir, "logged"), { dir, args: ["--log-output", logFile] });
    await waitForStarts(d.path("logged.jsonl"), 1);
    const text = await waitFor(
      () => {
        const t = existsSync(logFile) ? readFileSync(logFile, "utf8") : "";
        return t.includes("Arbiter now waiting for commands") ? t : null;
      },
      { message: "the log file to fill" },
    );
    const first = text.split("\n")[0] ?? "";
    assert.match(
      first,
      new RegExp(`^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d circus\\[${d.pid}\\] \\[INFO\\] `),
    );
    assert.match(text, /logged started/);
    assert.deepEqual(await d.stop(), { code: 0, signal: null });
    assert.match(readFileSync(logFile, "utf8"), /circusd stopped/);
    assert.equal(d.log, "", "nothing on stdout");
  });
});

describe("log rotation", () => {
  test("after the log file is moved away, SIGHUP makes circusd write to a new one", async () => {
    const dir = makeTempDir();
    const logFile = path.join(dir, "circusd.log");
    const rotated = `${logFile}.1`;
    const d = startCircusd(workerSection(dir, "rotated"), {
      dir,
      args: ["--log-output", logFile],
    });
    await waitFor(
      () => existsSync(logFile) && readFileSync(logFile, "utf8").includes("waiting for commands"),
      { message: "the first log lines" },
    );
    // What logrotate does: rename the file, then tell the daemon.
    renameSync(logFile, rotated);
    d.kill("SIGHUP");
    const fresh = await waitFor(
      () => {
        const t = existsSync(logFile) ? readFileSync(logFile, "utf8") : "";
        return t.includes("rotated reloaded") ? t : null;
      },
      {
        message: () =>
          `new lines in a new ${logFile}; the old file has:\n${readFileSync(rotated, "utf8")}`,
      },
    );
    assert.match(fresh, /Got signal SIG_HUP/);
    assert.doesNotMatch(readFileSync(rotated, "utf8"), /rotated reloaded/);
    assert.deepEqual(await d.stop(), { code: 0, signal: null });
    assert.match(readFileSync(logFile, "utf8"), /circusd stopped/);
  });
});

describe("--daemon and --pidfile", () => {
  test("the daemon detaches, owns the pidfile, refuses a second circusd and stops on SIGTERM", async () => {
    const dir = makeTempDir();
    const pidfile = path.join(dir, "circusd.pid");
    const logFile = path.join(dir, "daemon.log");
    const config = writeConfig(dir, workerSection(dir, "bg", { numprocesses: 2 }));

    // The launching command returns while the daemon goes on. The config path is relative
    // to the launching command's folder.
    const launch = await runCircusd(
      ["--daemon", "--pidfile", pidfile, "--log-output", logFile, path.basename(config)],
      { cwd: dir },
    );
    assert.equal(launch.code, 0, launch.stderr);
    const workers = await waitForStarts(path.join(dir, "bg.jsonl"), 2);
    const pid = await waitFor(
      () => {
        const n = Number(existsSync(pidfile) ? readFileSync(pidfile, "utf8").trim() : "");
        return Number.isInteger(n) && n > 0 ? n : null;
      },
      { message: "the pidfile" },
    );

    // The pidfile holds the daemon: a live circusd in a session of its own.
    assert.ok(isAlive(pid));
    assert.ok(procArgv(pid).includes(CIRCUSD), procArgv(pid).join(" "));
    const stat = procStat(pid);
    assert.notEqual(stat?.sid, procStat(process.pid)?.sid, "a session other than the test's");
    assert.equal(stat?.sid, pid, "the daemon leads its session");
    for (const w of workers) assert.equal(w.ppid, pid, "the workers are the daemon's children");

    // A second circusd on the same pidfile refuses to start, with or without --daemon.
    const other = writeConfig(dir, workerSection(dir, "second"), "second.ini");
    for (const extra of [[], ["--daemon"]]) {
      const second = await runCircusd([...extra, "--pidfile", pidfile, other], { cwd: dir });
      assert.notEqual(second.code, 0);
      assert.match(second.stderr, new RegExp(`already running with pid ${pid}`));
    }
    assert.equal(readFileSync(pidfile, "utf8").trim(), String(pid), "the pidfile is untouched");
    assert.deepEqual(starts(path.join(dir, "second.jsonl")), []);
    assert.ok(isAlive(pid));

    // SIGTERM stops everything and removes the pidfile.
    process.kill(pid, "SIGTERM");
    await waitFor(() => !isAlive(pid), { message: "the daemon to exit" });
    for (const w of workers) {
      assert.ok(isGone(w.pid), `worker ${w.pid} left behind`);
      const signals = readRecords(path.join(dir, "bg.jsonl")).filter(
        (r) => r.event === "signal" && r.pid === w.pid,
      );
      assert.deepEqual(
        signals.map((r) => r.signal),
        ["SIGTERM"],
      );
    }
    assert.equal(existsSync(pidfile), false, "the pidfile is removed");
    assert.deepEqual(markedProcesses(dir), []);
    assert.match(readFileSync(logFile, "utf8"), /circusd stopped/);
  });

  test("a stale pidfile (dead pid) is taken over", async () => {
    const dir = makeTempDir();
    const pidfile = path.join(dir, "stale.pid");
    // A pid that is certainly not running: beyond the kernel's pid_max.
    writeConfig(dir, "99999999\n", "stale.pid");
    const d = startCircusd(workerSection(dir, "fresh"), { dir, args: ["--pidfile", pidfile] });
    await waitForStarts(d.path("fresh.jsonl"), 1);
    await waitFor(() => readFileSync(pidfile, "utf8").trim() === String(d.pid), {
      message: "circusd to write its pid",
    });
    assert.deepEqual(await d.stop(), { code: 0, signal: null });
    assert.equal(existsSync(pidfile), false);
  });
});
