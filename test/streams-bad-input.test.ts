/**
 * Bad stream settings: refused at startup with one line naming the watcher section and the
 * option, before any process starts. At run time, a full disk is logged, the child keeps
 * running, and writing resumes once there is room again.
 */
import assert from "node:assert/strict";
import { closeSync, existsSync, openSync, rmSync, writeFileSync, writeSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { makeTempDir, runCircusd, startCircusd, waitFor, writeConfig } from "./helpers/circusd.js";
import { connect } from "./helpers/control.js";
import {
  isMounted,
  mountTmpfs,
  numbersIn,
  pidsOf,
  readText,
  unmount,
  writerSection,
} from "./helpers/streams.js";
import { cleanupEachTest } from "./helpers/cleanup.js";

cleanupEachTest();

describe("bad stream settings at startup", () => {
  // [what, stream options (a function of the temp folder), the option the line must name]
  const cases: [string, (dir: string) => Record<string, string>, string][] = [
    [
      "an unknown stream class",
      () => ({ "stdout_stream.class": "NoSuchStream" }),
      "stdout_stream.class",
    ],
    [
      "an unknown circus.stream class",
      () => ({ "stdout_stream.class": "circus.stream.NoSuchStream" }),
      "stdout_stream.class",
    ],
    [
      "an unknown stderr stream class",
      (dir) => ({
        "stdout_stream.filename": path.join(dir, "ok.log"),
        "stderr_stream.class": "NoSuchStream",
      }),
      "stderr_stream.class",
    ],
    [
      "a user stream module that does not exist",
      () => ({ "stdout_stream.class": "./missing-module.mjs:MyStream" }),
      "stdout_stream.class",
    ],
    [
      "a filename in a folder that does not exist",
      (dir) => ({
        "stdout_stream.class": "FileStream",
        "stdout_stream.filename": path.join(dir, "no-such-folder", "x.log"),
      }),
      "stdout_stream.filename",
    ],
    [
      "a filename under a regular file",
      (dir) => {
        writeFileSync(path.join(dir, "afile"), "I am a file\n");
        return { "stdout_stream.filename": path.join(dir, "afile", "x.log") };
      },
      "stdout_stream.filename",
    ],
    [
      "a WatchedFileStream filename in a missing folder",
      (dir) => ({
        "stdout_stream.class": "WatchedFileStream",
        "stdout_stream.filename": path.join(dir, "nope", "w.log"),
      }),
      "stdout_stream.filename",
    ],
    [
      "a bad rotate_when",
      (dir) => ({
        "stdout_stream.class": "TimedRotatingFileStream",
        "stdout_stream.filename": path.join(dir, "t.log"),
        "stdout_stream.rotate_when": "fortnightly",
      }),
      "stdout_stream.rotate_when",
    ],
    [
      "a non-integer max_bytes",
      (dir) => ({
        "stdout_stream.class": "FileStream",
        "stdout_stream.filename": path.join(dir, "m.log"),
        "stdout_stream.max_bytes": "lots",
      }),
      "stdout_stream.max_bytes",
    ],
    [
      "a non-integer backup_count",
      (dir) => ({
        "stdout_stream.filename": path.join(dir, "b.log"),
        "stdout_stream.max_bytes": "1000",
        "stdout_stream.backup_count": "few",
      }),
      "stdout_stream.backup_count",
    ],
  ];
  for (const [what, options, option] of cases) {
    test(`${what}: exit non-zero before any process starts, one line naming [watcher:web] and ${option}`, async () => {
      const dir = makeTempDir();
      const started = path.join(dir, "started");
      const config = writeConfig(
        dir,
        writerSection(dir, "web", `--mode raw --out aGkK --done ${started}`, options(dir)),
      );
      const result = await runCircusd([config], { cwd: dir });
      assert.notEqual(result.code, 0, `circusd accepted it:\n${result.stdout}${result.stderr}`);
      const lines = result.stderr.trimEnd().split("\n");
      assert.equal(lines.length, 1, `expected one line, got:\n${result.stderr}`);
      const [line = ""] = lines;
      assert.ok(line.includes("[watcher:web]"), `the line names the section: ${line}`);
      assert.ok(line.includes(option), `the line names ${option}: ${line}`);
      assert.ok(!existsSync(started), "a process was started");
    });
  }
});

describe("bad stream settings at run time", () => {
  test("set with a bad stream option is refused, naming it; output stays where it was", async () => {
    const d = startCircusd((dir) =>
      writerSection(dir, "sw", "--mode tick --every 30 --tag s", {
        "stdout_stream.filename": path.join(dir, "a.log"),
      }),
    );
    const file = d.path("a.log");
    await waitFor(() => numbersIn(readText(file), "s").length >= 3, {
      message: () => `lines in a.log; log:\n${d.log}\n${d.stderr}`,
    });
    const [pid] = pidsOf(d, "sw");
    const c = await connect(d);
    const bad: [Record<string, string>, string][] = [
      [{ "stdout_stream.filename": path.join(d.dir, "nope", "x.log") }, "stdout_stream.filename"],
      [{ "stdout_stream.class": "NoSuchStream" }, "stdout_stream.class"],
      [{ "stdout_stream.max_bytes": "lots" }, "stdout_stream.max_bytes"],
    ];
    for (const [options, option] of bad) {
      const reply = await c.call("set", { name: "sw", options, waiting: true });
      assert.equal(reply.status, "error", JSON.stringify(reply));
      assert.ok(
        String(reply.reason).includes(option),
        `the reason names ${option}: ${reply.reason}`,
      );
    }
    const size = readText(file).length;
    await waitFor(() => readText(file).length > size + 200, {
      message: "a.log to go on growing",
    });
    assert.deepEqual(pidsOf(d, "sw"), [pid], "the same process");
    const numbers = numbersIn(readText(file), "s");
    numbers.forEach((n, i) => assert.equal(n, i, "a.log holds every line, in order"));
    assert.ok(!existsSync(path.join(d.dir, "nope")));
  });
});

describe("write errors at run time", () => {
  test("a full disk is logged, the child keeps running, and writing resumes once there is room", async (t) => {
    const dir = makeTempDir();
    const mount = mountTmpfs(path.join(dir, "small"), "2m");
    const log = path.join(mount, "app.log");
    const filler = path.join(mount, "filler");
    try {
      const d = startCircusd(
        writerSection(dir, "full", "--mode tick --every 20 --tag f", {
          "stdout_stream.class": "FileStream",
          "stdout_stream.filename": log,
        }),
        { dir },
      );
      await waitFor(() => numbersIn(readText(log), "f").length >= 3, {
        message: () => `lines in ${log}; log:\n${d.log}\n${d.stderr}`,
      });
      const [pid] = pidsOf(d, "full");
      assert.ok(pid);
      const logLinesBefore = d.lines.length;

      // Fill the file system to the last byte.
      const fd = openSync(filler, "w");
      try {
        const block = Buffer.alloc(64 * 1024, 0x2e);
        for (;;) {
          try {
            writeSync(fd, block);
          } catch {
            break;
          }
        }
        for (;;) {
          try {
            writeSync(fd, block.subarray(0, 1));
          } catch {
            break;
          }
        }
      } finally {
        closeSync(fd);
      }
      const error = await waitFor(
        () =>
          d.lines
            .slice(logLinesBefore)
            .find((l) => /ENOSPC|no space|disk full|write error|cannot write/i.test(l)),
        {
          timeout: 10_000,
          message: () => `circusd to log the write error; log:\n${d.log}\n${d.stderr}`,
        },
      );
      t.diagnostic(`circusd logged: ${error}`);
      assert.match(error, /ERROR|WARN/, "logged as an error or a warning");
      await sleep(500);
      assert.deepEqual(pidsOf(d, "full"), [pid], "the child keeps running");
      const last = Math.max(...numbersIn(readText(log), "f"));

      rmSync(filler);
      await waitFor(() => numbersIn(readText(log), "f").some((n) => n > last + 5), {
        timeout: 10_000,
        message: () => `lines after ${last} once there is room; log:\n${d.log}`,
      });
      assert.deepEqual(pidsOf(d, "full"), [pid], "same process");
      assert.equal(d.exitStatus, null, "circusd is still running");
      // The lines after the resume are whole lines.
      const tail = readText(log).split("\n").slice(-4, -1);
      for (const line of tail) assert.match(line, /^f:\d{10} x+$/);
    } finally {
      unmount(mount);
      assert.ok(!isMounted(mount));
    }
  });
});
