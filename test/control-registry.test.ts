/** The command registry's circusctl half: message() and consoleOutput() for every command. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { COMMANDS, getCommand } from "../src/control/commands/index.js";
import type { CommandLine } from "../src/control/command.js";
import { ArgumentError, errorReply, okReply } from "../src/control/protocol.js";
import { bytes2human, formatCtime } from "../src/control/process-stats.js";
import { HELP_COMMANDS } from "./helpers/ctl-tests.js";

const line = (args: string[] = [], options: CommandLine["options"] = {}): CommandLine => ({
  args,
  options,
});
const cmd = (name: string) => {
  const c = getCommand(name);
  assert.ok(c, name);
  return c;
};

describe("command registry", () => {
  test("every command of the issue, each with help, summary and both circusctl halves", () => {
    assert.deepEqual(
      COMMANDS.map((c) => c.name),
      [...HELP_COMMANDS, "discover", "kill", "logs"].sort(),
    );
    for (const c of COMMANDS) {
      assert.ok(c.help.length > 40 && c.summary.length > 5, c.name);
      assert.equal(typeof c.message, "function");
      assert.equal(typeof c.consoleOutput, "function");
      assert.equal(c.consoleOutput(errorReply("x", "boom"), {}).includes("boom"), true, c.name);
    }
    assert.equal(getCommand("STATUS")?.name, "status");
    assert.equal(getCommand("nope"), undefined);
  });

  test("discover: circusctl's own; its options checked, defaults the group and one second", () => {
    const discover = cmd("discover");
    assert.equal(discover.clientOnly, true);
    assert.deepEqual(discover.message(line()), {
      multicast: "udp://237.219.251.97:12027",
      timeout: 1,
    });
    assert.deepEqual(
      discover.message(line([], { multicast: "udp://239.1.2.3:9999", timeout: "0.25" })),
      { multicast: "udp://239.1.2.3:9999", timeout: 0.25 },
    );
    assert.throws(() => discover.message(line(["x"])), ArgumentError);
    assert.throws(() => discover.message(line([], { multicast: "udp://10.0.0.1:5" })), {
      name: "ArgumentError",
      message: /^--multicast: expected udp:\/\/A\.B\.C\.D:PORT with a multicast address/,
    });
    for (const timeout of ["0", "-1", "x", "", "Infinity"])
      assert.throws(() => discover.message(line([], { timeout })), {
        name: "ArgumentError",
        message: `--timeout: expected a number of seconds > 0, got '${timeout}'`,
      });
    assert.equal(
      discover.consoleOutput(okReply(null, { endpoints: ["tcp://a:1", "tcp://b:2"] }), {}),
      "tcp://a:1\ntcp://b:2",
    );
  });

  test("message() builds the reference's properties", () => {
    assert.deepEqual(cmd("status").message(line(["web"])), { name: "web" });
    assert.deepEqual(cmd("list").message(line()), {});
    assert.deepEqual(cmd("incr").message(line(["web", "3"])), { name: "web", nb: 3 });
    assert.deepEqual(cmd("decr").message(line(["web"], { waiting: true })), {
      name: "web",
      waiting: true,
    });
    assert.deepEqual(cmd("add").message(line(["web", "sleep", "10"], { start: true })), {
      name: "web",
      cmd: "sleep 10",
      start: true,
    });
    assert.deepEqual(cmd("rm").message(line(["web"], { nostop: true })), {
      name: "web",
      nostop: true,
    });
    assert.deepEqual(cmd("get").message(line(["web", "a", "b"])), {
      name: "web",
      keys: ["a", "b"],
    });
    assert.deepEqual(
      cmd("set").message(
        line([
          "web",
          "numprocesses",
          "3",
          "send_hup",
          "true",
          "env",
          "A=1,B=2",
          "hooks",
          "before_start:m.mjs:f",
        ]),
      ),
      {
        name: "web",
        options: {
          numprocesses: 3,
          send_hup: true,
          env: { A: "1", B: "2" },
          hooks: { before_start: "m.mjs:f" },
        },
      },
    );
    assert.throws(() => cmd("set").message(line(["web", "numprocesses"])), ArgumentError);
    assert.throws(() => cmd("set").message(line(["web", "bogus", "1"])), ArgumentError);
    assert.deepEqual(cmd("signal").message(line(["web", "42", "HUP"], { children: true })), {
      name: "web",
      pid: 42,
      signum: "HUP",
      children: true,
      recursive: false,
    });
    assert.deepEqual(cmd("stop").message(line(["web*"], { waiting: true, match: "glob" })), {
      name: "web*",
      waiting: true,
      match: "glob",
    });
    assert.deepEqual(cmd("reload").message(line(["web"], { terminate: true })), {
      name: "web",
      graceful: false,
      waiting: false,
      sequential: false,
    });
    assert.deepEqual(cmd("stats").message(line(["web", "12"], { extended: true })), {
      name: "web",
      process: 12,
      extended: true,
    });
    assert.deepEqual(cmd("listen").message(line()), { topics: [""] });
    assert.deepEqual(cmd("kill").message(line(["web", "7"], { signum: "KILL" })), {
      name: "web",
      pid: "7",
      signum: "KILL",
    });
    assert.throws(() => cmd("status").message(line(["a", "b"])), ArgumentError);
  });

  test("consoleOutput() prints what the reference's circusctl prints", () => {
    assert.equal(
      cmd("status").consoleOutput(okReply("1", { statuses: { b: "active", a: "stopped" } }), {}),
      "a: stopped\nb: active",
    );
    assert.equal(cmd("status").consoleOutput(okReply("1", { status: "active" }), {}), "active");
    assert.equal(cmd("list").consoleOutput(okReply("1", { pids: [3, 4] }), {}), "3,4");
    assert.equal(cmd("list").consoleOutput(okReply("1", { watchers: ["a", "b"] }), {}), "a,b");
    assert.equal(cmd("stop").consoleOutput(okReply("1"), {}), "ok");
    assert.equal(
      cmd("stop").consoleOutput(errorReply("1", "program x not found"), {}),
      "error: program x not found",
    );
    assert.equal(cmd("incr").consoleOutput(okReply("1", { numprocesses: 4 }), {}), "4");
    assert.equal(cmd("numwatchers").consoleOutput(okReply("1", { numwatchers: 2 }), {}), "2");
    assert.equal(
      cmd("options").consoleOutput(
        okReply("1", { options: { env: { A: "1", B: "2" }, send_hup: true, uid: null } }),
        {},
      ),
      "env: A=1, B=2\nsend_hup: True\nuid: ",
    );
    assert.equal(
      cmd("listsockets").consoleOutput(
        okReply("1", {
          sockets: [{ fd: 3, name: "web", host: "127.0.0.1", port: 8080, backlog: 5 }],
        }),
        {},
      ),
      "3:socket 'web' at 127.0.0.1:8080",
    );
    const info = {
      pid: 5,
      cmdline: "sleep 9",
      username: "root",
      nice: 0,
      mem_info1: "1M",
      mem_info2: "2M",
      cpu: 0.5,
      mem: 0.1,
      ctime: "0:00.01",
      children: [],
    };
    assert.equal(
      cmd("stats").consoleOutput(okReply("1", { name: "web", info: { 5: info } }), {}),
      "web:\n5: 5  sleep 9 root 0 1M 2M 0.5 0.1 0:00.01",
    );
    assert.equal(
      cmd("dstats").consoleOutput(okReply("1", { info }), {}),
      "Main Process:\n    5  sleep 9 root 0 1M 2M 0.5 0.1 0:00.01",
    );
  });

  test("figures are formatted as Circus's bytes2human and ctime", () => {
    assert.equal(bytes2human(512), "512B");
    assert.equal(bytes2human(3 * 1024 * 1024 + 5), "3.00M");
    assert.equal(bytes2human(1.5 * 1024 * 1024), "1.50M");
    assert.equal(bytes2human(2 * 1024 ** 3), "2.00G");
    assert.equal(formatCtime(0.41), "0:00.41");
    assert.equal(formatCtime(75.5), "1:15.50");
  });
});
