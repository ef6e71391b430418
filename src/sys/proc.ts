import { closeSync, openSync, readdirSync, readSync } from "node:fs";

/** One buffer for every /proc read (they run one after another). */
let buffer = Buffer.allocUnsafe(64 * 1024);

/**
 * Reads a /proc file into the shared buffer: its length, or -1 when it cannot be read (the
 * process is gone). /proc files report a size of 0, so readFileSync stats and reads twice; a
 * /proc file gives all its text to one read big enough, which makes this three system calls
 * instead of five (a `stats` of 100 processes reads ~500 of them).
 */
function readProcInto(path: string): number {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return -1;
  }
  try {
    let length = 0;
    for (;;) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      length += n;
      if (n === 0 || length < buffer.length) break;
      const bigger = Buffer.allocUnsafe(buffer.length * 2);
      buffer.copy(bigger, 0, 0, length);
      buffer = bigger;
    }
    return length;
  } catch {
    return -1;
  } finally {
    closeSync(fd);
  }
}

/** A /proc file's text, or null when it cannot be read (the process is gone). */
export function readProc(path: string): string | null {
  const length = readProcInto(path);
  return length < 0 ? null : buffer.toString("latin1", 0, length);
}

/** What the metrics read of a process at each scrape, from /proc/PID/stat. */
export interface StatUsage {
  /** utime + stime, in clock ticks. */
  ticks: number;
  /** Resident set size in pages. */
  rssPages: number;
}

/**
 * utime + stime and rss of /proc/PID/stat, parsed from its bytes without making strings of
 * them: a scrape reads a thousand, and their garbage (a text and 22 fields each) made V8
 * collect once a scrape, its workers' memory growing with it. Null when the process is gone.
 */
export function readStatUsage(pid: number): StatUsage | null {
  const length = readProcInto(`/proc/${pid}/stat`);
  if (length < 0) return null;
  // comm may hold spaces and parentheses: it ends at the last ")".
  const close = buffer.lastIndexOf(0x29, length - 1);
  if (close < 0) return null;
  let ticks = 0;
  let rssPages = 0;
  let field = 3;
  for (let i = close + 2; i < length && field <= 24; i++, field++) {
    let value = 0;
    for (; i < length && buffer[i] !== 0x20; i++) value = value * 10 + ((buffer[i] as number) - 48);
    if (field === 14 || field === 15) ticks += value;
    else if (field === 24) rssPages = value;
  }
  return field > 24 ? { ticks, rssPages } : null;
}

/** Fields of /proc/PID/stat that the engine uses. */
export interface ProcStat {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
  /** user + system CPU time, in clock ticks. */
  utime: number;
  stime: number;
  nice: number;
  /** Start time after boot, in clock ticks. */
  starttime: number;
  /** Virtual memory size in bytes. */
  vsize: number;
  /** Resident set size in pages. */
  rss: number;
}

/** Reads /proc/PID/stat; null when the process is gone. */
export function readStat(pid: number): ProcStat | null {
  const text = readProc(`/proc/${pid}/stat`);
  if (text === null) return null;
  // comm may hold spaces and parentheses: it ends at the last ")".
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  // Fields 3 to 24 by scanning, not splitting: a split made 50 strings per read, a sixth of
  // the time a scrape of 1000 processes takes (the rest is the kernel's).
  const fields: string[] = [];
  let start = close + 2;
  for (let field = 3; field <= 24 && start < text.length; field++) {
    let end = text.indexOf(" ", start);
    if (end < 0) end = text.length;
    fields.push(text.slice(start, end));
    start = end + 1;
  }
  const num = (i: number) => Number(fields[i - 3]);
  return {
    pid,
    comm: text.slice(open + 1, close),
    state: fields[0] ?? "?",
    ppid: num(4),
    utime: num(14),
    stime: num(15),
    nice: num(19),
    starttime: num(22),
    vsize: num(23),
    rss: num(24),
  };
}

/** Every pid on the machine with its parent, read once from /proc. */
export function processTable(): Map<number, number> {
  const table = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    const first = entry.charCodeAt(0);
    if (first < 48 || first > 57) continue;
    const stat = readStat(Number(entry));
    if (stat) table.set(stat.pid, stat.ppid);
  }
  return table;
}

/** Parent pid -> its children's pids, from a {@link processTable}. */
export type ChildrenIndex = Map<number, number[]>;

/** Indexes a process table by parent, once for many lookups. */
export function childrenIndex(table: Map<number, number>): ChildrenIndex {
  const byParent: ChildrenIndex = new Map();
  for (const [child, parent] of table) {
    const list = byParent.get(parent);
    if (list) list.push(child);
    else byParent.set(parent, [child]);
  }
  return byParent;
}

/** Direct children of a pid, or every descendant when recursive. */
export function childrenOf(
  pid: number,
  recursive = false,
  index: ChildrenIndex = childrenIndex(processTable()),
): number[] {
  const byParent = index;
  const result: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const current = queue.shift() as number;
    for (const child of byParent.get(current) ?? []) {
      result.push(child);
      if (recursive) queue.push(child);
    }
  }
  return result;
}

/** The command line of a process, as ps shows it. */
export function readCmdline(pid: number): string {
  const text = readProc(`/proc/${pid}/cmdline`);
  return text === null ? "" : text.split("\0").filter(Boolean).join(" ");
}

/** The real uid of a process (from /proc/PID/status). */
export function readUid(pid: number): number | null {
  const status = readProc(`/proc/${pid}/status`);
  const match = status === null ? null : /^Uid:\s+(\d+)/m.exec(status);
  return match ? Number(match[1]) : null;
}

/** Seconds since boot, from /proc/uptime. */
export function uptimeSeconds(): number {
  return Number((readProc("/proc/uptime") ?? "0").split(" ")[0]);
}

/** Total memory in bytes, from /proc/meminfo. */
export function totalMemory(): number {
  const match = /^MemTotal:\s+(\d+) kB/m.exec(readProc("/proc/meminfo") ?? "");
  return match ? Number(match[1]) * 1024 : 0;
}
