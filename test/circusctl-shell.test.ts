/**
 * circusctl's interactive shell against a real circusd: fed through a pipe (every line
 * answered, errors printed and the shell going on), and in a real pseudo-terminal (`script`)
 * with tab completion of commands and watcher names, history across sessions, and Ctrl-D.
 */
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { makeTempDir, waitFor, workerSection } from "./helpers/circusd.js";
import { PtyCtl, runCtl, startDaemon, type Daemon } from "./helpers/ctl.js";
import { HELP_COMMANDS } from "./helpers/ctl-tests.js";
import { cleanupEachTest, defer } from "./helpers/cleanup.js";

cleanupEachTest();

let d: Daemon;
let home: string;

before(async () => {
  d = await startDaemon(
    (dir) => workerSection(dir, "webapp", { numprocesses: 2 }) + workerSection(dir, "worker"),
  );
  home = makeTempDir("circusctl-home-");
});

/** The shell fed `input` through a pipe. */
const shell = (input: string) => runCtl(["--endpoint", d.endpoint], { input, env: { HOME: home } });

describe("the shell through a pipe", () => {
  test("greets with the version and every watcher's status, then prompts", async () => {
    const r = await shell("");
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /^circusctl \d+\.\d+\.\d+\nwebapp: active\nworker: active\n\(circusctl\) \n$/,
    );
  });

  test("help lists the documented commands as Python's cmd does", async () => {
    const r = await shell("help\n");
    const block = r.stdout.slice(r.stdout.indexOf("Documented"));
    assert.match(block, /^Documented commands \(type help <topic>\):\n={40}\nadd {5}/);
    for (const name of HELP_COMMANDS)
      assert.match(block, new RegExp(`(^| )${name}( |$)`, "m"), name);
    assert.match(block, /\nUndocumented commands:\n={22}\nEOF {2}help\n/);
    for (const line of block.split("\n")) assert.ok(line.length <= 79, line);
  });

  test("help CMD prints the command's help; ? too; unknown topics and commands are said", async () => {
    const r = await shell("help status\n?incr\nhelp nope\nbogus things\n");
    assert.match(r.stdout, /\(circusctl\) Get the status of a watcher or all watchers\n/);
    assert.match(r.stdout, /\(circusctl\) Increment the number of processes in a watcher\n/);
    assert.match(r.stdout, /\*\*\* No help on nope\n/);
    assert.match(r.stdout, /\*\*\* Unknown syntax: bogus things\n/);
    assert.equal(r.code, 0);
  });

  test("commands print what circusctl prints; an error is printed and the shell goes on", async () => {
    const r = await shell("list\nstatus nope\nincr\nlist webapp\nnumwatchers\n");
    assert.equal(r.code, 0);
    assert.match(r.stdout, /\(circusctl\) webapp,worker\n/);
    assert.match(r.stdout, /\(circusctl\) \d+,\d+\n\(circusctl\) 2\n/);
    assert.match(r.stderr, /error: program nope not found\n/);
    assert.match(r.stderr, /Invalid number of arguments\n/);
  });

  test("EOF (or the end of the input) leaves with status 0 and a newline", async () => {
    const r = await shell("EOF\nlist\n");
    assert.equal(r.code, 0);
    assert.ok(!r.stdout.includes("webapp,worker"), "nothing runs after EOF");
    assert.ok(r.stdout.endsWith("(circusctl) \n"));
  });

  test("a daemon that does not answer: the greeting says so and the shell still runs", async () => {
    const r = await runCtl(["--endpoint", "tcp://127.0.0.1:1", "--timeout", "0.5"], {
      input: "help status\n",
      env: { HOME: home },
    });
    assert.equal(r.code, 0);
    assert.match(r.stderr, /circusctl: timed out/);
    assert.match(r.stdout, /Get the status of a watcher/);
  });
});

describe("the shell in a terminal", () => {
  /** A shell in a pty, past its greeting. */
  async function terminal(): Promise<PtyCtl> {
    const pty = new PtyCtl(["--endpoint", d.endpoint], { HOME: home, TERM: "xterm" });
    defer(() => pty.close());
    await pty.waitFor(/\(circusctl\) /);
    return pty;
  }

  /** Types one key or word, as a person does: one write, then a pause. */
  async function key(pty: PtyCtl, keys: string): Promise<void> {
    pty.type(keys);
    await sleep(150);
  }

  test("Tab completes command names, then watcher names (asked with list); Ctrl-D quits", async () => {
    const pty = await terminal();
    await key(pty, "statu");
    await key(pty, "\t");
    await pty.waitFor(/status $/);
    await key(pty, "web");
    await key(pty, "\t");
    await pty.waitFor(/status webapp $/);
    const mark = pty.output.length;
    await key(pty, "\r");
    await pty.waitFor(/\nactive\r?\n/, mark);
    // Two Tabs list the choices: the commands that start with "li".
    await key(pty, "li");
    await key(pty, "\t");
    await key(pty, "\t");
    await waitFor(() => /listen/.test(pty.text) && /listsockets/.test(pty.text));
    await key(pty, "\x15"); // Ctrl-U: drop the line
    await key(pty, "\x04"); // Ctrl-D
    assert.equal(await pty.exited, 0);
  });

  test("listen prints events until Ctrl-C, which returns to the prompt", async () => {
    const pty = await terminal();
    await key(pty, `listen ${d.pubsub}`);
    await key(pty, "\r");
    await waitFor(
      async () => {
        await runCtl(["--endpoint", d.endpoint, "incr", "worker"]);
        await sleep(200);
        return /watcher\.worker\.spawn: \{/.test(pty.output);
      },
      { message: () => `a spawn line in ${JSON.stringify(pty.output)}` },
    );
    await key(pty, "\x03"); // Ctrl-C: ends listen, not the shell
    const mark = pty.output.length;
    await key(pty, "numwatchers");
    await key(pty, "\r");
    await pty.waitFor(/\r?\n2\r?\n/, mark);
    await key(pty, "\x03"); // Ctrl-C at the prompt leaves, as Circus's shell does
    assert.equal(await pty.exited, 0);
  });

  test("history is kept in ~/.circusctl_history and recalled with the Up arrow", async () => {
    const file = path.join(home, ".circusctl_history");
    writeFileSync(file, "numwatchers\n");
    const pty = await terminal();
    await key(pty, "list");
    await key(pty, "\r");
    await pty.waitFor(/webapp,worker/);
    await waitFor(() => readFileSync(file, "utf8").endsWith("numwatchers\nlist\n"));
    // Up twice: back to the command of the previous session.
    await key(pty, "\x1b[A");
    await key(pty, "\x1b[A");
    const mark = pty.output.length;
    await key(pty, "\r");
    await pty.waitFor(/\r?\n2\r?\n/, mark);
    await key(pty, "\x04");
    assert.equal(await pty.exited, 0);
    // A repeated command moves to the end instead of being stored twice.
    assert.equal(readFileSync(file, "utf8"), "list\nnumwatchers\n");
  });
});
