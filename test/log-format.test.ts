/**
 * The daemon's log formats against the real thing: strftime against Python's
 * time.strftime (glibc), and Formatter against Python's logging.Formatter, run by
 * /usr/bin/python3 with the same TZ.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { compileStrftime, strftime } from "../src/python/strftime.js";
import { Formatter, FormatError } from "../src/log/formatter.js";
import { makeRecord, INFO, DEBUG, WARNING, ERROR, CRITICAL } from "../src/log/record.js";
import { parsePyLiteral as parseLiteral, PyName } from "../src/python/literal.js";
import { InterpolatedIni, parseIni } from "../src/config/ini.js";
import { loggingName } from "../src/log/file-config.js";
import { withTz } from "./helpers/tz.js";

/** A Python literal as fileConfig reads `args`: in the logging module's namespace. */
const parsePyLiteral = (text: string) => parseLiteral(text, loggingName);

const PYTHON = "/usr/bin/python3";

/** Runs a python script with JSON on stdin, returns its JSON stdout. */
function python(script: string, input: unknown, env: NodeJS.ProcessEnv = {}): unknown {
  const result = spawnSync(PYTHON, ["-c", script], {
    input: JSON.stringify(input),
    encoding: "utf8",
    env: { ...process.env, ...env },
  });
  assert.equal(result.status, 0, `python failed: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

const FORMATS = [
  "%a %A %b %B %c %C %d %D %e %F %g %G %h %H %I %j %k %l %m %M %n %p %r %R %s %S %t %T",
  "%u %U %V %w %W %x %X %y %Y %z %Z %%",
  "%-d/%-m %_H %^a %^B %#p %10Y %-j %P %Ey %Od",
  "unknown %Q %q %J stays, as does a trailing %",
  "%Y-%m-%d %H:%M:%S",
  "%b %d %H:%M:%S",
];
// Around DST changes, year ends (ISO weeks), leap days, the epoch.
const TIMES = [
  0, 951782400, 1230768000, 1609459200, 1700000000, 1711846799, 1711846800, 1711850400, 1729990800,
  1730001600, 1735603200, 1767225599,
];
const ZONES = ["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"];

describe("strftime", () => {
  for (const tz of ZONES) {
    test(`matches Python's time.strftime in ${tz}`, () => {
      const expected = python(
        "import json,sys,time\nd=json.load(sys.stdin)\nprint(json.dumps([[time.strftime(f, time.localtime(t)) for f in d['f']] for t in d['t']]))",
        { f: FORMATS, t: TIMES },
        { TZ: tz },
      ) as string[][];
      withTz(tz, () => {
        TIMES.forEach((t, i) => {
          FORMATS.forEach((f, j) => {
            assert.equal(strftime(f, new Date(t * 1000)), expected[i]![j], `${tz} ${t} ${f}`);
          });
        });
      });
    });
  }

  test("utc, %f and a compiled format reused", () => {
    const date = new Date(Date.UTC(2026, 10, 23, 8, 39, 29, 123));
    assert.equal(
      strftime("%Y-%m-%d %H:%M:%S.%f %z %Z", date, true),
      "2026-11-23 08:39:29.123000 +0000 UTC",
    );
    const f = compileStrftime("%H:%M");
    assert.equal(f(date, true), "08:39");
    assert.equal(f(new Date(Date.UTC(2026, 0, 1, 23, 5)), true), "23:05");
    assert.equal(strftime("no directives", date), "no directives");
  });
});

/** Python formats a record with the same fields as ours: name, level, msg, created, pid. */
const PY_FORMAT = `
import json, logging, sys
d = json.load(sys.stdin)
out = []
for case in d['cases']:
    r = logging.LogRecord(case['name'], case['levelno'], '/x/circusd.js', 0, case['msg'], (), None)
    r.created = float(case['created'])
    r.msecs = float(case['msecs'])
    r.process = case['process']
    f = logging.Formatter(case['fmt'], case['datefmt'], case['style'])
    out.append(f.format(r))
print(json.dumps(out))
`;

describe("Formatter", () => {
  const cases: [string | null, string | null, "%" | "{" | "$"][] = [
    ["%(asctime)s %(name)s[%(process)d] [%(levelname)s] %(message)s", "%Y-%m-%d %H:%M:%S", "%"],
    ["%(asctime)s %(name)s[%(process)d] [%(levelname)s] %(message)s", "%b %d %H:%M:%S", "%"],
    ["%(asctime)s - %(name)s - [%(levelname)s] %(message)s", null, "%"],
    [
      "%(levelname)-8s|%(process)8d|%(process)-7d|%(levelno)03d|%(name).3s|%(message)r|%%",
      null,
      "%",
    ],
    [
      "%(msecs)03d %(msecs)s %(levelno)x %(levelno)#o %(levelno)+d %(levelno)5.1f %(levelno)e %(levelno)g",
      null,
      "%",
    ],
    ["%(message)10.4s|%(name)-10s|%(levelname)s", null, "%"],
    [
      "{asctime} {levelname:<8} {name:>10} {process:06d} {message!r} {levelno:^7} {{x}}",
      "%H:%M",
      "{",
    ],
    ["{levelname:*^12}|{msecs:.2f}|{levelno:+}|{levelno:#x}|{levelno:b}", null, "{"],
    ["$asctime ${levelname} $name: $message $$", null, "$"],
    [null, null, "%"],
  ];
  const records = [
    makeRecord("circus", INFO, "Starting master on pid 42"),
    makeRecord("circus", DEBUG, 'it\'s "quoted" and\ttabbed'),
    makeRecord("circus", WARNING, "é unicode ✓"),
    makeRecord("circus.sub", ERROR, ""),
    makeRecord("circus", CRITICAL, "50% done"),
  ];
  // A fixed instant with milliseconds, in a zone with DST.
  records.forEach((r, i) => {
    const ms = 1711846800000 + i * 3_600_123;
    r.date = new Date(ms);
    r.created = ms / 1000;
    r.msecs = ms % 1000;
  });

  for (const tz of ["Europe/Paris", "UTC"]) {
    test(`matches Python's logging.Formatter (${tz})`, () => {
      const input = cases.flatMap(([fmt, datefmt, style]) =>
        records.map((r) => ({
          fmt,
          datefmt,
          style,
          name: r.name,
          levelno: r.levelno,
          msg: r.msg,
          created: r.created,
          msecs: r.msecs,
          process: r.process,
        })),
      );
      const expected = python(PY_FORMAT, { cases: input }, { TZ: tz }) as string[];
      withTz(tz, () => {
        let k = 0;
        for (const [fmt, datefmt, style] of cases) {
          const formatter = new Formatter(fmt, datefmt, style);
          for (const r of records) {
            assert.equal(formatter.format(r), expected[k], `${style} ${fmt} ${r.msg}`);
            k++;
          }
        }
      });
    });
  }

  test("formats Python would fail on at every line are refused up front", () => {
    const bad: [string, "%" | "{" | "$", RegExp][] = [
      ["%(nosuchfield)s", "%", /no field "nosuchfield"/],
      ["%(levelname)d", "%", /"levelname" is not a number/],
      ["%(message)s %", "%", /must start a field/],
      ["%(message)z", "%", /must start a field/],
      ["no fields at all", "%", /no field in it/],
      ["{message", "{", /never closed/],
      ["{nosuch}", "{", /no field "nosuch"/],
      ["{message:zz}", "{", /bad format spec/],
      ["$nosuch", "$", /no field "nosuch"/],
      ["plain", "$", /no field in it/],
    ];
    for (const [fmt, style, expected] of bad) {
      assert.throws(
        () => new Formatter(fmt, null, style),
        (e: unknown) => e instanceof FormatError && expected.test((e as Error).message),
        `${style} ${fmt}`,
      );
    }
  });
});

describe("fileConfig pieces", () => {
  test("args and kwargs: Python literals", () => {
    assert.deepEqual(parsePyLiteral("('circus.log', 'a', 1024, 3)"), ["circus.log", "a", 1024, 3]);
    assert.deepEqual(parsePyLiteral("(sys.stdout,)"), [new PyName("sys.stdout")]);
    assert.deepEqual(parsePyLiteral("(('localhost', 514), handlers.SysLogHandler.LOG_LOCAL3)"), [
      ["localhost", 514],
      19,
    ]);
    assert.deepEqual(parsePyLiteral("{'maxBytes': 10, \"delay\": True, 'x': None}"), {
      maxBytes: 10,
      delay: true,
      x: null,
    });
    assert.deepEqual(parsePyLiteral("('/dev/log')"), "/dev/log");
    assert.deepEqual(parsePyLiteral("()"), []);
    assert.deepEqual(parsePyLiteral("(r'C:\\x', 'a\\tb', -1.5e3)"), ["C:\\x", "a\tb", -1500]);
    assert.throws(() => parsePyLiteral("(open('x'),)"), /unsupported name open/);
    assert.throws(() => parsePyLiteral("('a'"), /expected/);
  });

  test("INI: configparser's keys, continuations, [DEFAULT] and interpolation", () => {
    const ini = new InterpolatedIni(
      parseIni(
        "[DEFAULT]\nlogdir = /var/log\n\n[handler_f]\nClass = FileHandler\nargs = ('%(logdir)s/c.log',)\n; comment\nformat: %(asctime)s\n  continued\n",
        "/etc/log.ini",
      ),
    );
    assert.equal(ini.get("handler_f", "class"), "FileHandler");
    assert.equal(ini.get("handler_f", "args"), "('/var/log/c.log',)");
    assert.equal(ini.raw("handler_f", "format"), "%(asctime)s\ncontinued");
    assert.equal(ini.has("DEFAULT"), false);
    assert.throws(
      () => ini.get("handler_f", "format"),
      /\/etc\/log\.ini:8: \[handler_f\] format: %\(asctime\)s names no option/,
    );
    assert.throws(
      () => parseIni("[a]\nx = 1\nx = 2\n", "f.ini"),
      /f\.ini:3: \[a\] x: duplicate option/,
    );
    assert.throws(() => parseIni("x = 1\n", "f.ini"), /f\.ini:1: .* before any \[section\]/);
  });
});
