/**
 * circus-top in a real terminal (tmux), on the stream of a real circusd run with
 * `statsd = true`: what a user sees and does. Every wait polls the screen, bounded.
 *
 * CIRCUS_TOP_REFERENCE=/path/to/circus-ref runs Circus 0.19's circusd (and its circusd-stats)
 * instead of ours, to check that circus-top reads the reference's stream the same way.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { before, describe, it } from "node:test";
import { Client } from "../src/client/client.js";
import { NODE_WORKER, ROOT, makeTempDir, startCircusd, waitFor } from "./helpers/circusd.js";
import { cleanupEachTest, defer } from "./helpers/cleanup.js";
import { freePort } from "./helpers/ctl.js";
import { Tmux } from "./helpers/tmux.js";

cleanupEachTest();

const TOP = path.join(ROOT, "dist/cli/circus-top.js");
const LOAD = path.join(ROOT, "test/fixtures/top-load.mjs");
const REFERENCE = process.env.CIRCUS_TOP_REFERENCE;

/** A circusd with statsd on: its endpoints, and the pids a test looks for on the screen. */
interface System {
  endpoint: string;
  stats: string;
  circusdPid: number;
  /** The load watcher's CPU burner (wid 1) and memory holder (wid 2). */
  burner: number;
  holder: number;
  socketAddress: string;
}

/** A single-quoted shell word. */
function sh(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * circusd with three watchers, `load` (one process burning CPU, one holding memory), `idle`
 * (two idle workers) and a socket; circusd-stats on its own port.
 */
async function startSystem(): Promise<System> {
  const dir = makeTempDir("circus-top-");
  const [control, pubsub, stats, socket] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const config = `[circus]
endpoint = tcp://127.0.0.1:${control}
pubsub_endpoint = tcp://127.0.0.1:${pubsub}
stats_endpoint = tcp://127.0.0.1:${stats}
statsd = true
check_delay = 1

[watcher:load]
cmd = ${process.execPath} ${LOAD} $(circus.wid) ${dir}
numprocesses = 2
graceful_timeout = 2

[watcher:idle]
cmd = ${NODE_WORKER} --out ${dir}/idle.jsonl
numprocesses = 2
graceful_timeout = 2

[socket:web]
host = 127.0.0.1
port = ${socket}
`;
  let circusdPid: number;
  if (REFERENCE) {
    const file = path.join(dir, "circus.ini");
    writeFileSync(file, config);
    // Its own process group: the reference's circusd-stats carries no marker of the folder.
    const child = spawn(REFERENCE, ["circusd", file], {
      cwd: dir,
      detached: true,
      stdio: "ignore",
    });
    defer(() => {
      try {
        process.kill(-(child.pid as number), "SIGKILL");
      } catch {
        // gone
      }
    });
    circusdPid = await waitFor(async () => {
      const client = new Client({ endpoint: `tcp://127.0.0.1:${control}`, timeout: 1 });
      try {
        const reply = await client.call("dstats");
        return (reply.info as { pid?: number } | undefined)?.pid;
      } finally {
        client.close();
      }
    });
  } else {
    const circusd = startCircusd(config, { dir });
    circusdPid = circusd.pid;
  }
  const pidOf = (wid: number): Promise<number> =>
    waitFor(() => {
      const file = path.join(dir, `load-${wid}.pid`);
      return existsSync(file) ? Number(readFileSync(file, "utf8")) || null : null;
    });
  return {
    endpoint: `tcp://127.0.0.1:${control}`,
    stats: `tcp://127.0.0.1:${stats}`,
    circusdPid,
    burner: await pidOf(1),
    holder: await pidOf(2),
    socketAddress: `127.0.0.1:${socket}`,
  };
}

/**
 * circus-top in a tmux pane run by sh, which then prints circus-top's exit status and the
 * terminal's mode (stty), so that a test sees what circus-top left behind.
 */
async function startTop(
  args: string[],
  options: {
    width?: number;
    height?: number;
    env?: Record<string, string | undefined>;
    /** A redirection of circus-top's own, e.g. `< /dev/null`. */
    redirect?: string;
  } = {},
): Promise<Tmux> {
  const env = { NO_COLOR: undefined, ...options.env };
  const command = [
    "env",
    ...Object.entries(env).map(([key, value]) =>
      value === undefined ? `-u${key}` : `${key}=${value}`,
    ),
    process.execPath,
    TOP,
    ...args,
  ]
    .map(sh)
    .join(" ");
  const redirect = options.redirect ? ` ${options.redirect}` : "";
  return Tmux.start(
    `${command}${redirect}; echo "circus-top exited $?"; stty -a; exec sleep 600`,
    options,
  );
}

/** The rows of one block: from its name to the blank row that ends it. */
function block(rows: string[], name: string): string[] | null {
  const start = rows.indexOf(name);
  if (start < 0) return null;
  const end = rows.indexOf("", start);
  return rows.slice(start, end < 0 ? undefined : end);
}

/** The pids of a block's process rows, in screen order. */
function pidsOf(rows: string[] | null): number[] {
  if (!rows) return [];
  return rows
    .slice(2)
    .map((row) => /^ {2}(\d+)\b/.exec(row)?.[1])
    .filter((pid): pid is string => pid !== undefined)
    .map(Number);
}

/** The status bar (the last row). */
function status(rows: string[]): string {
  return (rows[rows.length - 1] ?? "").trim();
}

describe("circus-top on a running circusd with statsd = true", () => {
  let system: System;
  before(async () => {
    system = await startSystem();
  });

  it("shows a block per watcher with the real pids, the busiest first, by memory with m", async () => {
    const top = await startTop(["--endpoint", system.stats]);
    // A screen drawn amid a second's burst of frames may lack the last ones: wait for all.
    const rows = await top.waitForScreen("both load processes, circusd, the sockets", (rows) => {
      const load = block(rows, "load") ?? [];
      return pidsOf(load).includes(system.burner) &&
        pidsOf(load).includes(system.holder) &&
        / \(older\)$/.test(load[load.length - 1] ?? "") &&
        rows.some((r) => r.startsWith(`  ${system.circusdPid} (circusd)`)) &&
        / \(sum\)$/.test(block(rows, "sockets")?.[3] ?? "")
        ? rows
        : null;
    });
    assert.equal(rows[0], "Circus Top");
    assert.match(rows[1] as string, /^-{120}$/);
    // Blocks by name; circusd-stats only as a process of the circus block.
    const names = rows.filter((r) => /^[a-z]/.test(r) && r !== "Circus Top");
    assert.deepEqual(names, ["circus", "idle", "load", "sockets"]);
    const load = block(rows, "load") as string[];
    // Circus's columns: PID, CPU (%) at 28, MEMORY (%) at 48, AGE (s) at 68.
    assert.equal(
      load[1],
      "   PID                      CPU (%)             MEMORY (%)          AGE (s)",
    );
    assert.match(
      load[load.length - 1] as string,
      /^ {29}\d+\.\d\d \(avg\) +\d+\.\d\d \(sum\) +\d+\.\d\d \(older\)$/,
    );
    assert.ok(
      rows.some((r) => /^ {2}\d+ \(circusd-stats\) /.test(r)),
      "circusd-stats is shown in the circus block",
    );
    const sockets = block(rows, "sockets") as string[];
    assert.match(sockets[1] as string, /^ {3}ADDRESS +HITS$/);
    assert.match(sockets[2] as string, new RegExp(`^ {2}${system.socketAddress} +\\d+$`));
    assert.match(sockets[3] as string, /^ +\d+ \(sum\)$/);

    await top.waitForScreen(
      "the CPU burner first, sorted by CPU",
      (rows) =>
        pidsOf(block(rows, "load"))[0] === system.burner && status(rows).startsWith("Sort: CPU"),
    );
    await top.keys("m");
    await top.waitForScreen(
      "the memory holder first, sorted by memory",
      (rows) =>
        pidsOf(block(rows, "load"))[0] === system.holder && status(rows).startsWith("Sort: MEMORY"),
    );
    await top.keys("c");
    await top.waitForScreen(
      "the CPU burner first again",
      (rows) =>
        pidsOf(block(rows, "load"))[0] === system.burner && status(rows).startsWith("Sort: CPU"),
    );
  });

  it("filters the watchers with / and clears the filter with Esc", async () => {
    const top = await startTop(["--endpoint", system.stats]);
    await top.waitForScreen("the load block", (rows) => block(rows, "load"));
    await top.keys("/", "i", "d", "l");
    await top.waitForScreen("the filter being typed", (rows) =>
      status(rows).startsWith("Filter: idl_"),
    );
    await top.keys("Enter");
    const rows = await top.waitForScreen("only the idle block, its two processes", (rows) =>
      pidsOf(block(rows, "idle")).length === 2 && !block(rows, "load") ? rows : null,
    );
    assert.equal(block(rows, "circus"), null);
    assert.equal(block(rows, "sockets"), null);
    assert.match(status(rows), /Filter: idl/);
    await top.keys("Escape");
    await top.waitForScreen(
      "every block again",
      (rows) => block(rows, "load") && block(rows, "circus") && !/Filter/.test(status(rows)),
    );
  });

  it("lays the screen out again when the terminal is resized, never wrapping", async () => {
    const top = await startTop(["--endpoint", system.stats]);
    await top.waitForScreen("Circus's columns at 120 columns", (rows) =>
      block(rows, "load")?.[1]?.startsWith("   PID                      CPU (%)"),
    );
    await top.resize(60, 20);
    const rows = await top.waitForScreen("narrow columns and a 60-column rule", (rows) =>
      rows[1] === "-".repeat(60) && /^ {3}PID {4,}CPU \(%\)/.test(block(rows, "circus")?.[1] ?? "")
        ? rows
        : null,
    );
    assert.equal(rows.length, 20);
    assert.ok(rows.every((r) => r.length <= 60));
    assert.match(status(rows), /^Sort: CPU/, "the status bar stays on the last row");
    // Cut, not wrapped: every row is one the layout made (no fragment of a longer one).
    for (const row of rows.slice(2, -1)) {
      assert.match(
        row,
        /^($|[a-z]|-+$| {3}(PID|ADDRESS) | {2}\d| {9,}\d)/,
        `row ${JSON.stringify(row)}`,
      );
    }
    // Not every block fits in 20 rows: G scrolls to the end, g back to the top.
    assert.match(status(rows), /Rows: 1-17 of \d+/);
    await top.keys("G");
    await top.waitForScreen(
      "the sockets block and the closing rule after G",
      (rows) =>
        block(rows, "sockets") &&
        rows[rows.length - 2] === "-".repeat(60) &&
        rows[0] === "Circus Top" &&
        /Rows: \d+-(\d+) of \1/.test(status(rows)),
    );
    await top.keys("g");
    await top.waitForScreen("the circus block at the top after g", (rows) => rows[2] === "circus");
    await top.resize(120, 40);
    await top.waitForScreen("Circus's columns again", (rows) =>
      block(rows, "load")?.[1]?.startsWith("   PID                      CPU (%)"),
    );
  });

  it("colours the screen, and not with NO_COLOR or TERM=dumb", async () => {
    const top = await startTop(["--endpoint", system.stats]);
    await top.waitForScreen("the load block", (rows) => block(rows, "load"));
    // The watcher's name in bold cyan.
    // eslint-disable-next-line no-control-regex
    assert.match(await top.screenWithAttributes(), /\x1b\[1m\x1b\[36mload/);
    for (const env of [{ NO_COLOR: "1" }, { TERM: "dumb" }]) {
      const plain = await startTop(["--endpoint", system.stats], { env });
      await plain.waitForScreen("the load block", (rows) => block(rows, "load"));
      // eslint-disable-next-line no-control-regex
      assert.doesNotMatch(await plain.screenWithAttributes(), /\x1b\[/, JSON.stringify(env));
    }
  });

  it("gives the terminal back on q, Ctrl-C and SIGTERM", async () => {
    // Ctrl-C is a key in raw mode (exit 0), and SIGINT when stdin is no terminal: then the
    // keys are not read, and circus-top does not take the end of its input for a quit.
    for (const [how, code, redirect] of [
      ["q", 0, ""],
      ["C-c", 0, ""],
      ["SIGTERM", 143, ""],
      ["C-c", 130, "< /dev/null"],
    ] as const) {
      const top = await startTop(["--endpoint", system.stats], { redirect });
      await top.waitForScreen("the load block", (rows) => block(rows, "load"));
      assert.equal(await top.display("#{alternate_on} #{cursor_flag}"), "1 0");
      if (redirect) {
        // Still running a second later, its input long at its end.
        await new Promise((resolve) => setTimeout(resolve, 1000));
        assert.ok(block(await top.screen(), "load"), "circus-top quit at the end of its stdin");
      }
      if (how === "SIGTERM") {
        const pid = Number(await top.display("#{pane_pid}"));
        // The pane runs sh, which runs circus-top as its child.
        const child = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim();
        process.kill(Number(child.split(" ")[0]), "SIGTERM");
      } else await top.keys(how);
      const rows = await top.waitForScreen(`the shell after ${how}`, (rows) =>
        rows.some((r) => r.startsWith("circus-top exited")) && rows.some((r) => /icanon/.test(r))
          ? rows
          : null,
      );
      assert.ok(rows.includes(`circus-top exited ${code}`), rows.join("\n"));
      assert.equal(await top.display("#{alternate_on} #{cursor_flag}"), "0 1", how);
      const stty = rows.join(" ");
      assert.match(stty, /(^|\s)icanon\b/, "cooked mode");
      assert.match(stty, /(^|\s)echo\b/, "echo");
    }
  });

  it("drops a process that is no longer published after --process-timeout", async () => {
    const top = await startTop(["--endpoint", system.stats, "--process-timeout", "1"]);
    const before = await top.waitForScreen("two idle processes", (rows) => {
      const pids = pidsOf(block(rows, "idle"));
      return pids.length === 2 ? pids : null;
    });
    const client = new Client({ endpoint: system.endpoint, timeout: 10 });
    defer(() => client.close());
    await client.callOk("decr", { name: "idle" });
    // Circus answers decr before the process is gone.
    const left = await waitFor(async () => {
      const pids = (await client.callOk("list", { name: "idle" })).pids as number[];
      return pids.length === 1 ? pids : null;
    });
    const gone = before.find((pid) => !left.includes(pid)) as number;
    await top.waitForScreen(`pid ${gone} gone, ${left[0]} still there`, (rows) => {
      const pids = pidsOf(block(rows, "idle"));
      return pids.length === 1 && pids[0] === left[0];
    });
  });
});

describe("circus-top without a stream", () => {
  it("waits, then says that nothing publishes on the endpoint", async () => {
    const endpoint = `tcp://127.0.0.1:${await freePort()}`;
    const top = await startTop(["--endpoint", endpoint]);
    await top.waitForScreen("the waiting line", (rows) =>
      rows.includes("*** Waiting for data ***"),
    );
    await top.waitForScreen("the no-stats message", (rows) =>
      rows.includes(`no stats from ${endpoint}: is circusd running with statsd = true?`),
    );
  });

  it("exits 1 with one line for an invalid endpoint, 2 for a wrong option", async () => {
    const runTop = (
      args: string[],
    ): Promise<{ code: number | null; stderr: string; stdout: string }> =>
      new Promise((resolve) => {
        const child = spawn(process.execPath, [TOP, ...args], {
          stdio: ["ignore", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
        child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
        child.once("close", (code) => resolve({ code, stdout, stderr }));
      });
    const invalid = await runTop(["--endpoint", "127.0.0.1:5557"]);
    assert.equal(invalid.code, 1);
    assert.equal(
      invalid.stderr,
      'circus-top: --endpoint: expected tcp://HOST:PORT or ipc://PATH, got "127.0.0.1:5557"\n',
    );
    const port = await runTop(["--endpoint", "tcp://127.0.0.1:70000"]);
    assert.equal(port.code, 1);
    assert.match(
      port.stderr,
      /^circus-top: --endpoint: expected .* with a port up to 65535, got "tcp:\/\/127\.0\.0\.1:70000"\n$/,
    );
    const noTerminal = await runTop([]);
    assert.equal(noTerminal.code, 1);
    assert.equal(
      noTerminal.stderr,
      "circus-top: stdout is not a terminal (circus-top draws a full screen)\n",
    );
    const wrong = await runTop(["--process-timeout", "soon"]);
    assert.equal(wrong.code, 2);
    assert.match(
      wrong.stderr,
      /circus-top: error: argument --process-timeout: invalid value: 'soon'\n$/,
    );
    const version = await runTop(["--version"]);
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
  });
});
