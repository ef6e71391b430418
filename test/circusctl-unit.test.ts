/** circusctl's pure parts: argument parsing, Python-style JSON, the shell's help layout. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseCommandLine, parseInvocation, UsageError } from "../src/cli/ctl/args.js";
import { columnize } from "../src/cli/ctl/help.js";
import { getCommand } from "../src/control/commands/index.js";

describe("circusctl arguments", () => {
  test("global options before or after the command; the command's own words kept", () => {
    const a = parseInvocation(
      ["--endpoint", "tcp://h:1", "incr", "web", "2", "--json", "--waiting"],
      getCommand,
    );
    assert.equal(a.globals.endpoint, "tcp://h:1");
    assert.equal(a.globals.json, true);
    assert.equal(a.command, "incr");
    assert.deepEqual(a.rest, ["web", "2", "--waiting"]);
    const b = parseInvocation(
      ["--timeout=2.5", "--ssh", "u@h:22", "--ssh_keyfile", "k"],
      getCommand,
    );
    assert.equal(b.command, null);
    assert.equal(b.globals.timeout, 2.5);
    assert.equal(b.globals.ssh, "u@h:22");
    assert.equal(b.globals.sshKeyfile, "k");
  });

  test("usage errors: a missing value, a bad timeout, an unknown global option", () => {
    assert.throws(() => parseInvocation(["--endpoint"], getCommand), UsageError);
    assert.throws(() => parseInvocation(["--timeout", "0", "list"], getCommand), UsageError);
    assert.throws(() => parseInvocation(["--nope", "list"], getCommand), UsageError);
  });

  test("a command's options: booleans, values (--x V and --x=V), -- ends options", () => {
    const incr = getCommand("incr");
    assert.ok(incr);
    assert.deepEqual(parseCommandLine(incr, ["web", "--waiting"]), {
      args: ["web"],
      options: { waiting: true },
      help: false,
    });
    const stop = getCommand("stop");
    assert.ok(stop);
    const line = parseCommandLine(stop, ["--match=regex", "w.*"]);
    assert.equal(line.options.match, "regex");
    assert.deepEqual(line.args, ["w.*"]);
    assert.deepEqual(parseCommandLine(stop, ["--", "--odd"]).args, ["--odd"]);
    assert.throws(() => parseCommandLine(stop, ["--bogus"]), UsageError);
    assert.equal(parseCommandLine(stop, ["-h"]).help, true);
  });
});

describe("the shell's help layout", () => {
  test("columnize lays out Circus 0.7's commands as the tutorial shows", () => {
    const names =
      "add decr dstats get globaloptions incr list listen listsockets numprocesses numwatchers options quit reload restart rm set signal start stats status stop".split(
        " ",
      );
    assert.equal(
      columnize(names),
      [
        "add     get            list         numprocesses  quit     rm      start   stop",
        "decr    globaloptions  listen       numwatchers   reload   set     stats",
        "dstats  incr           listsockets  options       restart  signal  status",
        "",
      ].join("\n"),
    );
  });
});
