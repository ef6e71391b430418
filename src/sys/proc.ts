import { readFileSync, readdirSync } from "node:fs";

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
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "latin1");
  } catch {
    return null;
  }
  // comm may hold spaces and parentheses: it ends at the last ")".
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  const rest = text.slice(close + 2).split(" ");
  const num = (i: number) => Number(rest[i - 3]);
  return {
    pid,
    comm: text.slice(open + 1, close),
    state: rest[0] ?? "?",
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

/** Direct children of a pid, or every descendant when recursive. */
export function childrenOf(pid: number, recursive = false, table = processTable()): number[] {
  const byParent = new Map<number, number[]>();
  for (const [child, parent] of table) {
    const list = byParent.get(parent);
    if (list) list.push(child);
    else byParent.set(parent, [child]);
  }
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
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "latin1").split("\0").filter(Boolean).join(" ");
  } catch {
    return "";
  }
}

/** The real uid of a process (from /proc/PID/status). */
export function readUid(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "latin1");
    const match = /^Uid:\s+(\d+)/m.exec(status);
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/** Seconds since boot, from /proc/uptime. */
export function uptimeSeconds(): number {
  return Number(readFileSync("/proc/uptime", "latin1").split(" ")[0]);
}

/** Total memory in bytes, from /proc/meminfo. */
export function totalMemory(): number {
  const match = /^MemTotal:\s+(\d+) kB/m.exec(readFileSync("/proc/meminfo", "latin1"));
  return match ? Number(match[1]) * 1024 : 0;
}
