import { test } from "node:test";
import assert from "node:assert/strict";
import { shlexSplit, shellQuote, ShlexError } from "../src/core/shlex.js";
import { formatCommand } from "../src/core/format.js";
import { buildArgv } from "../src/core/process.js";
import { WidPool } from "../src/core/wid-pool.js";
import { parseSignal, signalName } from "../src/sys/signals.js";
import { childrenOf } from "../src/sys/proc.js";
import { resolveProgram, SpawnError } from "../src/sys/spawn.js";
import { parseLogLevel, formatTime } from "../src/log/logger.js";

test("shlexSplit follows Python's shlex.split", () => {
  assert.deepEqual(shlexSplit("python -u  my.py"), ["python", "-u", "my.py"]);
  assert.deepEqual(shlexSplit(`a 'b c' "d \\"e\\" $f" g\\ h`), ["a", "b c", 'd "e" $f', "g h"]);
  assert.deepEqual(shlexSplit(`x''y ""`), ["xy", ""]);
  assert.deepEqual(shlexSplit(`"a\\nb"`), ["a\\nb"]);
  assert.throws(() => shlexSplit(`echo "oops`), ShlexError);
  assert.throws(() => shlexSplit(`echo 'oops`), ShlexError);
});

test("shellQuote round-trips through shlexSplit", () => {
  for (const word of ["plain", "with space", "it's", "", "$HOME", 'a"b']) {
    assert.deepEqual(shlexSplit(shellQuote(word)), [word]);
  }
});

test("formatCommand substitutes circus variables in both spellings, any case", () => {
  const values = { wid: 3, env: { PORT: "80" }, sockets: { web: 5 }, options: { name: "w" } };
  assert.equal(
    formatCommand("run $(circus.wid) ((circus.wid)) $(CIRCUS.WID)", values),
    "run 3 3 3",
  );
  assert.equal(
    formatCommand("--port $(circus.env.PORT) $(circus.env.port)", values),
    "--port 80 80",
  );
  assert.equal(formatCommand("--fd $(circus.sockets.web)", values), "--fd 5");
  assert.equal(formatCommand("$(circus.name) $(circus.nothing)", values), "w $(circus.nothing)");
});

test("buildArgv joins cmd and args and wraps shell commands", () => {
  assert.deepEqual(buildArgv({ name: "w", wid: 2, cmd: "sleep", args: "$(circus.wid)0" }), [
    "sleep",
    "20",
  ]);
  assert.deepEqual(buildArgv({ name: "w", wid: 2, cmd: "echo a", args: ["b c", "$WID"] }), [
    "echo",
    "a",
    "b c",
    "2",
  ]);
  assert.deepEqual(
    buildArgv({ name: "w", wid: 1, cmd: "echo 'a b' | cat", shell: true, shellArgs: "x y" }),
    ["/bin/sh", "-c", "echo 'a b' | cat", "x", "y"],
  );
});

test("parseSignal accepts names with or without SIG, any case, and numbers", () => {
  assert.equal(parseSignal("quit"), 3);
  assert.equal(parseSignal("INT"), 2);
  assert.equal(parseSignal("SIGTERM"), 15);
  assert.equal(parseSignal("sigkill"), 9);
  assert.equal(parseSignal("3"), 3);
  assert.equal(parseSignal("NOPE"), null);
  assert.equal(parseSignal("0"), null);
  assert.equal(signalName(15), "SIGTERM");
});

test("resolveProgram finds programs like execvp and refuses missing ones", () => {
  assert.equal(resolveProgram("sh", "/", "/nonexistent:/bin"), "/bin/sh");
  assert.throws(() => resolveProgram("no-such-program-here", "/", "/bin:/usr/bin"), SpawnError);
  assert.throws(() => resolveProgram("/etc/passwd", "/", "/bin"), SpawnError);
});

test("childrenOf lists a real child of this process", async () => {
  const { spawn } = await import("node:child_process");
  const child = spawn("sleep", ["5"]);
  try {
    await new Promise((resolve) => child.once("spawn", resolve));
    assert.ok(childrenOf(process.pid).includes(child.pid as number));
  } finally {
    child.kill("SIGKILL");
  }
});

test("log levels and time format are Circus's", () => {
  assert.equal(parseLogLevel("INFO"), "info");
  assert.equal(parseLogLevel("warn"), "warning");
  assert.equal(parseLogLevel("loud"), null);
  assert.match(formatTime(new Date(2026, 10, 23, 8, 39, 29)), /^2026-11-23 08:39:29$/);
});

test("WidPool: the lowest free wid, holders counted, a crash loop of one wid", () => {
  const pool = new WidPool();
  for (let wid = 1; wid <= 5; wid++) {
    assert.equal(pool.lowest(), wid);
    pool.hold(wid);
  }
  pool.release(4);
  pool.release(2);
  assert.equal(pool.lowest(), 2);
  pool.hold(2);
  assert.equal(pool.lowest(), 4);
  // Two holders (a process and a promise): free only once both let go.
  pool.hold(3);
  pool.release(3);
  assert.ok(pool.has(3));
  pool.release(3);
  assert.equal(pool.lowest(), 3);
  // Freed and taken again many times, as in a crash loop; then the others go.
  for (let i = 0; i < 10_000; i++) {
    pool.release(5);
    pool.hold(5);
  }
  assert.equal(pool.lowest(), 3);
  pool.hold(3);
  pool.hold(4);
  assert.equal(pool.lowest(), 6);
  for (const wid of [5, 1, 3]) pool.release(wid);
  assert.deepEqual([pool.lowest(), pool.has(2), pool.has(4)], [1, true, true]);
  pool.hold(1);
  assert.equal(pool.lowest(), 3);
});
