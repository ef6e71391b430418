/**
 * Output streams against a real circusd and real children: FileStream (bytes as they are,
 * time_format, rotation by size), TimedRotatingFileStream, WatchedFileStream, StdoutStream
 * and FancyStdoutStream, user stream classes, QueueStream through the library,
 * close_child_*, streams across stop/start, and `set` at run time.
 */
import assert from "node:assert/strict";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { logger } from "../src/index.js";
import {
  makeTempDir,
  procArgv,
  startCircusd,
  testEndpoints,
  waitFor,
  type Circusd,
} from "./helpers/circusd.js";
import { connect } from "./helpers/control.js";
import { runCtl } from "./helpers/ctl.js";
import {
  STREAM_FIXTURES,
  b64,
  dateFromDigits,
  filesStartingWith,
  numberedLine,
  numberedText,
  numbersIn,
  openFiles,
  pidsOf,
  readText,
  rssBytes,
  sizeOf,
  writerCmd,
  writerSection,
} from "./helpers/streams.js";
import { arbiterOf } from "./helpers/arbiter.js";
import { cleanupEachTest } from "./helpers/cleanup.js";

cleanupEachTest();

/** Waits until `file` holds exactly `expected` (as bytes), and returns the bytes. */
async function waitForContent(file: string, expected: Buffer | string, d?: Circusd) {
  const want = typeof expected === "string" ? Buffer.from(expected) : expected;
  return waitFor(
    () => {
      if (d?.exitStatus) throw new Error(`circusd exited: ${d.stderr}`);
      return existsSync(file) && sizeOf(file) >= want.length ? readText(file) || " " : null;
    },
    {
      message: () =>
        `${file} to hold ${JSON.stringify(want.toString("latin1"))}; it holds ` +
        `${JSON.stringify(readText(file))}` +
        (d ? `\ncircusd log:\n${d.log}\n${d.stderr}` : ""),
    },
  );
}

/** The only live process of watcher `name`. */
async function onlyPid(d: Circusd, name: string): Promise<number> {
  const [pid] = await waitFor(() => (pidsOf(d, name).length === 1 ? pidsOf(d, name) : null), {
    message: () => `one process of ${name}; log:\n${d.log}\n${d.stderr}`,
  });
  return pid as number;
}

/** Waits until a file's size stops changing for `quiet` ms, and returns the size. */
async function settledSize(file: string, quiet = 400): Promise<number> {
  let last = sizeOf(file);
  for (;;) {
    await sleep(quiet);
    const now = sizeOf(file);
    if (now === last) return now;
    last = now;
  }
}

/** Asserts that numbers count up by one from `from`, naming the first break. */
function assertConsecutive(numbers: number[], from: number, what: string): void {
  numbers.forEach((n, i) => {
    if (n !== from + i)
      assert.fail(`${what}: line ${i} is number ${n}, expected ${from + i} (no gap, no repeat)`);
  });
}

/**
 * circusd running a writer of `count` lines of varied lengths, handed over in 4 kB writes,
 * into FileStream `file` with max_bytes = 1000 and `backupCount`; returns once the last line
 * is in `file` and the file stopped growing.
 */
async function writtenWithMaxBytes(
  name: string,
  tag: string,
  file: string,
  backupCount: number,
  count: number,
): Promise<{ d: Circusd; current: string }> {
  const d = startCircusd((dir) =>
    writerSection(dir, name, `--mode lines --vary --tag ${tag} --lines ${count} --chunk 4096`, {
      "stdout_stream.class": "FileStream",
      "stdout_stream.filename": path.join(dir, file),
      "stdout_stream.max_bytes": 1000,
      "stdout_stream.backup_count": backupCount,
    }),
  );
  const current = d.path(file);
  await waitFor(() => readText(current).endsWith(numberedLine(tag, count - 1, true)), {
    message: () =>
      `the last line in ${file} (${JSON.stringify(readText(current).slice(-200))}); ` +
      `log:\n${d.log}\n${d.stderr}`,
  });
  await settledSize(current);
  return { d, current };
}

describe("FileStream", () => {
  test("writes the child's stdout and stderr bytes as they are, for every spelling of the class", async () => {
    const outPieces = [
      b64("hello\n"),
      b64([0xff, 0x00, 0xfe, 0x0d, 0x0a]),
      b64("no newline at the end"),
    ];
    const errPieces = [b64("oops\n"), "", b64("again")];
    const spellings: Record<string, string | null> = {
      implicit: null,
      short: "FileStream",
      dotted: "circus.stream.FileStream",
      module: "circus.stream.file_stream.FileStream",
    };
    const d = startCircusd((dir) =>
      Object.entries(spellings)
        .map(([name, cls]) => {
          const options: Record<string, string> = {
            "stdout_stream.filename": path.join(dir, `${name}.out`),
            "stderr_stream.filename": path.join(dir, `${name}.err`),
          };
          if (cls) {
            options["stdout_stream.class"] = cls;
            options["stderr_stream.class"] = cls;
          }
          return writerSection(
            dir,
            name,
            `--mode raw --pause 150 --out ${outPieces.join(",")} --err ${errPieces.join(",")}`,
            options,
          );
        })
        .join(""),
    );
    const out = Buffer.concat([
      Buffer.from("hello\n"),
      Buffer.from([0xff, 0x00, 0xfe, 0x0d, 0x0a]),
      Buffer.from("no newline at the end"),
    ]);
    for (const name of Object.keys(spellings)) {
      await waitForContent(d.path(`${name}.out`), out, d);
      await waitForContent(d.path(`${name}.err`), "oops\nagain", d);
    }
    await sleep(300);
    for (const name of Object.keys(spellings)) {
      assert.deepEqual(readFileSync(d.path(`${name}.out`)), out, `${name}.out, byte for byte`);
      assert.equal(readText(d.path(`${name}.err`)), "oops\nagain", `${name}.err`);
      assert.equal(pidsOf(d, name).length, 1, `${name} still runs its one process`);
    }
  });

  test("an existing file is appended to, as Circus does, not truncated", async () => {
    const dir = makeTempDir();
    writeFileSync(path.join(dir, "kept.log"), "from an earlier run\n");
    const d = startCircusd(
      writerSection(dir, "kept", `--mode raw --out ${b64("new line\n")}`, {
        "stdout_stream.filename": path.join(dir, "kept.log"),
      }),
      { dir },
    );
    await waitForContent(d.path("kept.log"), "from an earlier run\nnew line\n", d);
    assert.equal(readText(d.path("kept.log")), "from an earlier run\nnew line\n");
  });

  test("time_format prefixes every line with the time and the pid, also lines cut across writes", async () => {
    const t0 = Date.now();
    const pieces = ["one\ntwo\n", "thr", "ee\n", "four\n"].map((p) => b64(p));
    const d = startCircusd((dir) =>
      writerSection(dir, "stamp", `--mode raw --pause 400 --out ${pieces.join(",")}`, {
        "stdout_stream.class": "FileStream",
        "stdout_stream.filename": path.join(dir, "stamp.log"),
        "stdout_stream.time_format": "%Y-%m-%d %H:%M:%S",
      }),
    );
    const pid = await onlyPid(d, "stamp");
    const file = d.path("stamp.log");
    await waitFor(() => /\| four\n$/.test(readText(file)), {
      message: () => `the 4 lines in stamp.log; it holds ${JSON.stringify(readText(file))}`,
    });
    const lines = readText(file).split("\n").slice(0, -1);
    const shape = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d) \[(\d+)\] \| (.*)$/;
    assert.deepEqual(
      lines.map((l) => shape.exec(l)?.[8] ?? `(bad line: ${JSON.stringify(l)})`),
      ["one", "two", "three", "four"],
    );
    for (const line of lines) {
      const m = shape.exec(line) as RegExpExecArray;
      assert.equal(Number(m[7]), pid, `the pid in ${line}`);
      // strftime gives local time.
      const at = new Date(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!).getTime();
      assert.ok(at >= t0 - 1000 && at <= Date.now() + 1000, `a time of this run: ${line}`);
    }
  });

  test("max_bytes + backup_count: files never over max_bytes, cut at line ends, oldest dropped, nothing lost", async () => {
    // ~10.7 kB of lines from 27 to 79 bytes, handed over in 4 kB writes that cut lines.
    const count = 200;
    const expected = numberedText("r", count, true);
    const { d } = await writtenWithMaxBytes("rot", "r", "app.log", 3, count);
    assert.deepEqual(filesStartingWith(d.dir, "app.log"), [
      "app.log",
      "app.log.1",
      "app.log.2",
      "app.log.3",
    ]);
    const files = ["app.log.3", "app.log.2", "app.log.1", "app.log"].map((n) => d.path(n));
    const texts = files.map((f) => readText(f));
    for (const [i, text] of texts.entries()) {
      const size = Buffer.byteLength(text);
      assert.ok(size > 0 && size <= 1000, `${files[i]} is ${size} bytes`);
    }
    const kept = texts.join("");
    assert.ok(expected.endsWith(kept), "the kept files hold the end of the output, in order");
    assert.equal(
      expected[expected.length - kept.length - 1],
      "\n",
      "the oldest kept file starts at a line start",
    );
    // Each rotated file was cut at the last line end that fit: the next line did not fit.
    for (let i = 0; i < 3; i++) {
      const text = texts[i] as string;
      assert.ok(text.endsWith("\n"), `${files[i]} ends at a line end`);
      const nextLine = (texts[i + 1] as string).split("\n")[0] as string;
      assert.ok(
        text.length + nextLine.length + 1 > 1000,
        `${files[i]} (${text.length} bytes) had room for the next line (${nextLine.length + 1})`,
      );
    }
  });

  test("max_bytes with time_format: the prefixes count, every file stays under max_bytes", async () => {
    const d = startCircusd((dir) =>
      writerSection(dir, "both", "--mode lines --vary --tag b --lines 150 --chunk 1000", {
        "stdout_stream.filename": path.join(dir, "both.log"),
        "stdout_stream.time_format": "%Y-%m-%d %H:%M:%S",
        "stdout_stream.max_bytes": 1000,
        "stdout_stream.backup_count": 50,
      }),
    );
    const pid = await onlyPid(d, "both");
    const current = d.path("both.log");
    await waitFor(() => numbersIn(readText(current), "b").includes(149), {
      message: () => `the last line in both.log; log:\n${d.log}\n${d.stderr}`,
    });
    await settledSize(current);
    const ordered = filesStartingWith(d.dir, "both.log").sort((a, b) => {
      const rank = (n: string) => (n === "both.log" ? 0 : Number(n.slice("both.log.".length)));
      return rank(b) - rank(a);
    });
    assert.ok(ordered.length >= 10, `files: ${ordered.join(", ")}`);
    const shape = new RegExp(
      `^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d \\[${pid}\\] \\| b:\\d{10} x+$`,
    );
    for (const name of ordered) {
      const text = readText(d.path(name));
      assert.ok(Buffer.byteLength(text) <= 1000, `${name} is ${Buffer.byteLength(text)} bytes`);
      assert.ok(text.endsWith("\n"), `${name} ends at a line end`);
      for (const line of text.split("\n").slice(0, -1)) assert.match(line, shape, name);
    }
    const all = ordered.map((n) => readText(d.path(n))).join("");
    assertConsecutive(numbersIn(all, "b"), 0, "every line once, in order");
    assert.equal(numbersIn(all, "b").length, 150);
  });

  test("max_bytes: a single line longer than max_bytes is split across files", async () => {
    const long = "L".repeat(2500) + "\n";
    const d = startCircusd((dir) =>
      writerSection(dir, "long", `--mode raw --pause 100 --out ${b64(long)},${b64("short\n")}`, {
        "stdout_stream.filename": path.join(dir, "long.log"),
        "stdout_stream.max_bytes": 1000,
        "stdout_stream.backup_count": 10,
      }),
    );
    const current = d.path("long.log");
    await waitFor(() => readText(current).endsWith("short\n"), {
      message: () => `short in long.log; log:\n${d.log}\n${d.stderr}`,
    });
    await settledSize(current);
    const names = filesStartingWith(d.dir, "long.log");
    const ordered = names.sort((a, b) => {
      const rank = (n: string) => (n === "long.log" ? 0 : Number(n.slice("long.log.".length)));
      return rank(b) - rank(a);
    });
    assert.ok(ordered.length >= 3, `the line spans at least 3 files: ${names.join(", ")}`);
    for (const name of ordered)
      assert.ok(sizeOf(d.path(name)) <= 1000, `${name} is ${sizeOf(d.path(name))} bytes`);
    assert.equal(ordered.map((n) => readText(d.path(n))).join(""), long + "short\n");
  });

  test("max_bytes with backup_count = 0: the file restarts, no backup is kept", async () => {
    const count = 200;
    const expected = numberedText("z", count, true);
    const { d, current } = await writtenWithMaxBytes("zero", "z", "zero.log", 0, count);
    assert.deepEqual(filesStartingWith(d.dir, "zero.log"), ["zero.log"]);
    const text = readText(current);
    assert.ok(text.length > 0 && text.length <= 1000, `zero.log is ${text.length} bytes`);
    assert.ok(expected.endsWith(text), "zero.log holds the last lines");
    assert.equal(expected[expected.length - text.length - 1], "\n", "from a line start");
  });
});

describe("TimedRotatingFileStream", () => {
  test("rotate_when = S: files named by the time (local or utc), backup_count kept, nothing lost", async () => {
    // A zone 5:30 from UTC, so that local and UTC suffixes cannot be mistaken for each other.
    const t0 = Date.now();
    const d = startCircusd(
      (dir) =>
        writerSection(dir, "local", "--mode tick --every 40 --tag local", {
          "stdout_stream.class": "TimedRotatingFileStream",
          "stdout_stream.filename": path.join(dir, "local.log"),
          "stdout_stream.rotate_when": "s",
          "stdout_stream.rotate_interval": 1,
          "stdout_stream.backup_count": 2,
        }) +
        writerSection(dir, "utc", "--mode tick --every 40 --tag utc", {
          "stdout_stream.class": "circus.stream.TimedRotatingFileStream",
          "stdout_stream.filename": path.join(dir, "utc.log"),
          "stdout_stream.rotate_when": "S",
          "stdout_stream.rotate_interval": 1,
          "stdout_stream.backup_count": 2,
          "stdout_stream.utc": "True",
        }),
      { env: { ...process.env, TZ: "Asia/Kolkata" } },
    );
    await waitFor(() => readText(d.path("local.log")) && readText(d.path("utc.log")), {
      message: () => `both files to be written; log:\n${d.log}\n${d.stderr}`,
    });
    await sleep(4000);
    await d.stop();
    const t1 = Date.now();
    for (const [name, offset] of [
      ["local", 330],
      ["utc", 0],
    ] as const) {
      const rotated = filesStartingWith(d.dir, `${name}.log.`);
      assert.equal(rotated.length, 2, `backup_count = 2 keeps 2 files: ${rotated.join(", ")}`);
      const suffixes = rotated.map((f) => f.slice(`${name}.log.`.length));
      for (const suffix of suffixes) {
        assert.match(suffix, /^\d{14}$/, "suffix %Y%m%d%H%M%S");
        const at = dateFromDigits(suffix, offset).getTime();
        assert.ok(
          at >= t0 - 2000 && at <= t1,
          `${name}.log.${suffix} names a time of this run (${new Date(at).toISOString()})`,
        );
      }
      assert.notEqual(suffixes[0], suffixes[1]);
      const text = [...rotated, `${name}.log`].map((f) => readText(d.path(f))).join("");
      const numbers = numbersIn(text, name);
      assert.ok(numbers.length > 10, `${numbers.length} lines`);
      assertConsecutive(numbers, numbers[0] as number, `${name}: the kept files in order`);
      assert.ok((numbers[0] as number) > 0, "the oldest file was dropped");
    }
  });

  test("rotate_when accepts M, H, D, midnight and W0-W6, in any case", async () => {
    const values = ["M", "h", "D", "midnight", "MIDNIGHT", "W0", "w6"];
    const d = startCircusd((dir) =>
      values
        .map((when, i) =>
          writerSection(dir, `t${i}`, `--mode tick --every 200 --tag t${i}`, {
            "stdout_stream.class": "TimedRotatingFileStream",
            "stdout_stream.filename": path.join(dir, `t${i}.log`),
            "stdout_stream.rotate_when": when,
            "stdout_stream.backup_count": 3,
          }),
        )
        .join(""),
    );
    for (const [i, when] of values.entries()) {
      await waitFor(() => numbersIn(readText(d.path(`t${i}.log`)), `t${i}`).length >= 2, {
        message: () => `lines from rotate_when = ${when}; log:\n${d.log}\n${d.stderr}`,
      });
    }
  });
});

describe("WatchedFileStream", () => {
  test("a file moved or deleted by another tool is replaced by a fresh one at the path", async () => {
    const d = startCircusd((dir) =>
      writerSection(dir, "watched", "--mode tick --every 30 --tag w", {
        "stdout_stream.class": "WatchedFileStream",
        "stdout_stream.filename": path.join(dir, "w.log"),
        "stdout_stream.time_format": "%H:%M:%S",
      }),
    );
    const pid = await onlyPid(d, "watched");
    const file = d.path("w.log");
    await waitFor(() => numbersIn(readText(file), "w").length >= 5, {
      message: () => `lines in w.log; log:\n${d.log}\n${d.stderr}`,
    });
    const stamped = new RegExp(`^\\d\\d:\\d\\d:\\d\\d \\[${pid}\\] \\| w:\\d{10} x+$`);
    for (const line of readText(file).split("\n").slice(0, -1)) assert.match(line, stamped);

    // logrotate's "create" way: move the file away.
    renameSync(file, d.path("w.log.1"));
    await waitFor(() => numbersIn(readText(file), "w").length >= 5, {
      message: "a fresh w.log after the move",
    });
    const movedSize = await settledSize(d.path("w.log.1"));
    await sleep(300);
    assert.equal(sizeOf(d.path("w.log.1")), movedSize, "the moved file is no longer written");
    const moved = numbersIn(readText(d.path("w.log.1")), "w");
    const fresh = numbersIn(readText(file), "w");
    assertConsecutive([...moved, ...fresh], 0, "moved file then fresh file");

    // Deleted outright: the next lines go to yet another file at the path.
    const beforeDelete = numbersIn(readText(file), "w");
    unlinkSync(file);
    await waitFor(() => numbersIn(readText(file), "w").length >= 5, {
      message: "a fresh w.log after the delete",
    });
    const last = beforeDelete[beforeDelete.length - 1] as number;
    const third = numbersIn(readText(file), "w");
    assert.ok((third[0] as number) > last, `new lines (${third[0]}) after ${last}`);
    assertConsecutive(third, third[0] as number, "the third file");
    assert.deepEqual(pidsOf(d, "watched"), [pid], "the child never noticed");
  });
});

describe("StdoutStream and FancyStdoutStream", () => {
  test("StdoutStream puts the bytes on circusd's stdout; FancyStdoutStream colors and stamps each line", async () => {
    const t0 = Date.now();
    const d = startCircusd(
      (dir) =>
        writerSection(
          dir,
          "plain",
          `--mode raw --pause 100 --out ${b64("plain-1\nplain-2\n")} --err ${b64("plain-err\n")}`,
          { "stdout_stream.class": "StdoutStream", "stderr_stream.class": "StdoutStream" },
        ) +
        writerSection(dir, "fancy", `--mode raw --out ${b64("fancy-1\nfancy-2\n")}`, {
          "stdout_stream.class": "FancyStdoutStream",
          "stdout_stream.color": "green",
          "stdout_stream.time_format": "%Y/%m/%d | %H:%M:%S",
        }) +
        writerSection(dir, "red", `--mode raw --out ${b64("red-1\n")}`, {
          "stdout_stream.class": "circus.stream.FancyStdoutStream",
          "stdout_stream.color": "red",
        }),
    );
    const fancyPid = await onlyPid(d, "fancy");
    const redPid = await onlyPid(d, "red");
    for (const line of ["plain-1", "plain-2", "plain-err"])
      await d.waitForLog(new RegExp(`^${line}$`));
    const green = await d.waitForLog(/fancy-2/);
    const first = d.lines.find((l) => l.includes("fancy-1")) as string;
    const greenShape = new RegExp(
      `^\\x1b\\[0;32;40m(\\d{4})/(\\d\\d)/(\\d\\d) \\| (\\d\\d):(\\d\\d):(\\d\\d) fancy\\[${fancyPid}\\] \\| fancy-([12])\\x1b\\[0m$`,
    );
    assert.match(first, greenShape);
    assert.match(green, greenShape);
    const m = greenShape.exec(green) as RegExpExecArray;
    const at = new Date(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!).getTime();
    assert.ok(at >= t0 - 1000 && at <= Date.now() + 1000, `a time of this run: ${green}`);
    const red = await d.waitForLog(/red-1/);
    assert.match(
      red,
      new RegExp(
        `^\\x1b\\[0;31;40m\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d red\\[${redPid}\\] \\| red-1\\x1b\\[0m$`,
      ),
    );
  });

  test("StdoutStream writes to circusd's stdout even when the log goes to a file", async () => {
    const dir = makeTempDir();
    const logFile = path.join(dir, "circusd.log");
    const d = startCircusd(
      writerSection(dir, "tolog", `--mode raw --out ${b64("stream-line-1\nstream-line-2\n")}`, {
        "stdout_stream.class": "StdoutStream",
      }),
      { dir, args: ["--log-output", logFile] },
    );
    await d.waitForLog(/^stream-line-2$/);
    assert.deepEqual(
      d.lines.filter((l) => l.startsWith("stream-line")),
      ["stream-line-1", "stream-line-2"],
    );
    await waitFor(() => readText(logFile).includes("tolog started"), {
      message: () => `the log file to fill: ${readText(logFile)}`,
    });
    assert.ok(!readText(logFile).includes("stream-line"), "the child's output is not in the log");
  });

  test("FancyStdoutStream colors: yellow 33, blue 34, magenta 35, cyan 36, white 37", async () => {
    const colors = { yellow: 3, blue: 4, magenta: 5, cyan: 6, white: 7 };
    const d = startCircusd((dir) =>
      Object.keys(colors)
        .map((color) =>
          writerSection(dir, color, `--mode raw --out ${b64(`${color}-line\n`)}`, {
            "stdout_stream.class": "FancyStdoutStream",
            "stdout_stream.color": color,
            "stdout_stream.time_format": "%H:%M:%S",
          }),
        )
        .join(""),
    );
    for (const [color, n] of Object.entries(colors)) {
      const pid = await onlyPid(d, color);
      const line = await d.waitForLog(new RegExp(`${color}-line`));
      assert.match(
        line,
        new RegExp(
          `^\\x1b\\[0;3${n};40m\\d\\d:\\d\\d:\\d\\d ${color}\\[${pid}\\] \\| ${color}-line\\x1b\\[0m$`,
        ),
      );
    }
  });
});

describe("lines and deaths", () => {
  test("a child that dies in the middle of a line: its last bytes are written", async () => {
    const d = startCircusd(
      (dir) =>
        writerSection(
          dir,
          "cut",
          `--mode raw --pause 100 --out ${b64("whole line\n")},${b64("half a li")} --exit`,
          { respawn: false, "stdout_stream.filename": path.join(dir, "cut.log") },
        ) +
        writerSection(
          dir,
          "killed",
          `--mode raw --pause 100 --out ${b64("first\n")},${b64("last-partial")} ` +
            `--done ${path.join(dir, "killed.done")}`,
          {
            respawn: false,
            "stdout_stream.filename": path.join(dir, "killed.log"),
            "stdout_stream.time_format": "%H:%M:%S",
          },
        ),
    );
    const pid = await onlyPid(d, "killed");
    await waitFor(() => existsSync(d.path("killed.done")), { message: "killed.done" });
    await sleep(100);
    process.kill(pid, "SIGKILL");
    await waitForContent(d.path("cut.log"), "whole line\nhalf a li", d);
    assert.equal(readText(d.path("cut.log")), "whole line\nhalf a li");
    const killed = d.path("killed.log");
    await waitFor(() => readText(killed).includes("last-partial"), {
      message: () => `last-partial in killed.log: ${JSON.stringify(readText(killed))}\n${d.log}`,
    });
    const lines = readText(killed).replace(/\n$/, "").split("\n");
    assert.equal(lines.length, 2, JSON.stringify(readText(killed)));
    assert.match(lines[0] as string, new RegExp(`^\\d\\d:\\d\\d:\\d\\d \\[${pid}\\] \\| first$`));
    assert.match(
      lines[1] as string,
      new RegExp(`^\\d\\d:\\d\\d:\\d\\d \\[${pid}\\] \\| last-partial$`),
    );
  });

  test("without a stream, output is read and dropped: 50 MB on stdout and stderr do not block", async () => {
    const d = startCircusd((dir) =>
      writerSection(
        dir,
        "noisy",
        `--mode big --bytes ${50 * 1024 * 1024} --to both --done ${path.join(dir, "noisy.done")}`,
      ),
    );
    const pid = await onlyPid(d, "noisy");
    await waitFor(() => existsSync(d.path("noisy.done")), {
      timeout: 30_000,
      message: "the child to write 2 x 50 MB",
    });
    assert.deepEqual(pidsOf(d, "noisy"), [pid]);
    assert.ok(rssBytes(d.pid) < 200 * 1024 * 1024, `circusd RSS ${rssBytes(d.pid)}`);
  });
});

describe("user stream classes", () => {
  interface StreamRecord {
    event: "construct" | "write" | "close";
    instance: string;
    options?: Record<string, unknown>;
    module?: string;
    keys?: string[];
    pid?: number;
    name?: string;
    watcher?: string | null;
    isBuffer?: boolean;
    data?: string;
  }
  const records = (file: string): StreamRecord[] =>
    readText(file)
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as StreamRecord);
  const written = (file: string) =>
    records(file)
      .filter((r) => r.event === "write")
      .map((r) => Buffer.from(r.data ?? "", "base64").toString())
      .join("");

  test("module:Class (.mjs and .ts, relative to the config file) gets its options and every chunk; close() at stop", async () => {
    const dir = makeTempDir();
    mkdirSync(path.join(dir, "lib"));
    copyFileSync(path.join(STREAM_FIXTURES, "my-stream.mjs"), path.join(dir, "lib/my-stream.mjs"));
    copyFileSync(path.join(STREAM_FIXTURES, "my-stream.ts"), path.join(dir, "lib/my-stream.ts"));
    const files = {
      mjsOut: path.join(dir, "mjs-out.jsonl"),
      mjsErr: path.join(dir, "mjs-err.jsonl"),
      tsOut: path.join(dir, "ts-out.jsonl"),
    };
    const d = startCircusd(
      writerSection(
        dir,
        "usermjs",
        `--mode raw --pause 100 --out ${b64("to-stdout\n")},${b64("more\n")} --err ${b64("to-stderr\n")}`,
        {
          "stdout_stream.class": "./lib/my-stream.mjs:MyStream",
          "stdout_stream.filename": files.mjsOut,
          "stdout_stream.prefix": "x",
          "stdout_stream.max_lines": 12,
          "stderr_stream.class": "./lib/my-stream.mjs:MyStream",
          "stderr_stream.filename": files.mjsErr,
        },
      ) +
        writerSection(dir, "userts", `--mode raw --out ${b64("from-ts\n")}`, {
          "stdout_stream.class": "./lib/my-stream.ts:MyStream",
          "stdout_stream.filename": files.tsOut,
        }),
      // Not the config's folder: relative module paths follow the config file.
      { dir, cwd: "/" },
    );
    const mjsPid = await onlyPid(d, "usermjs");
    const tsPid = await onlyPid(d, "userts");
    await waitFor(() => written(files.mjsOut) === "to-stdout\nmore\n", {
      message: () => `the stdout chunks in ${files.mjsOut}:\n${readText(files.mjsOut)}\n${d.log}`,
    });
    await waitFor(() => written(files.mjsErr) === "to-stderr\n", {
      message: () => `the stderr chunk in ${files.mjsErr}:\n${readText(files.mjsErr)}\n${d.log}`,
    });
    await waitFor(() => written(files.tsOut) === "from-ts\n", {
      message: () => `the chunk in ${files.tsOut}:\n${readText(files.tsOut)}\n${d.log}`,
    });

    // The instance that receives the writes (circusd may build others, e.g. to check the
    // options, as long as they get no output).
    const writer = (file: string) => {
      const ids = new Set(records(file).flatMap((r) => (r.event === "write" ? [r.instance] : [])));
      assert.equal(ids.size, 1, `one instance gets every write of ${file}:\n${readText(file)}`);
      return [...ids][0] as string;
    };
    const mjsOut = writer(files.mjsOut);
    const mjsErr = writer(files.mjsErr);
    assert.notEqual(mjsOut, mjsErr, "stdout and stderr have an instance each");
    const construct = records(files.mjsOut).find(
      (r) => r.event === "construct" && r.instance === mjsOut,
    );
    assert.deepEqual(construct, {
      event: "construct",
      instance: mjsOut,
      module: "mjs",
      options: { filename: files.mjsOut, prefix: "x", max_lines: "12" },
    });
    const tsOut = writer(files.tsOut);
    assert.equal(
      records(files.tsOut).find((r) => r.event === "construct" && r.instance === tsOut)?.module,
      "ts",
    );
    for (const [file, name, pid, watcher] of [
      [files.mjsOut, "stdout", mjsPid, "usermjs"],
      [files.mjsErr, "stderr", mjsPid, "usermjs"],
      [files.tsOut, "stdout", tsPid, "userts"],
    ] as const) {
      const writes = records(file).filter((r) => r.event === "write");
      assert.ok(writes.length > 0);
      for (const w of writes) {
        assert.deepEqual(
          { name: w.name, pid: w.pid, watcher: w.watcher, isBuffer: w.isBuffer },
          { name, pid, watcher, isBuffer: true },
          file,
        );
        for (const key of ["data", "name", "pid", "watcher"])
          assert.ok(w.keys?.includes(key), `${key} in ${w.keys?.join(",")}`);
      }
    }
    const closed = (file: string, instance: string) =>
      records(file).some((r) => r.event === "close" && r.instance === instance);
    assert.ok(!closed(files.mjsOut, mjsOut), "the stdout stream is not closed yet");

    const c = await connect(d);
    const reply = await c.call("stop", { name: "usermjs", waiting: true });
    assert.equal(reply.status, "ok", JSON.stringify(reply));
    for (const [file, instance] of [
      [files.mjsOut, mjsOut],
      [files.mjsErr, mjsErr],
    ] as const) {
      await waitFor(() => closed(file, instance), {
        message: () => `close() of instance ${instance} in ${file}:\n${readText(file)}`,
      });
    }
    assert.ok(!closed(files.tsOut, tsOut), "userts still runs: its stream stays open");
    assert.equal(written(files.mjsOut), "to-stdout\nmore\n", "nothing written after close");
  });

  test("a write() that returns a promise slows the child until it resolves; nothing is lost", async () => {
    const dir = makeTempDir();
    copyFileSync(path.join(STREAM_FIXTURES, "my-stream.mjs"), path.join(dir, "my-stream.mjs"));
    const total = 32 * 1024 * 1024;
    const progress = path.join(dir, "progress");
    const received = path.join(dir, "received");
    const gate = path.join(dir, "gate");
    const d = startCircusd(
      writerSection(
        dir,
        "gated",
        `--mode big --bytes ${total} --progress ${progress} --done ${path.join(dir, "done")}`,
        {
          "stdout_stream.class": "./my-stream.mjs:GatedStream",
          "stdout_stream.filename": received,
          "stdout_stream.gate": gate,
        },
      ),
      { dir },
    );
    await waitFor(() => Number(readText(received)) > 0, {
      message: () => `the stream's first write; log:\n${d.log}\n${d.stderr}`,
    });
    await sleep(1500);
    const sent = Number(readText(progress));
    assert.ok(
      sent < 8 * 1024 * 1024,
      `the child went on writing (${sent} bytes) while the stream's write was pending`,
    );
    assert.ok(!existsSync(path.join(dir, "done")));
    writeFileSync(gate, "");
    await waitFor(() => existsSync(path.join(dir, "done")), {
      timeout: 30_000,
      message: () => `the child to finish once the gate opened (progress ${readText(progress)})`,
    });
    await waitFor(() => Number(readText(received)) === total, {
      message: () => `${total} bytes received; got ${readText(received)}`,
    });
  });
});

describe("close_child_*", () => {
  test("close_child_stdout / close_child_stderr send that output to /dev/null", async () => {
    const args = (dir: string, name: string) =>
      `--mode raw --out ${b64("to-out\n")} --err ${b64("to-err\n")} --done ${path.join(dir, `${name}.done`)}`;
    const files = (dir: string, name: string) => ({
      "stdout_stream.filename": path.join(dir, `${name}.out`),
      "stderr_stream.filename": path.join(dir, `${name}.err`),
    });
    const d = startCircusd(
      (dir) =>
        writerSection(dir, "noout", args(dir, "noout"), {
          close_child_stdout: true,
          ...files(dir, "noout"),
        }) +
        writerSection(dir, "noerr", args(dir, "noerr"), {
          close_child_stderr: "True",
          ...files(dir, "noerr"),
        }),
    );
    const nooutPid = await onlyPid(d, "noout");
    const noerrPid = await onlyPid(d, "noerr");
    await waitForContent(d.path("noout.err"), "to-err\n", d);
    await waitForContent(d.path("noerr.out"), "to-out\n", d);
    await sleep(300);
    assert.ok(sizeOf(d.path("noout.out")) <= 0, "close_child_stdout: the stdout file stays empty");
    assert.ok(sizeOf(d.path("noerr.err")) <= 0, "close_child_stderr: the stderr file stays empty");
    assert.equal(readText(d.path("noout.err")), "to-err\n");
    assert.equal(readText(d.path("noerr.out")), "to-out\n");
    assert.equal(readlinkSync(`/proc/${nooutPid}/fd/1`), "/dev/null");
    assert.equal(readlinkSync(`/proc/${noerrPid}/fd/2`), "/dev/null");
  });
});

describe("streams across stop, start and set", () => {
  test("stop flushes and closes the file; start reopens it at the path", async () => {
    const d = startCircusd((dir) =>
      writerSection(dir, "cycle", "--mode tick --every 30 --tag c", {
        "stdout_stream.filename": path.join(dir, "cycle.log"),
      }),
    );
    const file = d.path("cycle.log");
    await waitFor(() => numbersIn(readText(file), "c").length >= 5, {
      message: () => `lines in cycle.log; log:\n${d.log}\n${d.stderr}`,
    });
    const c = await connect(d);
    assert.equal((await c.call("stop", { name: "cycle", waiting: true })).status, "ok");
    assert.ok(!openFiles(d.pid).includes(file), "circusd still holds cycle.log open");
    const text = readText(file);
    assert.ok(text.endsWith("\n"), "only whole lines: the last one was flushed");
    assertConsecutive(numbersIn(text, "c"), 0, "cycle.log before the stop");

    renameSync(file, d.path("cycle.old"));
    assert.equal((await c.call("start", { name: "cycle", waiting: true })).status, "ok");
    await waitFor(() => numbersIn(readText(file), "c").length >= 3, {
      message: () => `a new cycle.log after start; log:\n${d.log}`,
    });
    assert.equal(readText(d.path("cycle.old")), text, "the moved file is left alone");
    assert.equal(numbersIn(readText(file), "c")[0], 0, "the new process's lines, from its first");
  });

  test("set stdout_stream.filename / stdout_stream.class switches the output at run time", async () => {
    const d = startCircusd((dir) =>
      writerSection(dir, "sw", "--mode tick --every 30 --tag swtag", {
        "stdout_stream.filename": path.join(dir, "a.log"),
      }),
    );
    const a = d.path("a.log");
    const b = d.path("b.log");
    await waitFor(() => numbersIn(readText(a), "swtag").length >= 3, {
      message: () => `lines in a.log; log:\n${d.log}\n${d.stderr}`,
    });
    const c = await connect(d);
    const reply = await c.call("set", {
      name: "sw",
      options: { "stdout_stream.filename": b },
      waiting: true,
    });
    assert.equal(reply.status, "ok", JSON.stringify(reply));
    await waitFor(() => numbersIn(readText(b), "swtag").length >= 3, {
      message: () => `lines in b.log after set; log:\n${d.log}`,
    });
    const aSize = await settledSize(a);
    await sleep(300);
    assert.equal(sizeOf(a), aSize, "a.log is no longer written");

    const ctl = await runCtl([
      "--endpoint",
      testEndpoints(d.dir).endpoint as string,
      "set",
      "sw",
      "stdout_stream.class",
      "StdoutStream",
    ]);
    assert.equal(ctl.code, 0, `circusctl set: ${ctl.stdout}${ctl.stderr}`);
    await d.waitForLog(/^swtag:\d{10} x+$/);
    const bSize = await settledSize(b);
    await sleep(300);
    assert.equal(sizeOf(b), bSize, "b.log is no longer written");
  });
});

describe("QueueStream (library)", () => {
  before(() => logger.setSink({ write: () => undefined }));

  test("getArbiter with a QueueStream: get() gives each chunk with pid, name and watcher", async () => {
    const dir = makeTempDir();
    const a = arbiterOf(dir, [
      {
        name: "q",
        cmd: writerCmd(
          dir,
          "q",
          `--mode raw --pause 300 --out ${b64("q-one\n")},${b64("q-two\n")}`,
        ),
        gracefulTimeout: 1,
        stdoutStream: { class: "QueueStream", options: {} },
      },
    ]);
    await a.start();
    const watcher = a.getWatcher("q");
    assert.ok(watcher);
    interface Message {
      pid: number;
      name: string;
      data: Buffer;
      watcher: unknown;
    }
    const q = (watcher as unknown as { stdoutStream: { get(): Promise<Message>; size: number } })
      .stdoutStream;
    assert.ok(q && typeof q.get === "function", "the watcher's stdoutStream is the queue");
    await waitFor(() => q.size >= 2, { message: () => `2 chunks queued; size ${q.size}` });
    const pids = [...watcher.pids()];
    let text = "";
    while (text !== "q-one\nq-two\n") {
      const message = await Promise.race([
        q.get(),
        sleep(5000).then(() => assert.fail(`no more chunk after ${JSON.stringify(text)}`)),
      ]);
      assert.ok(Buffer.isBuffer(message.data));
      assert.equal(message.name, "stdout");
      assert.ok(pids.includes(message.pid), `pid ${message.pid} of ${pids.join(",")}`);
      const w = message.watcher;
      assert.equal(typeof w === "string" ? w : (w as { name?: string }).name, "q");
      text += message.data.toString();
      assert.ok("q-one\nq-two\n".startsWith(text), JSON.stringify(text));
    }
    assert.equal(q.size, 0);
    assert.ok(procArgv(pids[0] as number).includes("--watcher"));
  });
});
