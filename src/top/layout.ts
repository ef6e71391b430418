/**
 * circus-top's screen from the stats and the view (sort, filter, size): Circus's layout, a
 * title, a rule, then a block per watcher sorted by name, each with its processes and the
 * watcher's aggregate, and the sockets' hits; plus a status bar on the last row.
 */
import { cells, lineWidth, plain, sanitize, truncate, type Line, type Style } from "./line.js";
import {
  SOCKETS,
  type Figure,
  type ProcessStat,
  type SocketsStats,
  type StatsModel,
  type WatcherStats,
} from "./stats-model.js";

/** What the processes of a block are sorted by, highest first. */
export type SortKey = "cpu" | "mem";

/** Everything the screen depends on besides the stats. */
export interface View {
  width: number;
  height: number;
  sort: SortKey;
  /** The applied filter, a substring of block names; "" for none. */
  filter: string;
  /** The filter being typed after `/`, or null. */
  editing: string | null;
  /** The first row of the blocks shown, when they do not all fit; clamped by the layout. */
  scroll: number;
  /** Where the stats come from, as the no-data message names it. */
  source: string;
  /** Now and when the console started (ms, the model's clock). */
  now: number;
  startedAt: number;
}

/** Milliseconds without a frame before the screen says that nothing publishes. */
export const QUIET_AFTER = 3000;
/** Processes shown per block, as Circus shows them; the rest is counted on one line. */
export const MAX_PROCESSES = 10;
/** Blocks Circus's circus-top leaves out: the console's own plumbing. */
const HIDDEN = new Set(["circusd-stats", "circushttpd"]);

const SORT_NAMES: Record<SortKey, string> = { cpu: "CPU", mem: "MEMORY" };

/** From these figures on (% of one core, % of the machine's memory) a process stands out. */
const CPU_WARM = 30;
const CPU_HOT = 80;
const MEM_WARM = 5;
const MEM_HOT = 20;

/** Where each column starts. */
interface Columns {
  pid: number;
  cpu: number;
  mem: number;
  age: number;
}

/**
 * Circus's columns (values at 2, 29, 49 and 69) when they fit, pushed right by a pid label
 * too long for them; on a narrower terminal, columns as narrow as the labels allow.
 */
function columns(width: number, longestLabel: number): Columns {
  const wideCpu = Math.max(29, 2 + longestLabel + 3);
  // The age column ends with "1234.56 (older)".
  if (width >= wideCpu + 40 + 15)
    return { pid: 2, cpu: wideCpu, mem: wideCpu + 20, age: wideCpu + 40 };
  const cpu = 2 + Math.max(longestLabel, 7) + 2;
  return { pid: 2, cpu, mem: cpu + 14, age: cpu + 28 };
}

/** `%.2f`, or N/A. */
function formatFigure(value: Figure): string {
  return value === "N/A" ? "N/A" : value.toFixed(2);
}

function sortValue(value: Figure): number {
  return value === "N/A" ? -Infinity : value;
}

function level(value: Figure, warm: number, hot: number): Style | undefined {
  if (value === "N/A") return undefined;
  return value >= hot ? "hot" : value >= warm ? "warm" : undefined;
}

/**
 * The processes of a block, highest first by the sort key, then by the other figure, then
 * the oldest first (as Circus's ties fall), then by pid; N/A last.
 */
export function sortProcesses(stats: WatcherStats, sort: SortKey): ProcessStat[] {
  const key = (p: ProcessStat): number => sortValue(sort === "cpu" ? p.cpu : p.mem);
  const other = (p: ProcessStat): number => sortValue(sort === "cpu" ? p.mem : p.cpu);
  const age = (p: ProcessStat): number => sortValue(p.age);
  // -Infinity - -Infinity is NaN, falsy: two N/A go on to the next criterion.
  return [...stats.processes.values()].sort(
    (a, b) => key(b) - key(a) || other(b) - other(a) || age(b) - age(a) || a.pid - b.pid,
  );
}

function pidLabel(process: ProcessStat): string {
  return process.name === null ? String(process.pid) : `${process.pid} (${sanitize(process.name)})`;
}

/** A case-insensitive substring of block names; "" keeps every block. */
export function matchesFilter(name: string, filter: string): boolean {
  return filter === "" || name.toLowerCase().includes(filter.toLowerCase());
}

function watcherBlock(stats: WatcherStats, view: View, at: Columns): Line[] {
  const lines: Line[] = [
    plain(sanitize(stats.name), "watcher"),
    cells([
      { column: at.pid + 1, text: "PID", style: "header" },
      { column: at.cpu - 1, text: "CPU (%)", style: "header" },
      { column: at.mem - 1, text: "MEMORY (%)", style: "header" },
      { column: at.age - 1, text: "AGE (s)", style: "header" },
    ]),
  ];
  const processes = sortProcesses(stats, view.sort);
  for (const process of processes.slice(0, MAX_PROCESSES)) {
    const cpu = level(process.cpu, CPU_WARM, CPU_HOT);
    const mem = level(process.mem, MEM_WARM, MEM_HOT);
    lines.push(
      cells([
        { column: at.pid, text: pidLabel(process) },
        { column: at.cpu, text: formatFigure(process.cpu), ...(cpu && { style: cpu }) },
        { column: at.mem, text: formatFigure(process.mem), ...(mem && { style: mem }) },
        { column: at.age, text: formatFigure(process.age) },
      ]),
    );
  }
  if (processes.length > MAX_PROCESSES) {
    const more = `(+${processes.length - MAX_PROCESSES} more)`;
    lines.push(cells([{ column: at.pid, text: more, style: "dim" }]));
  }
  const total = stats.aggregate;
  if (total) {
    lines.push(
      cells([
        { column: at.cpu, text: `${formatFigure(total.cpu)} (avg)` },
        { column: at.mem, text: `${formatFigure(total.mem)} (sum)` },
        { column: at.age, text: `${formatFigure(total.age)} (older)` },
      ]),
    );
  }
  lines.push(plain(""));
  return lines;
}

function socketsBlock(stats: SocketsStats, at: Columns): Line[] {
  const lines: Line[] = [
    plain(SOCKETS, "watcher"),
    cells([
      { column: at.pid + 1, text: "ADDRESS", style: "header" },
      { column: at.cpu - 1, text: "HITS", style: "header" },
    ]),
  ];
  const sockets = [...stats.sockets.values()].sort(
    (a, b) => b.reads - a.reads || a.address.localeCompare(b.address),
  );
  for (const socket of sockets) {
    lines.push(
      cells([
        { column: at.pid, text: sanitize(socket.address) },
        { column: at.cpu, text: String(socket.reads).padStart(3) },
      ]),
    );
  }
  const total = stats.total?.reads ?? sockets.reduce((sum, s) => sum + s.reads, 0);
  lines.push(cells([{ column: at.cpu, text: `${String(total).padStart(3)} (sum)` }]));
  lines.push(plain(""));
  return lines;
}

function hasSockets(stats: SocketsStats): boolean {
  return stats.sockets.size > 0 || stats.total !== null;
}

/** The widest first-column label of a block: a pid with its name, or a socket's address. */
function labelWidth(model: StatsModel, name: string): number {
  const stats = model.watchers.get(name);
  if (stats) return Math.max(0, ...[...stats.processes.values()].map((p) => pidLabel(p).length));
  // An address widens the column only so far: a long unix socket path is cut instead.
  return Math.max(
    0,
    ...[...model.sockets.sockets.values()].map((s) => Math.min(s.address.length, 24)),
  );
}

/** The blocks' rows: watchers by name, `sockets` in its place among them, as Circus does. */
function blocks(model: StatsModel, view: View): Line[] {
  const names = [...model.watchers.keys()].filter((n) => !HIDDEN.has(n));
  if (hasSockets(model.sockets) && !model.watchers.has(SOCKETS)) names.push(SOCKETS);
  const shown = names.filter((n) => matchesFilter(n, view.filter)).sort();
  const at = columns(view.width, Math.max(0, ...shown.map((name) => labelWidth(model, name))));
  const lines: Line[] = [];
  for (const name of shown) {
    const stats = model.watchers.get(name);
    lines.push(...(stats ? watcherBlock(stats, view, at) : socketsBlock(model.sockets, at)));
  }
  if (shown.length === 0 && names.length > 0) {
    lines.push(plain(`no watcher matches "${sanitize(view.filter)}"`, "dim"), plain(""));
  }
  return lines;
}

/** The no-data line, when nothing was received for {@link QUIET_AFTER}. */
function quietLine(model: StatsModel, view: View): Line | null {
  const last = model.lastFrameAt ?? view.startedAt;
  if (view.now - last < QUIET_AFTER) return null;
  const since = model.lastFrameAt === null ? "" : ` for ${Math.round((view.now - last) / 1000)} s`;
  return plain(
    `no stats from ${view.source}${since}: is circusd running with statsd = true?`,
    "alert",
  );
}

/** Which rows of the blocks are shown, when not all of them are. */
interface Shown {
  from: number;
  to: number;
  of: number;
}

function statusLine(view: View, shown: Shown | null): Line {
  if (view.editing !== null) {
    return {
      segments: [
        { text: ` Filter: ${sanitize(view.editing)}`, style: "status" },
        { text: "_", style: "status" },
        { text: "   Enter: apply  Esc: clear", style: "status" },
      ],
      fill: "status",
    };
  }
  const filter = view.filter === "" ? "" : `  Filter: ${sanitize(view.filter)}`;
  const rows = shown ? `  Rows: ${shown.from}-${shown.to} of ${shown.of}` : "";
  const scroll = shown ? "  j/k: scroll" : "";
  return {
    segments: [
      { text: ` Sort: ${SORT_NAMES[view.sort]}${filter}${rows}`, style: "status" },
      { text: `   c: cpu  m: memory  /: filter${scroll}  q: quit`, style: "status" },
    ],
    fill: "status",
  };
}

/** A screen laid out. */
export interface Screen {
  /** Exactly the view's height of rows, none wider than its width. */
  lines: Line[];
  /** The view's scroll, clamped to what the blocks allow. */
  scroll: number;
}

/**
 * The whole screen: the title, a rule and the no-stats line if any stay on top, the status
 * bar on the last row, and the blocks in between, from the view's scroll on when they do not
 * all fit. Rows are cut at the width, never wrapped.
 */
export function layoutScreen(model: StatsModel, view: View): Screen {
  const width = Math.max(1, view.width);
  const height = Math.max(1, view.height);
  const rule = plain("-".repeat(width), "rule");
  const head: Line[] = [plain("Circus Top", "title"), rule];
  const quiet = quietLine(model, view);
  const content: Line[] = [];
  if (model.empty) {
    content.push(plain("*** Waiting for data ***"));
    if (quiet) content.push(plain(""), quiet);
  } else {
    if (quiet) head.push(quiet, plain(""));
    content.push(...blocks(model, view), rule);
  }
  const room = Math.max(0, height - 1 - head.length);
  const scroll = Math.max(0, Math.min(view.scroll, content.length - room));
  const visible = content.slice(scroll, scroll + room);
  const shown =
    content.length > room && visible.length > 0
      ? { from: scroll + 1, to: scroll + visible.length, of: content.length }
      : null;
  const rows = [...head, ...visible].slice(0, height - 1);
  while (rows.length < height - 1) rows.push(plain(""));
  rows.push(statusLine(view, shown));
  const lines = rows.map((line) => (lineWidth(line) > width ? truncate(line, width) : line));
  return { lines, scroll };
}
