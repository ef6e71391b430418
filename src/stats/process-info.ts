import {
  readCmdline,
  readStat,
  readStatUsage,
  readUid,
  totalMemory,
  uptimeSeconds,
  childrenIndex,
  childrenOf,
  processTable,
  type ChildrenIndex,
} from "../sys/proc.js";
import { userEntry } from "../sys/users.js";

/** Clock ticks per second on Linux (USER_HZ); fixed at 100 on every architecture we run on. */
const HZ = 100;
const PAGE = 4096;

/** A process's figures, keyed as Circus's `info()` / stats reply. */
export interface ProcessInfo {
  pid: number;
  /** % of one CPU since the previous sample (or since start, for the first). */
  cpu: number;
  /** % of the machine's memory. */
  mem: number;
  /** RSS in bytes. */
  mem_info1: number;
  /** VMS in bytes. */
  mem_info2: number;
  /** user + system CPU seconds. */
  ctime: number;
  nice: number;
  username: string;
  cmdline: string;
  /** Epoch seconds. */
  create_time: number;
  children: number[];
}

/** A process's usage as the metrics endpoint reads it at each scrape: one /proc file each. */
export interface ProcessUsage {
  /** user + system CPU seconds since it started. */
  cpuSeconds: number;
  /** Resident set size in bytes. */
  rssBytes: number;
}

/**
 * CPU seconds and RSS of a process, from /proc/PID/stat alone (what {@link sampleProcess}
 * reads besides is not needed: a scrape of 1000 processes reads 1000 files, not 3000); null
 * when it is gone.
 */
export function processUsage(pid: number): ProcessUsage | null {
  const usage = readStatUsage(pid);
  if (!usage) return null;
  return { cpuSeconds: usage.ticks / HZ, rssBytes: usage.rssPages * PAGE };
}

/** A CPU-time reading, kept between samples to compute a percentage over an interval. */
export interface CpuSample {
  ticks: number;
  at: number;
}

/**
 * What every sample of one request shares, read once: the process table (for children) and
 * user names. A stats request over 1000 processes would otherwise scan /proc 1000 times.
 */
export interface SampleContext {
  /** Children by parent pid, from one scan of /proc. */
  children: ChildrenIndex;
  users: Map<number, string>;
  /** Epoch seconds of the boot, and the machine's memory: fixed while it runs. */
  bootTime: number;
  totalMemory: number;
}

let machine: { bootTime: number; totalMemory: number } | null = null;

/**
 * A fresh context for one round of samples. Without `children`, no process table is read
 * and every sample says it has no children: a stream of 1000 processes a second need not
 * scan /proc for them.
 */
export function sampleContext(children = true): SampleContext {
  machine ??= { bootTime: Date.now() / 1000 - uptimeSeconds(), totalMemory: totalMemory() };
  const index: ChildrenIndex = children ? childrenIndex(processTable()) : new Map();
  return { children: index, users: new Map(), ...machine };
}

function userName(uid: number | null, users: Map<number, string>): string {
  if (uid === null) return "?";
  let name = users.get(uid);
  if (name === undefined) {
    name = userEntry(uid)?.name ?? String(uid);
    users.set(uid, name);
  }
  return name;
}

/**
 * Reads a process's figures from /proc. Returns null when it is gone. `previous` is updated in
 * place so that the next call measures CPU over the interval between the two, as psutil does.
 */
export function sampleProcess(
  pid: number,
  previous?: CpuSample,
  ctx: SampleContext = sampleContext(),
): ProcessInfo | null {
  const stat = readStat(pid);
  if (!stat) return null;
  const now = Date.now() / 1000;
  const bootTime = ctx.bootTime;
  const createTime = bootTime + stat.starttime / HZ;
  const ticks = stat.utime + stat.stime;
  let cpu: number;
  if (previous && previous.at > 0 && now > previous.at) {
    cpu = ((ticks - previous.ticks) / HZ / (now - previous.at)) * 100;
  } else {
    cpu = now > createTime ? (ticks / HZ / (now - createTime)) * 100 : 0;
  }
  if (previous) {
    previous.ticks = ticks;
    previous.at = now;
  }
  const rssBytes = stat.rss * PAGE;
  const total = ctx.totalMemory;
  return {
    pid,
    cpu: Math.round(Math.max(cpu, 0) * 10) / 10,
    mem: total ? (rssBytes / total) * 100 : 0,
    mem_info1: rssBytes,
    mem_info2: stat.vsize,
    ctime: Math.round((ticks / HZ) * 100) / 100,
    nice: stat.nice,
    username: userName(readUid(pid), ctx.users),
    cmdline: readCmdline(pid),
    create_time: createTime,
    children: childrenOf(pid, false, ctx.children),
  };
}
