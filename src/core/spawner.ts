/**
 * One spawn attempt of a watcher's process and what it needs around it: the wids in use or
 * promised, the sockets handed over (so_reuseport siblings bound and closed per spawn), the
 * pacing of a spawn loop and of respawns after quick deaths, and the process table the child
 * runs in.
 */
import { setImmediate as yieldToLoop } from "node:timers/promises";
import type { WatcherConfig } from "../config/types.js";
import type { ProcessTable } from "../sys/process-table.js";
import { closeFd } from "../sys/sockets.js";
import { Process, type SharedPipes } from "./process.js";
import { bindSiblings, processOptions, type UserIds } from "./watcher-setup.js";
import { WidPool } from "./wid-pool.js";

/**
 * A loop of spawns or stops gives the event loop a turn this often (ms), so that signals and
 * requests wait little (the control round trip's p99 during a start of 10,000 is what it costs).
 */
const YIELD_EVERY_MS = 1;

/** A process that dies younger than this counts as a crash loop and is respawned later. */
const QUICK_DEATH_SECONDS = 1;

/**
 * How long a crash loop is remembered after its last quick death (ms): longer than the longest
 * back-off (5 s) plus a quick life (1 s), so that a loop reads as one, not as blinks.
 */
const CRASH_LOOP_MEMORY_MS = 10_000;

/**
 * The pause before respawning after the n-th quick death in a row (ms): none for the first,
 * then doubling from 50 ms, capped at 5 s, so that a crash loop cannot eat the daemon's CPU.
 */
export function respawnDelay(quickDeaths: number): number {
  return quickDeaths <= 1 ? 0 : Math.min(5000, 50 * 2 ** (quickDeaths - 2));
}

/**
 * max_age: calls `retire` once the process has lived max_age seconds (plus up to
 * max_age_variance); the timer is kept in `timers` (cleared by a stop) and ends with it.
 */
export function watchAge(
  p: Process,
  config: WatcherConfig,
  timers: Set<NodeJS.Timeout>,
  retire: () => unknown,
): void {
  const life = config.maxAge + Math.random() * config.maxAgeVariance;
  const timer = setTimeout(() => {
    timers.delete(timer);
    void retire();
  }, life * 1000);
  timers.add(timer);
  p.once("exit", () => {
    clearTimeout(timer);
    timers.delete(timer);
  });
}

/** What a process is spawned with besides its wid. */
export interface SpawnContext {
  config: WatcherConfig;
  ids: UserIds;
  env: Record<string, string>;
  /** The shared pipes the process writes into, or null for pipes of its own. */
  output: SharedPipes | null;
}

/** Spawns a watcher's processes, one attempt at a time. */
export class Spawner {
  /** Wids promised to a spawn or respawn not yet done, so another spawn does not take them. */
  private readonly promised = new Set<number>();
  /** The wids of the running processes and the promised ones. */
  private readonly wids = new WidPool();
  private socketFds: Record<string, number> = {};
  private siblings: Record<string, () => number> = {};
  private pending = 0;
  private settledWaiters: (() => void)[] = [];
  private lastYield = 0;
  private quickDeaths = 0;
  /** performance.now() of the last quick death. */
  private lastQuickDeath = 0;
  private readonly respawnTimers = new Set<NodeJS.Timeout>();

  constructor(private table: ProcessTable | undefined) {}

  /** Where the next processes run (the process kernel's table for a use_papa watcher). */
  useTable(table: ProcessTable): void {
    this.table = table;
  }

  /** Whether its processes live outside circusd (see ProcessTable.hosted). */
  get hosted(): boolean {
    return this.table?.hosted === true;
  }

  /** A process taken back from the process kernel holds its wid, as a spawned one does. */
  holdWid(p: Process): void {
    this.wids.hold(p.wid);
    p.once("exit", () => this.wids.release(p.wid));
  }

  /** Socket name -> fd in the child, as the arbiter bound them. */
  get sockets(): Readonly<Record<string, number>> {
    return this.socketFds;
  }

  /** Spawns under way (stop waits for them, so that no process escapes a stop). */
  get inFlight(): number {
    return this.pending;
  }

  /** The sockets the next spawns hand over, and the so_reuseport sibling binders. */
  useSockets(fds: Record<string, number>, siblings: Record<string, () => number>): void {
    this.socketFds = fds;
    this.siblings = siblings;
  }

  /** The lowest wid neither running nor promised. */
  nextWid(): number {
    return this.wids.lowest();
  }

  /** Spawns and respawns promised, not yet done. */
  get reserved(): number {
    return this.promised.size;
  }

  /** Promises `wid` to a spawn, so that no other spawn takes it meanwhile. */
  reserve(wid: number): void {
    if (this.promised.has(wid)) return;
    this.promised.add(wid);
    this.wids.hold(wid);
  }

  /** The spawn promised `wid` is done (its process, if any, holds the wid now). */
  unreserve(wid: number): void {
    if (this.promised.delete(wid)) this.wids.release(wid);
  }

  /**
   * Starts one process and hands it to `adopt` before the spawn counts as settled, so that a
   * stop waiting for spawns sees it. Throws a SpawnError when it cannot run.
   */
  async spawn(wid: number, ctx: SpawnContext, adopt: (p: Process) => void): Promise<Process> {
    this.pending++;
    let fresh: Record<string, number> = {};
    try {
      fresh = bindSiblings(ctx.config, this.siblings);
      const options = processOptions(ctx.config, wid, ctx.ids, ctx.env, this.socketFds, fresh);
      options.sharedOutput = ctx.output;
      const p = await Process.spawn(options, this.table);
      this.holdWid(p);
      adopt(p);
      return p;
    } finally {
      // The child has its own copy now: circusd keeps only the shared socket.
      for (const fd of Object.values(fresh)) closeFd(fd);
      this.pending--;
      for (const resolve of this.settledWaiters.splice(0)) resolve();
    }
  }

  /** Resolves when the next spawn under way has settled. */
  settled(): Promise<void> {
    return new Promise((resolve) => this.settledWaiters.push(resolve));
  }

  /**
   * The pause between two spawns: warmup_delay, or at least one turn of the event loop, so
   * that a signal or a request is answered at once while a thousand processes start.
   */
  async warmup(warmupDelay: number): Promise<void> {
    if (warmupDelay > 0) {
      // The global timer (not timers/promises), which a test's mock clock drives too.
      await new Promise((resolve) => setTimeout(resolve, warmupDelay * 1000));
    } else {
      await this.breathe();
    }
  }

  /** A turn of the event loop, if none was given for {@link YIELD_EVERY_MS}. */
  async breathe(): Promise<void> {
    if (performance.now() - this.lastYield <= YIELD_EVERY_MS) return;
    await yieldToLoop();
    this.lastYield = performance.now();
  }

  /**
   * After a death: `spawn` a replacement in the dead process's wid (kept promised meanwhile),
   * at once or, after quick deaths in a row, after {@link respawnDelay}.
   */
  respawn(dead: Process, spawn: () => void): void {
    this.quickDeaths = dead.age() < QUICK_DEATH_SECONDS ? this.quickDeaths + 1 : 0;
    if (this.quickDeaths > 0) this.lastQuickDeath = performance.now();
    const delay = respawnDelay(this.quickDeaths);
    this.reserve(dead.wid);
    const run = () => {
      this.unreserve(dead.wid);
      spawn();
    };
    if (delay === 0) return run();
    const timer = setTimeout(() => {
      this.respawnTimers.delete(timer);
      run();
    }, delay);
    this.respawnTimers.add(timer);
  }

  /**
   * Whether the processes die in a crash loop: two quick deaths in a row or more, the last one
   * less than {@link CRASH_LOOP_MEMORY_MS} ago (so a loop that ended, or that the Flapping
   * plugin stopped, reads as over a few seconds later).
   */
  inCrashLoop(): boolean {
    return this.quickDeaths >= 2 && performance.now() - this.lastQuickDeath < CRASH_LOOP_MEMORY_MS;
  }

  /** A start begins with no crash loop behind it. */
  resetDeaths(): void {
    this.quickDeaths = 0;
  }

  /** A stop: no respawn pending, no wid promised. */
  clear(): void {
    for (const timer of this.respawnTimers) clearTimeout(timer);
    this.respawnTimers.clear();
    for (const wid of this.promised) this.unreserve(wid);
  }
}
