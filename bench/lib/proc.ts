/**
 * /proc scanning and timing helpers: everything the harness measures comes
 * from here (process counts, ancestry, RSS, monotonic time).
 */
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync, readSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { setImmediate as yieldToLoop } from "node:timers/promises";

/** The fields of /proc/PID/stat the harness needs. */
export interface ProcStat {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
  /** Start time in clock ticks since boot: with the pid, identifies a process. */
  starttime: number;
  /** CPU time used so far (user + system), in clock ticks. */
  cpuTicks: number;
}

/** Clock ticks per second of /proc/PID/stat times (USER_HZ, 100 on Linux). */
export const CLOCK_TICKS = 100;

/** Memory figures of /proc/PID/status, in KiB. */
export interface MemInfo {
  rssKiB: number;
  hwmKiB: number;
}

/** How many /proc reads to make before letting the event loop run. */
const READS_PER_SLICE = 64;

/**
 * Monotonic time in milliseconds (performance.now), the only clock the
 * harness uses for figures.
 */
export function now(): number {
  return performance.now();
}

/** Resolves after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Parses the content of /proc/PID/stat. The comm field sits in parentheses
 * and may itself contain spaces and parentheses, hence the lastIndexOf.
 */
export function parseStat(text: string): ProcStat | undefined {
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  if (open < 0 || close < open) return undefined;
  const pid = Number(text.slice(0, open).trim());
  const comm = text.slice(open + 1, close);
  // Fields after comm: state(3) ppid(4) ... starttime(22); rest[0] is state.
  const rest = text
    .slice(close + 2)
    .trim()
    .split(" ");
  const state = rest[0];
  const ppid = Number(rest[1]);
  const starttime = Number(rest[19]);
  const cpuTicks = Number(rest[11]) + Number(rest[12]);
  if (state === undefined || !Number.isFinite(ppid) || !Number.isFinite(starttime)) {
    return undefined;
  }
  return { pid, comm, state, ppid, starttime, cpuTicks };
}

/**
 * One buffer for every /proc/PID/stat read (a line is a few hundred bytes): open, one read,
 * close. readFileSync also stats the file and, /proc files having no size, reads until an
 * empty read: 3 to 7 times slower, which counts when a scan rereads 10,000 of them.
 */
const statBuffer = Buffer.alloc(4096);

/** Reads /proc/PID/stat; undefined when the process is gone. */
export function readStat(pid: number): ProcStat | undefined {
  let fd: number;
  try {
    fd = openSync(`/proc/${pid}/stat`, "r");
  } catch {
    return undefined;
  }
  try {
    const length = readSync(fd, statBuffer, 0, statBuffer.length, 0);
    return parseStat(statBuffer.toString("latin1", 0, length));
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** The pids currently listed in /proc. */
export function listPids(): number[] {
  const pids: number[] = [];
  for (const name of readdirSync("/proc")) {
    const code = name.charCodeAt(0);
    if (code >= 48 && code <= 57) pids.push(Number(name));
  }
  return pids;
}

/** The NUL-separated command line of `pid` ("" when it is gone). */
export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "latin1");
  } catch {
    return "";
  }
}

/** True while `pid` exists and is not a zombie. */
export function isRunning(pid: number): boolean {
  const stat = readStat(pid);
  return stat !== undefined && stat.state !== "Z" && stat.state !== "X";
}

/** Number of open file descriptors of `pid` (entries of /proc/PID/fd). */
export function countFds(pid: number): number | undefined {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return undefined;
  }
}

/** VmRSS and VmHWM of `pid` from /proc/PID/status; undefined if it is gone. */
/** Proportional set size (shared pages split among their users), KiB; 0 if unreadable. */
export function readPssKiB(pid: number): number {
  try {
    const text = readFileSync(`/proc/${pid}/smaps_rollup`, "latin1");
    return Number(/^Pss:\s+(\d+) kB/m.exec(text)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

export function readMem(pid: number): MemInfo | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, "latin1");
  } catch {
    return undefined;
  }
  const field = (name: string): number => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(text);
    return match?.[1] === undefined ? NaN : Number(match[1]);
  };
  return { rssKiB: field("VmRSS"), hwmKiB: field("VmHWM") };
}

/**
 * All live descendants of `root` (any command), found by walking ppid links
 * in one /proc snapshot. Used for cleanup, not for timing.
 */
export function descendants(root: number): ProcStat[] {
  const stats = new Map<number, ProcStat>();
  for (const pid of listPids()) {
    const stat = readStat(pid);
    if (stat !== undefined) stats.set(pid, stat);
  }
  const result: ProcStat[] = [];
  for (const stat of stats.values()) {
    let cursor = stat.ppid;
    for (let hops = 0; hops < 64 && cursor > 1; hops++) {
      if (cursor === root) {
        result.push(stat);
        break;
      }
      const parent = stats.get(cursor);
      if (parent === undefined) break;
      cursor = parent.ppid;
    }
  }
  return result;
}

/**
 * Sends `signal` to `pid`, ignoring a process that is already gone.
 * Returns whether the signal was delivered.
 */
export function signalPid(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Counts the managed processes of one daemon: live processes whose comm is
 * `comm` (so they have exec'd it) and that descend from the daemon.
 *
 * Every such process seen once is remembered by pid and start time, so it is
 * still counted after its parent died and it was re-parented (a daemon that
 * exits before its children would otherwise look "done" early), and so that
 * cleanup can kill it without risk of hitting a recycled pid.
 */
export class ChildTracker {
  /** pid -> starttime of every matching process seen and not yet gone. */
  private readonly live = new Map<number, number>();
  /**
   * Pids seen not to descend from the daemon. They never will (re-parenting
   * only moves a process away from its ancestors) and a pid is not recycled
   * between two scans, so they are not read again while they stay listed.
   */
  private readonly foreign = new Set<number>();
  /** Highest count seen by any scan. */
  peak = 0;

  /**
   * @param comm the command name the children have once exec'd (e.g. "sleep")
   * @param root returns the daemon's pid, or undefined while not yet known
   */
  constructor(
    private readonly comm: string,
    private readonly root: () => number | undefined,
  ) {}

  /** Number of live tracked processes as of the last scan. */
  get count(): number {
    return this.live.size;
  }

  /**
   * Takes one /proc snapshot and returns the number of live matching
   * processes. Yields to the event loop every few reads so that log lines
   * and signals are timestamped promptly while a scan runs.
   *
   * @param recheck re-read the state of already tracked processes (needed
   *   while they are being stopped; while starting, a vanished pid is enough)
   */
  async scan(recheck: boolean): Promise<number> {
    const pids = listPids();
    const present = new Set(pids);
    for (const pid of [...this.live.keys()]) {
      if (!present.has(pid)) this.live.delete(pid);
    }
    for (const pid of [...this.foreign]) {
      if (!present.has(pid)) this.foreign.delete(pid);
    }
    const stats = new Map<number, ProcStat>();
    let reads = 0;
    for (const pid of pids) {
      if (this.foreign.has(pid)) continue;
      const known = this.live.get(pid);
      if (known !== undefined && !recheck) continue;
      if (++reads % READS_PER_SLICE === 0) await yieldToLoop();
      const stat = readStat(pid);
      if (known !== undefined) {
        if (stat === undefined || stat.starttime !== known || !isLive(stat)) {
          this.live.delete(pid);
        }
        continue;
      }
      if (stat !== undefined) stats.set(pid, stat);
    }
    const root = this.root();
    if (root !== undefined) {
      const memo = new Map<number, boolean>();
      for (const stat of stats.values()) {
        if (stat.pid === root) continue;
        if (!descendsFrom(stat, root, stats, memo)) {
          this.foreign.add(stat.pid);
        } else if (stat.comm === this.comm && isLive(stat)) {
          this.live.set(stat.pid, stat.starttime);
        }
      }
    }
    this.peak = Math.max(this.peak, this.live.size);
    return this.live.size;
  }

  /**
   * Forgets the tracked processes no longer listed in /proc and returns how many are left,
   * reading no other file: a scan that stays cheap with 10,000 processes being stopped (a
   * full {@link scan} rereads every one's stat). A zombie stays listed until its parent reaps
   * it: only {@link scan} with `recheck` counts it as gone.
   */
  dropVanished(): number {
    const present = new Set(listPids());
    for (const pid of [...this.live.keys()]) {
      if (!present.has(pid)) this.live.delete(pid);
    }
    return this.live.size;
  }

  /**
   * SIGKILLs `count` tracked processes at once, spread evenly over the order they were first
   * seen, and stops counting them (SIGKILL cannot be caught: they are as good as gone, and a
   * zombie left until the daemon reaps it is not counted again). Returns their pids.
   */
  killSome(count: number): number[] {
    const all = [...this.live];
    const step = all.length / Math.min(count, all.length);
    const victims: [number, number][] = [];
    for (let i = 0; i < count && i < all.length; i++) {
      const entry = all[Math.floor(i * step)];
      if (entry !== undefined) victims.push(entry);
    }
    // Checked first, signalled after: the kills land together.
    const checked = victims.filter(([pid, starttime]) => readStat(pid)?.starttime === starttime);
    for (const [pid] of checked) {
      signalPid(pid, "SIGKILL");
      this.live.delete(pid);
    }
    return checked.map(([pid]) => pid);
  }

  /**
   * Sends `signal` to every tracked process still alive with the same start
   * time; returns how many were signalled.
   */
  signalAll(signal: NodeJS.Signals): number {
    let sent = 0;
    for (const [pid, starttime] of this.live) {
      const stat = readStat(pid);
      if (stat === undefined || stat.starttime !== starttime || !isLive(stat)) {
        this.live.delete(pid);
        continue;
      }
      if (signalPid(pid, signal)) sent++;
    }
    return sent;
  }
}

function isLive(stat: ProcStat): boolean {
  return stat.state !== "Z" && stat.state !== "X";
}

function descendsFrom(
  stat: ProcStat,
  root: number,
  stats: Map<number, ProcStat>,
  memo: Map<number, boolean>,
): boolean {
  const chain: number[] = [];
  let cursor = stat.ppid;
  let answer = false;
  for (let hops = 0; hops < 64; hops++) {
    if (cursor === root) {
      answer = true;
      break;
    }
    if (cursor <= 1) break;
    const cached = memo.get(cursor);
    if (cached !== undefined) {
      answer = cached;
      break;
    }
    const parent = stats.get(cursor);
    if (parent === undefined) break;
    chain.push(cursor);
    cursor = parent.ppid;
  }
  for (const pid of chain) memo.set(pid, answer);
  return answer;
}

/** Outcome of {@link pollUntil}. */
export interface PollResult {
  /** True when the condition held before the deadline. */
  ok: boolean;
  /** now() at the end of the scan that first saw the condition (or at timeout). */
  at: number;
  /** Number of scans made. */
  scans: number;
}

/**
 * Scans with `tracker` every `intervalMs` (between the end of one scan and
 * the start of the next) until `done(count)` holds or `timeoutMs` passes.
 * `onScan` sees each count with its timestamp (e.g. to fire a signal at a
 * threshold).
 */
export async function pollUntil(
  tracker: ChildTracker,
  opts: {
    done: (count: number) => boolean;
    recheck: boolean;
    timeoutMs: number;
    intervalMs: number;
    onScan?: (count: number, at: number) => void;
  },
): Promise<PollResult> {
  const deadline = now() + opts.timeoutMs;
  let scans = 0;
  for (;;) {
    const count = await tracker.scan(opts.recheck);
    const at = now();
    scans++;
    opts.onScan?.(count, at);
    if (opts.done(count)) return { ok: true, at, scans };
    if (at >= deadline) return { ok: false, at, scans };
    await delay(opts.intervalMs);
  }
}

/**
 * Waits until `pid` no longer runs (gone or zombie), checking every
 * `intervalMs`; returns now() then, or undefined after `timeoutMs`.
 */
export async function waitNotRunning(
  pid: number,
  timeoutMs: number,
  intervalMs = 10,
): Promise<number | undefined> {
  const deadline = now() + timeoutMs;
  for (;;) {
    if (!isRunning(pid)) return now();
    if (now() >= deadline) return undefined;
    await delay(intervalMs);
  }
}

/**
 * Cleanup helper: SIGKILLs every live descendant of `root` (if `root` is
 * known), then `root` itself.
 */
export function killTree(root: number | undefined): void {
  if (root === undefined || root <= 1) return;
  for (const stat of descendants(root)) signalPid(stat.pid, "SIGKILL");
  signalPid(root, "SIGKILL");
}

/**
 * SIGKILLs every `comm` process whose working folder is inside `dir`: the children a dying
 * daemon started after the last scan are re-parented to init, where no scan of the daemon's
 * descendants finds them (Supervisor, killed during a start of 10,000, left 3 behind).
 */
export function killStrays(comm: string, dir: string): number {
  let killed = 0;
  for (const pid of listPids()) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, "utf8").trim() !== comm) continue;
      const cwd = readlinkSync(`/proc/${pid}/cwd`);
      if (cwd !== dir && !cwd.startsWith(`${dir}/`)) continue;
    } catch {
      continue; // gone meanwhile
    }
    if (signalPid(pid, "SIGKILL")) killed++;
  }
  return killed;
}
