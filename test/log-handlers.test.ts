/**
 * The logging pieces on real files and sockets, in this process: the handlers' rollover
 * rules, syslog priorities, the logger tree (levels, propagation), and the public Logger API.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { makeTempDir } from "./helpers/circusd.js";
import { FileHandler, RotatingFileHandler } from "../src/log/handlers.js";
import { SysLogHandler } from "../src/log/syslog-handler.js";
import { TimedRotatingFileHandler } from "../src/log/timed-rotating-handler.js";
import { configureDefault, configureFromFile, LoggingConfigError } from "../src/log/config.js";
import { Logger, logger } from "../src/log/logger.js";
import { CRITICAL, DEBUG, ERROR, INFO, WARNING, makeRecord } from "../src/log/record.js";
import { Formatter } from "../src/log/formatter.js";
import { copyLogFixture, writeJsonConfig } from "./helpers/log.js";
import { cleanupEachTest } from "./helpers/cleanup.js";

cleanupEachTest();

describe("file handlers", () => {
  test("TimedRotatingFileHandler (when = S) renames with Python's suffix and keeps backupCount", async () => {
    const dir = makeTempDir();
    const file = path.join(dir, "t.log");
    const h = new TimedRotatingFileHandler(file, "s", 1, 1);
    h.formatter = new Formatter("%(message)s");
    h.handle(makeRecord("circus", INFO, "one"));
    await sleep(1100);
    h.handle(makeRecord("circus", INFO, "two"));
    await sleep(1100);
    h.handle(makeRecord("circus", INFO, "three"));
    h.close();
    const backups = readdirSync(dir).filter((f) => f.startsWith("t.log."));
    assert.equal(backups.length, 1, `backupCount = 1: ${backups.join(", ")}`);
    assert.match(backups[0]!, /^t\.log\.\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d$/);
    assert.equal(readFileSync(path.join(dir, backups[0]!), "utf8"), "two\n");
    assert.equal(readFileSync(file, "utf8"), "three\n");
  });

  test("TimedRotatingFileHandler refuses a bad when before creating the file", () => {
    const dir = makeTempDir();
    const file = path.join(dir, "t.log");
    assert.throws(
      () => new TimedRotatingFileHandler(file, "fortnight"),
      /expected S, M, H, D, MIDNIGHT or W0-W6/,
    );
    assert.throws(() => new TimedRotatingFileHandler(file, "W7"), /from 0 to 6/);
    assert.ok(!existsSync(file));
  });

  test("RotatingFileHandler with backupCount 0 never renames (as Python)", () => {
    const dir = makeTempDir();
    const file = path.join(dir, "r.log");
    const h = new RotatingFileHandler(file, "a", 10, 0);
    for (let i = 0; i < 5; i++) h.handle(makeRecord("circus", INFO, `line ${i}`));
    h.close();
    assert.deepEqual(readdirSync(dir), ["r.log"]);
    assert.equal(readFileSync(file, "utf8").split("\n").length, 6);
  });

  test("FileHandler mode w truncates, mode a appends, delay opens at the first line", () => {
    const dir = makeTempDir();
    const file = path.join(dir, "f.log");
    writeFileSync(file, "old\n");
    const a = new FileHandler(file, "a");
    a.handle(makeRecord("circus", INFO, "appended"));
    a.close();
    assert.equal(readFileSync(file, "utf8"), "old\nappended\n");
    const w = new FileHandler(file, "w");
    w.handle(makeRecord("circus", INFO, "fresh"));
    w.close();
    assert.equal(readFileSync(file, "utf8"), "fresh\n");
    const delayed = path.join(dir, "delayed.log");
    const d = new FileHandler(delayed, "a", true);
    assert.ok(!existsSync(delayed));
    d.handle(makeRecord("circus", INFO, "now"));
    d.close();
    assert.equal(readFileSync(delayed, "utf8"), "now\n");
  });
});

describe("syslog priorities", () => {
  test("PRI = facility * 8 + severity, and the trailing NUL", () => {
    const h = new SysLogHandler({ host: "127.0.0.1", port: 9 }, 19);
    h.formatter = new Formatter("%(message)s");
    const pri = (levelno: number) =>
      /^<(\d+)>/.exec(h.encode(makeRecord("circus", levelno, "m")).toString())![1];
    assert.deepEqual([DEBUG, INFO, WARNING, ERROR, CRITICAL].map(pri), [
      "159",
      "158",
      "156",
      "155",
      "154",
    ]);
    assert.equal(h.encode(makeRecord("circus", INFO, "é")).toString("utf8"), "<158>é\0");
    const user = new SysLogHandler();
    assert.match(user.encode(makeRecord("circus", INFO, "x")).toString(), /^<14>x\0$/);
  });
});

describe("the logger tree", () => {
  test("levels, propagation and handler levels as Python's logging", async () => {
    const dir = makeTempDir();
    const conf = writeJsonConfig(dir, "tree.json", {
      version: 1,
      disable_existing_loggers: false,
      formatters: { f: { format: "%(name)s:%(levelname)s:%(message)s" } },
      handlers: {
        own: {
          class: "logging.FileHandler",
          filename: path.join(dir, "own.log"),
          formatter: "f",
        },
        root: {
          class: "logging.FileHandler",
          filename: path.join(dir, "root.log"),
          formatter: "f",
          level: "ERROR",
        },
      },
      loggers: { circus: { level: "INFO", handlers: ["own"] } },
      root: { level: "CRITICAL", handlers: ["root"] },
    });
    await configureFromFile(conf);
    assert.equal(logger.level, "info");
    assert.equal(logger.enabled("debug"), false);
    logger.debug("hidden");
    logger.info("info line");
    logger.error("error line");
    logger.level = "debug";
    logger.debug("now shown");
    // root's CRITICAL level does not filter what circus propagates; root's handler level does.
    assert.equal(
      readFileSync(path.join(dir, "own.log"), "utf8"),
      "circus:INFO:info line\ncircus:ERROR:error line\ncircus:DEBUG:now shown\n",
    );
    assert.equal(readFileSync(path.join(dir, "root.log"), "utf8"), "circus:ERROR:error line\n");

    await configureDefault(WARNING, path.join(dir, "default.log"));
    assert.equal(logger.level, "warning");
    logger.info("not at warning");
    logger.warning("warned");
    const text = readFileSync(path.join(dir, "default.log"), "utf8");
    assert.match(
      text,
      new RegExp(
        `^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d circus\\[${process.pid}\\] \\[WARNING\\] warned\\n$`,
      ),
    );
  });

  test("a failed configuration leaves the running one in place", async () => {
    const dir = makeTempDir();
    await configureDefault(INFO, path.join(dir, "kept.log"));
    const conf = path.join(dir, "bad.yaml");
    writeFileSync(
      conf,
      `version: 1\nhandlers:\n  a:\n    class: FileHandler\n    filename: ${dir}/a.log\n  b:\n    class: Nope\n`,
    );
    await assert.rejects(
      configureFromFile(conf),
      (e: unknown) =>
        e instanceof LoggingConfigError && /handlers\.b\.class/.test((e as Error).message),
    );
    logger.info("still here");
    assert.match(readFileSync(path.join(dir, "kept.log"), "utf8"), /still here/);
  });

  test("new Logger(sink, level, name) is standalone; setSink redirects the shared one", () => {
    const lines: string[] = [];
    const own = new Logger({ write: (l) => void lines.push(l) }, "warning", "mine");
    own.info("no");
    own.warning("yes");
    assert.equal(lines.length, 1);
    assert.match(
      lines[0]!,
      new RegExp(`^\\S+ \\S+ mine\\[${process.pid}\\] \\[WARNING\\] yes\\n$`),
    );
    const shared: string[] = [];
    logger.setSink({ write: (l) => void shared.push(l) });
    logger.level = "info";
    logger.info("to the sink");
    assert.equal(shared.length, 1);
    assert.match(shared[0]!, /circus\[\d+\] \[INFO\] to the sink\n$/);
  });
});

/** The same messages through Python's logging.config and ours, from the same file. */
const PY_CONFIGURE = `
import json, logging, logging.config, os, sys, time
d = json.load(sys.stdin)
os.getpid = lambda: d['pid']
time.time = lambda: d['now']
time.time_ns = lambda: int(d['now'] * 1e9)
circus = logging.getLogger('circus')  # exists before, as in circusd
f = d['file']
if f.endswith('.ini'):
    logging.config.fileConfig(f, disable_existing_loggers=True)
elif f.endswith('.json'):
    logging.config.dictConfig(json.load(open(f)))
else:
    import yaml
    logging.config.dictConfig(yaml.load(open(f), Loader=yaml.FullLoader))
for level, msg in d['messages']:
    circus.log(level, msg)
logging.shutdown()
`;
describe("logger configuration files against Python's logging.config", () => {
  const messages: [number, string][] = [];
  for (let i = 0; i < 40; i++) {
    messages.push([
      [DEBUG, INFO, WARNING, ERROR, CRITICAL][i % 5]!,
      `message number ${i}: ${"x".repeat(i % 7)}`,
    ]);
  }
  const fixtures: [string, string[]][] = [
    ["logging.yaml", ["yaml.log", "yaml-root.log"]],
    ["logging.json", ["json.log"]],
    ["logging.ini", ["ini.log"]],
    ["rotating.ini", ["rot.log", "rot.log.1", "rot.log.2"]],
  ];
  for (const [name, outputs] of fixtures) {
    test(name, async () => {
      const now = 1711846800.25;
      const pyDir = makeTempDir();
      const ourDir = makeTempDir();
      for (const dir of [pyDir, ourDir]) copyLogFixture(dir, name);
      const py = spawnSync("/usr/bin/python3", ["-c", PY_CONFIGURE], {
        cwd: pyDir,
        input: JSON.stringify({ file: name, messages, pid: process.pid, now }),
        encoding: "utf8",
        env: { ...process.env, TZ: "Europe/Paris" },
      });
      assert.equal(py.status, 0, py.stderr);
      const savedCwd = process.cwd();
      const savedNow = Date.now;
      const savedTz = process.env["TZ"];
      process.chdir(ourDir);
      process.env["TZ"] = "Europe/Paris";
      Date.now = () => now * 1000;
      try {
        await configureFromFile(name);
        const levels: Record<number, (m: string) => void> = {
          [DEBUG]: (m) => logger.debug(m),
          [INFO]: (m) => logger.info(m),
          [WARNING]: (m) => logger.warning(m),
          [ERROR]: (m) => logger.error(m),
          [CRITICAL]: (m) => logger.critical(m),
        };
        for (const [level, msg] of messages) levels[level]!(msg);
      } finally {
        Date.now = savedNow;
        process.chdir(savedCwd);
        if (savedTz === undefined) delete process.env["TZ"];
        else process.env["TZ"] = savedTz;
        logger.setSink({ write: () => undefined });
      }
      for (const out of outputs) {
        const expected = readFileSync(path.join(pyDir, out), "utf8");
        assert.ok(expected.length > 0, `python wrote ${out}`);
        assert.equal(readFileSync(path.join(ourDir, out), "utf8"), expected, out);
      }
      assert.deepEqual(readdirSync(ourDir).sort(), readdirSync(pyDir).sort());
    });
  }
});
