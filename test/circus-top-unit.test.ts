/**
 * circus-top's parts without a terminal: the stats model (the stream's frames, expiry), the
 * layout (Circus's columns, sort, filter, narrow terminals), the keys, the frame bytes, the
 * command line.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { endpointProblem, parseTopArgs, TopUsageError } from "../src/top/args.js";
import { Controls, parseKeys, type Key } from "../src/top/keys.js";
import { layoutScreen, MAX_PROCESSES, QUIET_AFTER, type View } from "../src/top/layout.js";
import { lineText, truncate } from "../src/top/line.js";
import { StatsModel } from "../src/top/stats-model.js";
import { colorsWanted, encodeFrame } from "../src/top/terminal.js";

/** A process frame as circusd-stats publishes it. */
function processFrame(pid: number, cpu: number | string, mem: number | string, name = null) {
  return {
    mem_info1: "1.48M",
    mem_info2: "2.44M",
    cpu,
    mem,
    ctime: "0:00.10",
    pid,
    username: "root",
    nice: 0,
    create_time: 1796564779.88,
    age: 5.2,
    cmdline: "sleep",
    children: [],
    subtopic: pid,
    name,
  };
}

/** A model fed one second of a small system's stream, at time `now`. */
function system(now = 1000): StatsModel {
  const model = new StatsModel(3);
  model.ingest("stat.web.11", processFrame(11, 0.5, 2.25), now);
  model.ingest("stat.web.12", processFrame(12, 75, 0.5), now);
  model.ingest("stat.web", { pid: [11, 12], cpu: 37.75, mem: 2.75, age: 5.2 }, now);
  model.ingest("stat.circus.1", { ...processFrame(1, 0, 0.1), name: "circusd" }, now);
  model.ingest("stat.circus.2", { ...processFrame(2, 1, 0.1), name: "circusd-stats" }, now);
  model.ingest("stat.circus", { pid: [1, 2], cpu: 0.5, mem: 0.2, age: 9 }, now);
  model.ingest("stat.sockets.6", { fd: 6, subtopic: 6, reads: 4, address: "127.0.0.1:8080" }, now);
  model.ingest("stat.sockets", { addresses: ["127.0.0.1:8080"], reads: 4 }, now);
  return model;
}

function view(overrides: Partial<View> = {}): View {
  return {
    width: 100,
    height: 40,
    sort: "cpu",
    filter: "",
    editing: null,
    scroll: 0,
    source: "tcp://127.0.0.1:5557",
    now: 1000,
    startedAt: 0,
    ...overrides,
  };
}

function screen(model: StatsModel, overrides: Partial<View> = {}): string[] {
  return layoutScreen(model, view(overrides)).lines.map(lineText);
}

describe("StatsModel", () => {
  it("takes process, aggregate and socket frames; a watcher name may hold dots", () => {
    const model = system();
    model.ingest("stat.api.v2.77", processFrame(77, "N/A", 1), 1000);
    model.ingest("stat.api.v2", { pid: [77], cpu: "N/A", mem: 1, age: 3 }, 1000);
    assert.deepEqual([...model.watchers.keys()], ["web", "circus", "api.v2"]);
    const api = model.watchers.get("api.v2");
    assert.equal(api?.processes.get(77)?.cpu, "N/A");
    assert.equal(api?.aggregate?.age, 3);
    assert.equal(model.watchers.get("circus")?.processes.get(1)?.name, "circusd");
    assert.equal(model.sockets.sockets.get(6)?.address, "127.0.0.1:8080");
    assert.equal(model.sockets.total?.reads, 4);
  });

  it("ignores what is not a stat", () => {
    const model = new StatsModel(3);
    assert.equal(model.ingest("watcher.web.spawn", { pid: 1 }, 0), false);
    assert.equal(model.ingest("stat.web", "not json", 0), false);
    assert.equal(model.ingest("stat.", {}, 0), false);
    assert.equal(model.lastFrameAt, null);
    assert.ok(model.empty);
  });

  it("drops what was not published within the process timeout", () => {
    const model = system(1000);
    model.ingest("stat.web.12", processFrame(12, 75, 0.5), 3500);
    model.ingest("stat.web", { pid: [12], cpu: 75, mem: 0.5, age: 6 }, 3500);
    model.expire(4000);
    assert.deepEqual([...(model.watchers.get("web")?.processes.keys() ?? [])], [11, 12]);
    model.expire(4001);
    assert.deepEqual([...(model.watchers.get("web")?.processes.keys() ?? [])], [12]);
    assert.equal(model.watchers.has("circus"), false, "a watcher no longer published goes");
    assert.equal(model.sockets.sockets.size, 0);
    model.expire(10_000);
    assert.ok(model.empty);
  });
});

describe("layoutScreen", () => {
  it("shows Waiting for data, then the no-stats line after a quiet while", () => {
    const model = new StatsModel(3);
    const rows = screen(model, { height: 10, now: 100 });
    assert.deepEqual(rows.slice(0, 3), ["Circus Top", "-".repeat(100), "*** Waiting for data ***"]);
    assert.equal(rows.length, 10);
    assert.ok(!rows.some((r) => r.startsWith("no stats")));
    const later = screen(model, { height: 10, now: QUIET_AFTER });
    assert.equal(
      later[4],
      "no stats from tcp://127.0.0.1:5557: is circusd running with statsd = true?",
    );
  });

  it("lays the blocks out as Circus does, the hidden ones left out", () => {
    const model = system();
    model.ingest("stat.circusd-stats", { pid: [], cpu: 0, mem: 0, age: 0 }, 1000);
    const rows = screen(model);
    assert.deepEqual(rows.slice(0, 20), [
      "Circus Top",
      "-".repeat(100),
      "circus",
      "   PID                      CPU (%)             MEMORY (%)          AGE (s)",
      "  2 (circusd-stats)          1.00                0.10                5.20",
      "  1 (circusd)                0.00                0.10                5.20",
      "                             0.50 (avg)          0.20 (sum)          9.00 (older)",
      "",
      "sockets",
      "   ADDRESS                  HITS",
      "  127.0.0.1:8080               4",
      "                               4 (sum)",
      "",
      "web",
      "   PID                      CPU (%)             MEMORY (%)          AGE (s)",
      "  12                         75.00               0.50                5.20",
      "  11                         0.50                2.25                5.20",
      "                             37.75 (avg)         2.75 (sum)          5.20 (older)",
      "",
      "-".repeat(100),
    ]);
    assert.match(rows[39] as string, /^ Sort: CPU {3}c: cpu/);
  });

  it("sorts by memory, filters by name, and says when nothing matches", () => {
    const model = system();
    const byMemory = screen(model, { sort: "mem", filter: "WE" });
    assert.deepEqual(byMemory.slice(2, 6), [
      "web",
      "   PID                      CPU (%)             MEMORY (%)          AGE (s)",
      "  11                         0.50                2.25                5.20",
      "  12                         75.00               0.50                5.20",
    ]);
    assert.ok(!byMemory.includes("circus"));
    assert.match(byMemory[39] as string, /^ Sort: MEMORY {2}Filter: WE /);
    const none = screen(model, { filter: "nope" });
    assert.equal(none[2], 'no watcher matches "nope"');
    const typing = screen(model, { editing: "we" });
    assert.match(typing[39] as string, /^ Filter: we_ {3}Enter: apply {2}Esc: clear/);
  });

  it("counts the processes past the tenth", () => {
    const model = new StatsModel(3);
    for (let pid = 100; pid < 100 + MAX_PROCESSES + 3; pid++) {
      model.ingest(`stat.many.${pid}`, processFrame(pid, pid, 0), 0);
    }
    const rows = screen(model, { now: 0 });
    assert.equal(rows.filter((r) => /^ {2}1\d\d /.test(r)).length, MAX_PROCESSES);
    assert.ok(rows.includes("  (+3 more)"));
  });

  it("narrows the columns on a narrow terminal and cuts rows, never wider than it", () => {
    const rows = screen(system(), { width: 50, height: 12 });
    assert.equal(rows.length, 12);
    assert.ok(
      rows.every((r) => [...r].length <= 50),
      rows.join("\n"),
    );
    assert.equal(rows[1], "-".repeat(50));
    assert.equal(rows[3], "   PID              CPU (%)       MEMORY (%)    AG");
    assert.equal(rows[4], "  2 (circusd-stats)  1.00          0.10          5");
    assert.match(rows[11] as string, /^ Sort: CPU/);
  });

  it("scrolls the blocks under a fixed title, and says which rows are shown", () => {
    const model = system();
    const top = layoutScreen(model, view({ height: 8 }));
    assert.equal(top.scroll, 0);
    const rows = top.lines.map(lineText);
    assert.deepEqual(rows.slice(0, 3), ["Circus Top", "-".repeat(100), "circus"]);
    assert.match(rows[7] as string, /^ Sort: CPU {2}Rows: 1-5 of 18 .*j\/k: scroll/);
    const end = layoutScreen(model, view({ height: 8, scroll: 1000 }));
    assert.equal(end.scroll, 13, "clamped to the last screenful");
    const last = end.lines.map(lineText);
    assert.deepEqual(last.slice(0, 2), ["Circus Top", "-".repeat(100)]);
    assert.equal(last[6], "-".repeat(100));
    assert.match(last[7] as string, /Rows: 14-18 of 18/);
    assert.doesNotMatch(screen(model)[39] as string, /Rows|scroll/, "no scrolling when all fits");
  });

  it("shows control characters of a name as ?", () => {
    const model = new StatsModel(3);
    model.ingest("stat.evil\x1b[2J", { pid: [], cpu: 0, mem: 0, age: 0 }, 0);
    assert.ok(screen(model, { now: 0 }).includes("evil?[2J"));
  });
});

describe("keys", () => {
  it("reads an arrow key whole, Esc alone as Esc", () => {
    assert.deepEqual(parseKeys("\x1b[A"), [{ kind: "scroll", by: "line", down: false }]);
    assert.deepEqual(parseKeys("\x1b[15~"), [{ kind: "other" }]);
    assert.deepEqual(parseKeys("\x1b"), [{ kind: "escape" }]);
    assert.deepEqual(parseKeys("m/\r\x7f\x03\x0c"), [
      { kind: "char", char: "m" },
      { kind: "char", char: "/" },
      { kind: "enter" },
      { kind: "backspace" },
      { kind: "interrupt" },
      { kind: "repaint" },
    ]);
  });

  it("sorts, filters, and quits", () => {
    const controls = new Controls();
    const press = (text: string): string[] =>
      parseKeys(text).map((key: Key) => controls.press(key));
    assert.deepEqual(press("M"), ["redraw"]);
    assert.equal(controls.sort, "mem");
    assert.deepEqual(press("m"), ["none"]);
    assert.deepEqual(press("P"), ["redraw"]);
    assert.equal(controls.sort, "cpu");
    press("/wqb\x7feb\r");
    assert.equal(controls.filter, "wqeb", "q is text while typing the filter");
    assert.equal(controls.editing, null);
    press("\x1b");
    assert.equal(controls.filter, "");
    press("/web\x1b");
    assert.equal(controls.filter, "");
    controls.page = 5;
    assert.deepEqual(press("jj\x1b[B\x1b[6~"), ["redraw", "redraw", "redraw", "redraw"]);
    assert.equal(controls.scroll, 8);
    press("k\x1b[A\x1b[5~");
    assert.equal(controls.scroll, 1);
    press("\x1b[5~");
    assert.equal(controls.scroll, 0);
    press("G");
    assert.equal(controls.scroll, Number.MAX_SAFE_INTEGER);
    press("/x\r");
    assert.equal(controls.scroll, 0, "a new filter starts at the top");
    press("\x1b");
    assert.deepEqual(press("q"), ["quit"]);
    assert.deepEqual(press("\x03"), ["quit"]);
  });
});

describe("terminal", () => {
  it("draws from home, erases each row's end, fills the status bar", () => {
    const rows = layoutScreen(new StatsModel(3), view({ width: 30, height: 3 })).lines;
    const plain = encodeFrame(rows, 30, 3, false);
    assert.equal(
      plain,
      "\x1b[HCircus Top\x1b[K\r\n------------------------------\r\n Sort: CPU   c: cpu  m: memory",
    );
    const coloured = encodeFrame(rows, 30, 3, true);
    assert.ok(coloured.startsWith("\x1b[H\x1b[1mCircus Top\x1b[0m\x1b[K\r\n"));
    assert.ok(!coloured.includes("\x1b[2J"), "no full clear between frames");
  });

  it("uses colours on a colour terminal only", () => {
    const tty = { isTTY: true };
    assert.equal(colorsWanted({ TERM: "xterm-256color" }, tty), true);
    assert.equal(colorsWanted({ TERM: "xterm", NO_COLOR: "1" }, tty), false);
    assert.equal(colorsWanted({ TERM: "xterm", NO_COLOR: "" }, tty), true);
    assert.equal(colorsWanted({ TERM: "dumb" }, tty), false);
    assert.equal(colorsWanted({ TERM: "xterm" }, { isTTY: false }), false);
  });

  it("cuts a styled row to a width", () => {
    const line = {
      segments: [{ text: "ab" }, { text: "cdé", style: "hot" as const }],
      fill: "status" as const,
    };
    assert.deepEqual(truncate(line, 4), {
      segments: [{ text: "ab" }, { text: "cd", style: "hot" }],
      fill: "status",
    });
  });
});

describe("command line", () => {
  it("takes Circus's options", () => {
    assert.deepEqual(parseTopArgs([]), {
      kind: "run",
      options: {
        endpoint: "tcp://127.0.0.1:5557",
        ssh: null,
        sshKeyfile: null,
        processTimeout: 3,
        curveKey: null,
        curveServerKey: null,
      },
    });
    const args = ["--endpoint=ipc:///tmp/s", "--ssh", "me@host:22", "--process-timeout", "0.5"];
    assert.deepEqual(parseTopArgs(args), {
      kind: "run",
      options: {
        endpoint: "ipc:///tmp/s",
        ssh: "me@host:22",
        sshKeyfile: null,
        processTimeout: 0.5,
        curveKey: null,
        curveServerKey: null,
      },
    });
    assert.deepEqual(parseTopArgs(["--version"]), { kind: "version" });
    assert.deepEqual(parseTopArgs(["-h"]), { kind: "help" });
    assert.throws(() => parseTopArgs(["--process-timeout", "0"]), TopUsageError);
    assert.throws(() => parseTopArgs(["--bogus"]), TopUsageError);
    assert.throws(() => parseTopArgs(["extra"]), TopUsageError);
  });

  it("tells a bad endpoint", () => {
    assert.equal(endpointProblem("tcp://127.0.0.1:5557"), null);
    assert.equal(endpointProblem("tcp://[::1]:5557"), null);
    assert.equal(endpointProblem("ipc:///run/stats.sock"), null);
    assert.match(endpointProblem("tcp://*:5557") ?? "", /binds/);
    assert.match(endpointProblem("tcp://127.0.0.1:*") ?? "", /binds/);
    assert.match(endpointProblem("tcp://host:65536") ?? "", /port up to 65535/);
    assert.match(endpointProblem("localhost:5557") ?? "", /expected tcp:\/\/HOST:PORT/);
  });
});
