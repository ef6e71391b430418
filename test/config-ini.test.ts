import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfigError } from "../src/config/errors.js";
import { parseIni, readIniFile, type IniFile } from "../src/config/ini.js";

const FILE = "/etc/circus.ini";

function values(ini: IniFile, section: string): Record<string, string> {
  const found = ini.sections.find((s) => s.name === section);
  assert.ok(found, `section [${section}] missing`);
  return Object.fromEntries([...found.options].map(([name, option]) => [name, option.value]));
}

function syntaxError(text: string, pattern: RegExp): ConfigError {
  let caught: unknown;
  assert.throws(
    () => parseIni(text, FILE),
    (error) => {
      caught = error;
      return error instanceof ConfigError && pattern.test(error.message);
    },
  );
  return caught as ConfigError;
}

test("key = value and key: value, split at the first = or :", () => {
  const ini = parseIni(
    [
      "[s]",
      "a = 1",
      "b: 2",
      "c=3",
      "url = tcp://127.0.0.1:5555",
      "d: x = y",
      "hooks.before_start = mod.js:hook, true",
    ].join("\n"),
    FILE,
  );
  assert.deepEqual(values(ini, "s"), {
    a: "1",
    b: "2",
    c: "3",
    url: "tcp://127.0.0.1:5555",
    d: "x = y",
    "hooks.before_start": "mod.js:hook, true",
  });
});

test("empty values and surrounding blanks", () => {
  const ini = parseIni("[s]\n  empty =   \nspaced   =   a b  \n", FILE);
  assert.deepEqual(values(ini, "s"), { empty: "", spaced: "a b" });
});

test("full-line # and ; comments only; inline comment characters stay in the value", () => {
  const ini = parseIni(
    "# top\n; top too\n[s]\n# c\n  ; indented comment\na = b # c\nb = x ; y\n",
    FILE,
  );
  assert.deepEqual(values(ini, "s"), { a: "b # c", b: "x ; y" });
});

test("indented continuation lines are appended with a newline", () => {
  const ini = parseIni("[s]\nargs = --one\n  --two\n\t--three\nnext = 1\n", FILE);
  assert.deepEqual(values(ini, "s"), { args: "--one\n--two\n--three", next: "1" });
});

test("continuation keeps inner blank lines, drops trailing ones, skips comments", () => {
  const ini = parseIni("[s]\na = 1\n\n  2\n  # not part of it\n  3\n\n\nb = 4\n", FILE);
  assert.deepEqual(values(ini, "s"), { a: "1\n\n2\n3", b: "4" });
});

test("an indented option after a section header is an option, not a continuation", () => {
  const ini = parseIni("[s]\n  a = 1\n  b = 2\n", FILE);
  assert.deepEqual(values(ini, "s"), { a: "1", b: "2" });
});

test("option names are case-insensitive (lower-cased)", () => {
  const ini = parseIni("[watcher:Web]\nCMD = x\nNumProcesses = 2\n", FILE);
  assert.deepEqual(values(ini, "watcher:Web"), { cmd: "x", numprocesses: "2" });
});

test("keys of [env] and [env:...] keep their case", () => {
  const ini = parseIni(
    "[env]\nPATH = /bin\nFunKy_soUl = scorpio\n[env:a,b]\nHttp_Proxy = x\n",
    FILE,
  );
  assert.deepEqual(values(ini, "env"), { PATH: "/bin", FunKy_soUl: "scorpio" });
  assert.deepEqual(values(ini, "env:a,b"), { Http_Proxy: "x" });
});

test("env sections may hold names differing only by case", () => {
  const ini = parseIni("[env]\npath = a\nPATH = b\n", FILE);
  assert.deepEqual(values(ini, "env"), { path: "a", PATH: "b" });
});

test("section names keep their case and order; lines are recorded", () => {
  const ini = parseIni("\n[circus]\nx = 1\n\n[Watcher:B]\ny = 2\n", FILE);
  assert.deepEqual(
    ini.sections.map((s) => [s.name, s.line, s.file]),
    [
      ["circus", 2, FILE],
      ["Watcher:B", 5, FILE],
    ],
  );
  assert.equal(ini.sections[1]?.options.get("y")?.line, 6);
});

test("CRLF line endings and a byte-order mark are accepted", () => {
  const ini = parseIni("\uFEFF[s]\r\na = 1\r\n  2\r\n", FILE);
  assert.deepEqual(values(ini, "s"), { a: "1\n2" });
});

test("a duplicate section is an error naming file, line and section", () => {
  const error = syntaxError("[s]\na = 1\n[s]\nb = 2\n", /duplicate section/);
  assert.equal(error.message, "/etc/circus.ini:3: [s] duplicate section (first defined at line 1)");
  assert.equal(error.file, FILE);
  assert.equal(error.line, 3);
  assert.equal(error.section, "s");
});

test("a duplicate option is an error, whatever its case", () => {
  const error = syntaxError("[s]\nCmd = 1\ncmd = 2\n", /duplicate option/);
  assert.equal(
    error.message,
    "/etc/circus.ini:3: [s] cmd: duplicate option (first defined at line 2)",
  );
  assert.equal(error.option, "cmd");
});

test("a key before any section is an error", () => {
  const error = syntaxError("a = 1\n[s]\n", /before any \[section\]/);
  assert.match(error.message, /^\/etc\/circus\.ini:1: syntax error: /);
  assert.equal(error.line, 1);
});

test("a line without separator is an error", () => {
  const error = syntaxError("[s]\na = 1\njust words\n", /expected "key = value"/);
  assert.match(error.message, /^\/etc\/circus\.ini:3: syntax error: expected "key = value"/);
});

test("an empty option name is an error", () => {
  syntaxError("[s]\n= value\n", /:2: syntax error: missing option name/);
});

test("bad section headers are errors", () => {
  syntaxError("[s\na = 1\n", /:1: syntax error: section header "\[s" does not end with "\]"/);
  syntaxError("[ ]\n", /:1: syntax error: empty section name/);
});

test("an unreadable file is a ConfigError naming it", () => {
  assert.throws(
    () => readIniFile("/nonexistent/circus.ini"),
    (error) =>
      error instanceof ConfigError &&
      error.message === "/nonexistent/circus.ini: cannot read configuration file (ENOENT)",
  );
});
