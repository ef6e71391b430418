/**
 * The daemon's own log, with the real circusd: syslog over UDP and on a local unix datagram
 * socket, logger configuration files (YAML, JSON, INI), rotation, the command-line flags,
 * and bad settings refused with one line.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import dgram from "node:dgram";
import { existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import {
  makeTempDir,
  runCircusd,
  startCircusd,
  waitFor,
  waitForStarts,
  workerSection,
  writeConfig,
} from "./helpers/circusd.js";
import { copyLogFixture, writeJsonConfig } from "./helpers/log.js";
import { cleanupEachTest, defer } from "./helpers/cleanup.js";

cleanupEachTest();

const PYTHON = "/usr/bin/python3";

function read(file: string): string {
  return existsSync(file) ? readFileSync(file, "utf8") : "";
}

/** Waits until the file holds a line matching regex; returns the whole text. */
async function waitForFile(file: string, regex: RegExp): Promise<string> {
  return waitFor(
    () => {
      const text = read(file);
      return regex.test(text) ? text : null;
    },
    {
      message: () => `${regex} in ${file}; it holds:\n${read(file)}`,
    },
  );
}

/**
 * A local syslog stand-in: Python's own AF_UNIX / SOCK_DGRAM socket bound at `sock`, as
 * syslogd's /dev/log. `datagrams` fills as they arrive; closing stdin makes it unlink the
 * socket and leave.
 */
async function unixReceiver(sock: string): Promise<{ child: ChildProcess; datagrams: string[] }> {
  const child = spawn(
    PYTHON,
    [
      "-u",
      "-c",
      "import json,os,socket,sys,threading\ns=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\ns.bind(sys.argv[1])\ndef leave():\n  sys.stdin.read()\n  os.unlink(sys.argv[1])\n  os._exit(0)\nthreading.Thread(target=leave).start()\nprint('ready')\nwhile True:\n  print(json.dumps(s.recv(65536).decode()))",
      sock,
    ],
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  defer(() => child.kill("SIGKILL"));
  const lines: string[] = [];
  const datagrams: string[] = [];
  let partial = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    const parts = (partial + chunk).split("\n");
    partial = parts.pop() ?? "";
    for (const line of parts) {
      if (line === "ready") lines.push(line);
      else datagrams.push(JSON.parse(line) as string);
    }
  });
  await waitFor(() => lines.includes("ready"), { message: "the python receiver" });
  return { child, datagrams };
}

describe("syslog", () => {
  test("logoutput = syslog://127.0.0.1:PORT?local3 sends Python's datagrams over UDP", async () => {
    const socket = dgram.createSocket("udp4");
    defer(() => socket.close());
    const messages: Buffer[] = [];
    socket.on("message", (m) => messages.push(m));
    await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
    const port = socket.address().port;
    const d = startCircusd(
      (dir) =>
        `[circus]\nloglevel = debug\nlogoutput = syslog://127.0.0.1:${port}?local3\n\n` +
        workerSection(dir, "udp"),
    );
    await waitFor(() => messages.some((m) => m.includes("waiting for commands")), {
      message: () => `syslog datagrams; got ${JSON.stringify(messages.map(String))}\n${d.stderr}`,
    });
    const texts = messages.map((m) => m.toString("utf8"));
    const info = texts.find((t) => t.includes("Arbiter now waiting for commands"))!;
    // local3 (19) * 8 + info (6) = 158; the syslog date format; Python's trailing NUL.
    assert.match(
      info,
      new RegExp(
        `^<158>[A-Z][a-z]{2} \\d\\d \\d\\d:\\d\\d:\\d\\d circus\\[${d.pid}\\] \\[INFO\\] Arbiter now waiting for commands\\0$`,
      ),
    );
    const debug = texts.find((t) => t.includes("spawned process"));
    assert.ok(debug?.startsWith("<159>"), `a DEBUG line is <159>: ${debug}`);
    assert.deepEqual(await d.stop(), { code: 0, signal: null });
    assert.equal(d.log, "", "nothing on stdout");
  });

  test("syslog:///path?daemon sends to a local unix datagram socket", async () => {
    const dir = makeTempDir();
    const sock = path.join(dir, "log.sock");
    const { datagrams } = await unixReceiver(sock);
    const d = startCircusd(workerSection(dir, "local"), {
      dir,
      args: ["--log-output", `syslog://${sock}?daemon`],
    });
    const line = await waitFor(() => datagrams.find((t) => t.includes("Arbiter now waiting")), {
      message: () => `a datagram on ${sock}; got ${datagrams.join("\n")}\n${d.stderr}`,
    });
    // daemon (3) * 8 + info (6) = 30
    assert.match(
      line,
      new RegExp(`^<30>[A-Z][a-z]{2} \\d\\d [\\d:]{8} circus\\[${d.pid}\\] \\[INFO\\] `),
    );
    assert.ok(line.endsWith("\0"));
    assert.deepEqual(await d.stop(), { code: 0, signal: null });
  });

  test("a local syslog that goes away: one error line on stderr, circusd keeps supervising", async () => {
    const dir = makeTempDir();
    const sock = path.join(dir, "gone.sock");
    const receiver = await unixReceiver(sock);
    const d = startCircusd(`[circus]\nloglevel = debug\n\n${workerSection(dir, "g")}`, {
      dir,
      args: ["--log-output", `syslog://${sock}?user`],
    });
    await waitForStarts(d.path("g.jsonl"), 1);
    receiver.child.stdin!.end(); // the receiver removes its socket and leaves
    await new Promise<void>((resolve) => receiver.child.once("exit", () => resolve()));
    for (let i = 0; i < 2; i++) {
      const [latest] = (await waitForStarts(d.path("g.jsonl"), i + 1)).slice(-1);
      process.kill(latest!.pid, "SIGKILL");
      await waitForStarts(d.path("g.jsonl"), i + 2);
    }
    await waitFor(() => d.stderr.includes("logging error"), {
      message: () => `stderr: ${d.stderr}`,
    });
    const errors = d.stderr.trimEnd().split("\n");
    assert.equal(errors.length, 1, `reported once: ${d.stderr}`);
    assert.match(errors[0]!, /^circusd: logging error \(SysLogHandler\): connect .*gone\.sock: /);
    // syslogd is back: the next lines reach it.
    const back = await unixReceiver(sock);
    const [latest] = (await waitForStarts(d.path("g.jsonl"), 3)).slice(-1);
    process.kill(latest!.pid, "SIGKILL");
    await waitFor(() => back.datagrams.find((t) => t.includes(`process ${latest!.pid} exited`)), {
      message: () => `datagrams again; got ${back.datagrams.join("\n")}`,
    });
    assert.deepEqual(await d.stop(), { code: 0, signal: null });
  });

  test("a local syslog socket that does not exist refuses startup in one line", async () => {
    const dir = makeTempDir();
    const config = writeConfig(
      dir,
      `[circus]\nlogoutput = syslog://${dir}/nope.sock?user\n\n${workerSection(dir, "w")}`,
    );
    const result = await runCircusd([config]);
    assert.equal(result.code, 1);
    const lines = result.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 1, result.stderr);
    assert.match(
      lines[0]!,
      new RegExp(`^${config}: \\[circus\\] logoutput: cannot reach syslog at ${dir}/nope.sock: `),
    );
  });
});

describe("loggerconfig files", () => {
  test("YAML: formatters, levels, and circus lines propagating to root's handler", async () => {
    const dir = makeTempDir();
    const logconf = copyLogFixture(dir, "logging.yaml");
    const d = startCircusd(`[circus]\nloggerconfig = ${logconf}\n\n${workerSection(dir, "y")}`, {
      dir,
    });
    const text = await waitForFile(path.join(dir, "yaml.log"), /waiting for commands/);
    assert.match(text, new RegExp(`^DEBUG   \\|circus\\[${d.pid}\\]\\|y: spawned process`, "m"));
    assert.match(text, new RegExp(`^INFO    \\|circus\\[${d.pid}\\]\\|y started$`, "m"));
    // root's handler gets the same lines (propagate: yes), at its own level: INFO, not DEBUG.
    const root = await waitForFile(path.join(dir, "yaml-root.log"), /waiting for commands/);
    assert.match(root, /^\d\d:\d\d:\d\d {4}INFO y started$/m);
    assert.doesNotMatch(root, /DEBUG/);
    assert.equal(d.log, "", "nothing on stdout");
    assert.deepEqual(await d.stop(), { code: 0, signal: null });
  });

  test("JSON: $-style format, INFO level; the [circus] options it overrides are reported", async () => {
    const dir = makeTempDir();
    const logconf = copyLogFixture(dir, "logging.json");
    const d = startCircusd(
      `[circus]\nloglevel = debug\nloggerconfig = ${logconf}\n\n${workerSection(dir, "j")}`,
      { dir },
    );
    const text = await waitForFile(path.join(dir, "json.log"), /waiting for commands/);
    assert.match(text, /^INFO:circus:j started$/m);
    assert.match(text, /^WARNING:circus:\[circus\] loglevel is ignored: the logger configuration/m);
    assert.doesNotMatch(text, /^DEBUG/m);
    await d.stop();
  });

  test("INI (fileConfig): args with interpolation, propagate = 0, and --log-level debug", async () => {
    const dir = makeTempDir();
    const logconf = copyLogFixture(dir, "logging.ini");
    const d = startCircusd(`[circus]\nloggerconfig = ${logconf}\n\n${workerSection(dir, "i")}`, {
      dir,
    });
    const text = await waitForFile(path.join(dir, "ini.log"), /waiting for commands/);
    assert.match(text, /^circus INFO i started$/m);
    assert.doesNotMatch(text, /DEBUG/, "the circus logger is at INFO");
    await d.stop();
    rmSync(path.join(dir, "ini.log"));

    // The same file, with --log-level debug on the command line: the circus logger's level.
    const d2 = startCircusd(`[circus]\nloggerconfig = ${logconf}\n\n${workerSection(dir, "i")}`, {
      dir,
      args: ["--log-level", "debug"],
    });
    const text2 = await waitForFile(path.join(dir, "ini.log"), /waiting for commands/);
    assert.match(text2, /^circus DEBUG i: spawned process \d+/m);
    await d2.stop();
  });

  test("--logger-config overrides [circus] loggerconfig", async () => {
    const dir = makeTempDir();
    const logconf = copyLogFixture(dir, "logging.json");
    const d = startCircusd(
      `[circus]\nloggerconfig = ${dir}/missing.yaml\n\n${workerSection(dir, "o")}`,
      {
        dir,
        args: ["--logger-config", logconf],
      },
    );
    await waitForFile(path.join(dir, "json.log"), /^INFO:circus:o started$/m);
    await d.stop();
  });

  test("a dictConfig that configures only root disables circus, as in Python", async () => {
    const dir = makeTempDir();
    const logconf = writeJsonConfig(dir, "rootonly.json", {
      version: 1,
      handlers: { f: { class: "logging.FileHandler", filename: "root.log" } },
      root: { level: "DEBUG", handlers: ["f"] },
    });
    // What Python's logging does with the same file, for the record.
    const py = spawnSync(
      PYTHON,
      [
        "-c",
        "import json,logging,logging.config,sys\nc=logging.getLogger('circus')\nlogging.config.dictConfig(json.load(open(sys.argv[1])))\nprint(c.disabled)",
        logconf,
      ],
      { cwd: dir, encoding: "utf8" },
    );
    assert.equal(py.stdout.trim(), "True");
    const d = startCircusd(`[circus]\nloggerconfig = ${logconf}\n\n${workerSection(dir, "r")}`, {
      dir,
    });
    await waitForStarts(d.path("r.jsonl"), 1);
    await d.stop();
    assert.equal(read(path.join(dir, "root.log")), "");
  });

  test("RotatingFileHandler rolls over as Python's does (rot.log, rot.log.1, rot.log.2)", async () => {
    const dir = makeTempDir();
    const logconf = copyLogFixture(dir, "rotating.ini");
    const d = startCircusd(
      `[circus]\nloggerconfig = ${logconf}\n\n${workerSection(dir, "rot", { numprocesses: 6 })}`,
      { dir },
    );
    await waitForStarts(d.path("rot.jsonl"), 6);
    await waitFor(() => existsSync(path.join(dir, "rot.log.2")), { message: "rot.log.2" });
    assert.deepEqual(await d.stop(), { code: 0, signal: null });
    const names = ["rot.log.2", "rot.log.1", "rot.log"];
    assert.ok(!existsSync(path.join(dir, "rot.log.3")), "backupCount = 2");
    for (const name of names) assert.ok(statSync(path.join(dir, name)).size <= 400, name);
    // Feed the same lines, in order, to Python's RotatingFileHandler: the same files result.
    const lines = names.flatMap((n) => read(path.join(dir, n)).split("\n").filter(Boolean));
    const pyDir = makeTempDir();
    const py = spawnSync(
      PYTHON,
      [
        "-c",
        "import json,logging,logging.handlers,sys\nh=logging.handlers.RotatingFileHandler('rot.log',maxBytes=400,backupCount=2)\nl=logging.getLogger('x')\nl.addHandler(h)\nl.propagate=False\nfor m in json.load(sys.stdin): l.error(m)",
      ],
      { cwd: pyDir, input: JSON.stringify(lines), encoding: "utf8" },
    );
    assert.equal(py.status, 0, py.stderr);
    for (const name of names) {
      assert.equal(read(path.join(dir, name)), read(path.join(pyDir, name)), name);
    }
  });
});

describe("levels and outputs", () => {
  test("--log-level debug overrides [circus] loglevel = warning", async () => {
    const dir = makeTempDir();
    const d = startCircusd(`[circus]\nloglevel = warning\n\n${workerSection(dir, "lv")}`, {
      dir,
      args: ["--log-level", "debug"],
    });
    await d.waitForLog(/\[DEBUG\] lv: spawned process/);
    await waitForStarts(d.path("lv.jsonl"), 1);
    await d.stop();

    const quiet = startCircusd(`[circus]\nloglevel = warning\n\n${workerSection(dir, "lv")}`, {
      dir,
    });
    await waitForStarts(quiet.path("lv.jsonl"), 2, {
      message: () => `the second start; stderr: ${quiet.stderr}`,
    });
    await quiet.stop();
    assert.doesNotMatch(quiet.log, /\[(INFO|DEBUG)\]/);
  });

  test("a log file moved away is followed without a signal (WatchedFileHandler)", async () => {
    const dir = makeTempDir();
    const logFile = path.join(dir, "watched.log");
    const d = startCircusd(
      `[circus]\nloglevel = debug\nlogoutput = ${logFile}\n\n${workerSection(dir, "wf")}`,
      {
        dir,
      },
    );
    const [first] = await waitForStarts(d.path("wf.jsonl"), 1);
    await waitForFile(logFile, /waiting for commands/);
    renameSync(logFile, `${logFile}.1`);
    process.kill(first!.pid, "SIGKILL");
    const fresh = await waitForFile(logFile, new RegExp(`process ${first!.pid} exited`));
    assert.doesNotMatch(fresh, /waiting for commands/, "a new file");
    await d.stop();
  });
});

describe("bad logging settings: exit 1 with one line", () => {
  const cases: [string, string, string, RegExp][] = [
    [
      "an unknown handler class",
      "bad.yaml",
      "version: 1\nhandlers:\n  h:\n    class: logging.FancyHandler\n",
      /handlers\.h\.class: unknown handler class "logging\.FancyHandler"/,
    ],
    [
      "a handler referenced but not defined",
      "bad.yaml",
      "version: 1\nloggers:\n  circus:\n    handlers: [nope]\n",
      /loggers\.circus\.handlers: no handler named "nope"/,
    ],
    [
      "a bad level",
      "bad.json",
      '{"version": 1, "root": {"level": "LOUD"}}',
      /root\.level: unknown level "LOUD"/,
    ],
    [
      "filters",
      "bad.json",
      '{"version": 1, "handlers": {"h": {"class": "logging.NullHandler", "filters": ["f"]}}}',
      /handlers\.h\.filters: filters are not supported/,
    ],
    [
      "incremental",
      "bad.json",
      '{"version": 1, "incremental": true}',
      /incremental: only complete configurations/,
    ],
    [
      "a missing formatter",
      "bad.json",
      '{"version": 1, "handlers": {"h": {"class": "StreamHandler", "formatter": "x"}}}',
      /handlers\.h\.formatter: no formatter named "x"/,
    ],
    [
      "a format field records lack",
      "bad.json",
      '{"version": 1, "formatters": {"f": {"format": "%(bogus)s"}}}',
      /formatters\.f\.format: .*no field "bogus"/,
    ],
    [
      "an argument the class does not take",
      "bad.json",
      '{"version": 1, "handlers": {"h": {"class": "FileHandler", "filename": "x.log", "maxbytes": 3}}}',
      /handlers\.h\.maxbytes: FileHandler takes no "maxbytes" argument/,
    ],
    ["no version", "bad.json", '{"handlers": {}}', /version: missing/],
    [
      "an unknown top-level key",
      "bad.json",
      '{"version": 1, "hanlders": {}}',
      /hanlders: unknown key/,
    ],
    [
      "a file that cannot be opened",
      "bad.json",
      '{"version": 1, "handlers": {"h": {"class": "FileHandler", "filename": "/nonexistent/dir/x.log"}}}',
      /handlers\.h\.filename: cannot open \/nonexistent\/dir\/x\.log: ENOENT/,
    ],
    ["invalid JSON", "bad.json", '{"version": 1,', /not valid JSON/],
    ["invalid YAML", "bad.yaml", "version: 1\nhandlers: [\n", /not valid YAML/],
    [
      "an INI logger without qualname",
      "bad.ini",
      "[loggers]\nkeys=root,c\n[handlers]\nkeys=\n[formatters]\nkeys=\n[logger_root]\nhandlers=\n[logger_c]\nhandlers=\n",
      /\[logger_c\] qualname: missing/,
    ],
    [
      "INI args that are not a literal",
      "bad.ini",
      "[loggers]\nkeys=root\n[handlers]\nkeys=h\n[formatters]\nkeys=\n[logger_root]\nhandlers=h\n[handler_h]\nclass=FileHandler\nargs=(open('x'),)\n",
      /\[handler_h\] args: unsupported name open/,
    ],
    [
      "an INI without [formatters]",
      "bad.ini",
      "[loggers]\nkeys=root\n[handlers]\nkeys=\n[logger_root]\nhandlers=\n",
      /\[formatters\] section missing/,
    ],
    [
      "an unknown extension",
      "logging.conf",
      "[loggers]\n",
      /not in one of the recognized formats\. The file name should be: \*\.ini, \*\.json or \*\.yaml/,
    ],
  ];
  for (const [what, name, text, expected] of cases) {
    test(what, async () => {
      const dir = makeTempDir();
      const logconf = path.join(dir, name);
      writeFileSync(logconf, text);
      const config = writeConfig(
        dir,
        `[circus]\nloggerconfig = ${logconf}\n\n${workerSection(dir, "w")}`,
      );
      const result = await runCircusd([config]);
      assert.equal(result.code, 1, result.stderr);
      const lines = result.stderr.trimEnd().split("\n");
      assert.equal(lines.length, 1, `one line:\n${result.stderr}`);
      assert.ok(lines[0]!.startsWith(`${config}: [circus] loggerconfig: ${logconf}: `), lines[0]);
      assert.match(lines[0]!, expected);
      assert.equal(result.stdout, "");
    });
  }

  test("the command-line flags are named when they are the bad value", async () => {
    const dir = makeTempDir();
    const config = writeConfig(dir, workerSection(dir, "w"));
    const bad = path.join(dir, "bad.json");
    writeFileSync(bad, '{"version": 2}');
    const runs: [string[], RegExp][] = [
      [
        ["--logger-config", bad],
        new RegExp(`^circusd: --logger-config: ${bad}: version: must be 1, got 2$`),
      ],
      [["--log-level", "loud"], /^circusd: --log-level: unknown log level "loud"/],
      [
        ["--log-output", "syslog://localhost?nofacility"],
        /^circusd: --log-output: unknown syslog facility "nofacility"/,
      ],
      [
        ["--log-output", `${dir}/no/such/dir.log`],
        /^circusd: --log-output: cannot open .*: ENOENT/,
      ],
    ];
    for (const [args, expected] of runs) {
      const result = await runCircusd([...args, config]);
      assert.equal(result.code, 1);
      assert.equal(result.stderr.trimEnd().split("\n").length, 1, result.stderr);
      assert.match(result.stderr.trim(), expected);
    }
    const inConfig = writeConfig(
      dir,
      `[circus]\nloglevel = loud\n\n${workerSection(dir, "w")}`,
      "c2.ini",
    );
    const result = await runCircusd([inConfig]);
    assert.equal(result.code, 1);
    assert.match(
      result.stderr.trim(),
      new RegExp(`^${inConfig}: \\[circus\\] loglevel: unknown log level "loud"`),
    );
  });
});
