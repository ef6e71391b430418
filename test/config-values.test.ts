import { test } from "node:test";
import assert from "node:assert/strict";
import { constants } from "node:os";
import { ConfigError, formatLocation } from "../src/config/errors.js";
import { fnmatch, hasWildcard } from "../src/config/fnmatch.js";
import {
  closestName,
  editDistance,
  InvalidValueError,
  parseBool,
  parseId,
  parseInteger,
  parseNumber,
  parsePort,
  parseRlimitValue,
  parseSignalValue,
  parseUmask,
} from "../src/config/values.js";

test("parseBool accepts true/false, yes/no, on/off, 1/0 in any case", () => {
  for (const word of ["true", "True", "YES", "on", "1", " On "])
    assert.equal(parseBool(word), true);
  for (const word of ["false", "FALSE", "no", "Off", "0"]) assert.equal(parseBool(word), false);
  for (const word of ["", "maybe", "2", "t"]) {
    assert.throws(() => parseBool(word), InvalidValueError);
  }
  assert.throws(() => parseBool("maybe"), {
    message: 'expected a boolean (true/false, yes/no, on/off, 1/0), got "maybe"',
  });
});

test("parseInteger reads decimal integers and checks bounds", () => {
  assert.equal(parseInteger("42"), 42);
  assert.equal(parseInteger(" -3 "), -3);
  assert.equal(parseInteger("+7"), 7);
  assert.throws(() => parseInteger("five"), { message: 'expected an integer, got "five"' });
  assert.throws(() => parseInteger("1.5"), InvalidValueError);
  assert.throws(() => parseInteger(""), InvalidValueError);
  assert.throws(() => parseInteger("-1", { min: 0 }), {
    message: 'must not be negative, got "-1"',
  });
  assert.throws(() => parseInteger("-2", { min: -1 }), { message: 'must be >= -1, got "-2"' });
  assert.throws(() => parseInteger("10", { max: 9 }), { message: 'must be <= 9, got "10"' });
});

test("parseNumber reads floats but not inf or nan", () => {
  assert.equal(parseNumber("30"), 30);
  assert.equal(parseNumber("0.5"), 0.5);
  assert.equal(parseNumber(".25"), 0.25);
  assert.equal(parseNumber("1e3"), 1000);
  for (const text of ["inf", "nan", "1,5", "", "abc"]) {
    assert.throws(() => parseNumber(text), InvalidValueError);
  }
  assert.throws(() => parseNumber("-1", { min: 0 }), InvalidValueError);
});

test("parsePort accepts 0..65535", () => {
  assert.equal(parsePort("8080"), 8080);
  assert.throws(() => parsePort("65536"), InvalidValueError);
  assert.throws(() => parsePort("-1"), InvalidValueError);
});

test("parseUmask reads octal", () => {
  assert.equal(parseUmask("002"), 0o2);
  assert.equal(parseUmask("022"), 0o22);
  assert.equal(parseUmask("0o22"), 0o22);
  assert.equal(parseUmask("0O077"), 0o77);
  assert.equal(parseUmask("000"), 0);
  assert.equal(parseUmask("777"), 0o777);
  assert.throws(() => parseUmask("8"), InvalidValueError);
  assert.throws(() => parseUmask("abc"), InvalidValueError);
  assert.throws(() => parseUmask("1777"), InvalidValueError);
});

test("parseId: digits become numbers, names stay strings, empty is null", () => {
  assert.equal(parseId("1000"), 1000);
  assert.equal(parseId("www-data"), "www-data");
  assert.equal(parseId("0"), 0);
  assert.equal(parseId(""), null);
});

test("parseSignalValue takes names with or without SIG, any case, and numbers", () => {
  assert.equal(parseSignalValue("quit"), constants.signals.SIGQUIT);
  assert.equal(parseSignalValue("INT"), constants.signals.SIGINT);
  assert.equal(parseSignalValue("SIGTERM"), 15);
  assert.equal(parseSignalValue("3"), 3);
  assert.throws(() => parseSignalValue("SIGFOO"), { message: 'unknown signal "SIGFOO"' });
});

test("parseRlimitValue: empty (or -1) is infinity", () => {
  assert.equal(parseRlimitValue("500"), 500);
  assert.equal(parseRlimitValue(""), null);
  assert.equal(parseRlimitValue("  "), null);
  assert.equal(parseRlimitValue("-1"), null);
  assert.throws(() => parseRlimitValue("-2"), InvalidValueError);
  assert.throws(() => parseRlimitValue("lots"), InvalidValueError);
});

test("editDistance and closestName find likely typos", () => {
  assert.equal(editDistance("numprocess", "numprocesses"), 2);
  assert.equal(editDistance("graceful_timout", "graceful_timeout"), 1);
  assert.equal(editDistance("ab", "ba"), 1);
  assert.equal(editDistance("", "abc"), 3);
  assert.equal(closestName("numprocess", ["cmd", "numprocesses"]), "numprocesses");
  assert.equal(closestName("flapping", ["cmd", "numprocesses"]), null);
});

test("fnmatch: *, ?, [seq], [!seq], whole-name and case-sensitive", () => {
  assert.ok(fnmatch("worker1", "worker*"));
  assert.ok(fnmatch("worker1", "*"));
  assert.ok(fnmatch("worker1", "worker?"));
  assert.ok(!fnmatch("worker12", "worker?"));
  assert.ok(fnmatch("worker2", "worker[12]"));
  assert.ok(!fnmatch("worker3", "worker[12]"));
  assert.ok(fnmatch("worker3", "worker[!12]"));
  assert.ok(fnmatch("w-b", "w[a-c]b") === false);
  assert.ok(fnmatch("wbb", "w[a-c]b"));
  assert.ok(!fnmatch("Worker1", "worker*"));
  assert.ok(!fnmatch("my.worker", "my_worker"));
  assert.ok(fnmatch("a[b", "a[b"));
  assert.ok(hasWildcard("a*") && hasWildcard("a?") && hasWildcard("[ab]") && !hasWildcard("ab"));
});

test("ConfigError messages are one line naming what is known", () => {
  const full = new ConfigError('expected an integer, got "five"', {
    file: "/etc/circus.ini",
    line: 12,
    section: "watcher:web",
    option: "numprocesses",
  });
  assert.equal(
    full.message,
    '/etc/circus.ini:12: [watcher:web] numprocesses: expected an integer, got "five"',
  );
  assert.equal(full.name, "ConfigError");
  assert.equal(full.detail, 'expected an integer, got "five"');
  assert.ok(full instanceof Error);
  const noLine = new ConfigError("bad", { file: "/a.ini", section: "circus" });
  assert.equal(noLine.message, "/a.ini: [circus] bad");
  assert.equal(noLine.line, undefined);
  const library = new ConfigError("bad", { file: null, section: "watcher:x", option: "cmd" });
  assert.equal(library.message, "[watcher:x] cmd: bad");
  assert.equal(new ConfigError("two\n  lines", { file: "/a" }).message, "/a: two lines");
  assert.equal(formatLocation({ file: "/a", line: 3 }), "/a:3: ");
});
