import { EventEmitter } from "node:events";
import { constants } from "node:os";
import { setImmediate as yieldToLoop, setTimeout as sleep } from "node:timers/promises";
import type { HookContext, HookName, WatcherConfig } from "../config/types.js";
import { logger } from "../log/logger.js";
import { float, timeNow } from "../python/repr.js";
import { sendSignalTo, signalName } from "../sys/signals.js";
import { buildEnvironment } from "./environment.js";
import { HookRunner } from "./hooks.js";
import { closeFd } from "../sys/sockets.js";
import {
  loadHooks,
  processOptions,
  resolveIds,
  usesSocket,
  type UserIds,
} from "./watcher-setup.js";
import { OnDemand } from "./on-demand.js";
import { Process, type ProcessExit } from "./process.js";
import type { OutputStream } from "../streams/index.js";
import { WatcherOutput } from "./watcher-streams.js";

export type WatcherStatus = "stopped" | "starting" | "active" | "stopping";

/** An event of a watcher, published later as `watcher.NAME.TOPIC`. */
export interface WatcherEvent {
  watcher: string;
  topic: string;
  data: Record<string, unknown>;
}

/** Options of a signal sent through the watcher (the `signal` command's properties). */
export interface SignalOptions {
  pid?: number;
  childPid?: number;
  /** Signal the children too (every descendant when recursive). */
  children?: boolean;
  recursive?: boolean;
  /** With children: the children only, not the process itself (the `signal --children`). */
  onlyChildren?: boolean;
}

/** A spawn loop gives the event loop a turn this often (ms), so signals and requests wait little. */
const YIELD_EVERY_MS = 2;
let lastYield = 0;

/** A process that dies younger than this counts as a crash loop and is respawned later. */
const QUICK_DEATH_SECONDS = 1;

/**
 * Runs `numprocesses` processes of one command and keeps them alive. Emits `event`
 * ({@link WatcherEvent}) for spawn, reap, kill, start, stop, updated and hook outcomes.
 */
export class Watcher extends EventEmitter {
  config: WatcherConfig;
  /**
   * The config as the file (or the library) gave it, before any `set`: a config reload
   * compares the file's new text with this, so that what the file did not change stays set.
   */
  loadedConfig: WatcherConfig;
  /** pid -> process. */
  readonly processes = new Map<number, Process>();
  /** The arbiter that owns this watcher; handed to hooks. */
  arbiter: unknown = null;
  /** Socket name -> fd in the child (bound by the sockets layer). */
  sockets: Record<string, number> = {};
  /** so_reuseport socket name -> binds a fresh sibling for one process (set by the arbiter). */
  siblings: Record<string, () => number> = {};
  private state: WatcherStatus = "stopped";
  private hooks: HookRunner;
  private env: Record<string, string>;
  private ids: UserIds;
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Wids promised to a respawn not yet done, so another spawn does not take them. */
  private readonly reservedWids = new Set<number>();
  private quickDeaths = 0;
  /** Spawns under way; stop() waits for them so that no process escapes a stop. */
  private pendingSpawns = 0;
  /** Reaps whose hooks are running; stop() waits for them too. */
  private readonly pendingReaps = new Set<Promise<void>>();
  /** The on_demand trigger; enabled by the arbiter for an on_demand watcher. */
  readonly onDemand: OnDemand;
  /** Where the processes' output goes: the streams, the ring of recent output, followers. */
  readonly output: WatcherOutput;
  private prepared = false;

  constructor(config: WatcherConfig) {
    super();
    this.config = config;
    this.loadedConfig = config;
    this.onDemand = new OnDemand(this);
    this.output = new WatcherOutput(config.name);
    this.hooks = new HookRunner(config.hooks, config.baseDir);
    this.env = buildEnvironment(config);
    this.ids = resolveIds(config);
  }

  get name(): string {
    return this.config.name;
  }

  get numprocesses(): number {
    return this.config.singleton ? Math.min(1, this.config.numprocesses) : this.config.numprocesses;
  }

  /** `active`, `stopped`, `starting` or `stopping`, as the status command reports. */
  status(): WatcherStatus {
    return this.state;
  }

  isActive(): boolean {
    return this.state === "active" || this.state === "starting";
  }

  /** The stream of the processes' stdout (Circus's `stdout_stream`), if any. */
  get stdoutStream(): OutputStream | null {
    return this.output.stream("stdout");
  }

  /** The stream of the processes' stderr, if any. */
  get stderrStream(): OutputStream | null {
    return this.output.stream("stderr");
  }

  /** Loads the hooks and opens the streams, so that a bad reference fails at startup. */
  async prepare(): Promise<void> {
    // circusd prepares before it binds sockets (to fail early), the arbiter again at start:
    // a user stream must not be built twice.
    if (this.prepared) return;
    await loadHooks(this.hooks, this.config);
    await this.output.load(this.config);
    this.prepared = true;
  }

  /**
   * Replaces the config (the `set` command, a config reload) and rebuilds what derives from
   * it; publishes `updates` `updated` events (Circus's `set` publishes one per option).
   */
  async applyConfig(config: WatcherConfig, updates = 1): Promise<void> {
    const hooks = new HookRunner(config.hooks, config.baseDir);
    await loadHooks(hooks, config);
    this.ids = resolveIds(config);
    await this.output.update(this.config, config);
    this.config = config;
    this.hooks = hooks;
    this.env = buildEnvironment(config);
    for (let i = 0; i < updates; i++) this.notify("updated", {});
    if (this.isActive()) await this.manage();
  }

  /** Starts the processes; false when a hook or the spawns aborted the start. */
  async start(): Promise<boolean> {
    if (this.state !== "stopped") return this.isActive();
    this.state = "starting";
    await this.output.reopen();
    this.emit("starting");
    this.quickDeaths = 0;
    if (!(await this.hook("before_start"))) {
      logger.warning(`${this.name}: before_start hook aborted the start`);
      this.state = "stopped";
      return false;
    }
    if (!(await this.spawnProcesses()) || this.state !== "starting") {
      await this.stop();
      return false;
    }
    if (!(await this.hook("after_start"))) {
      logger.warning(`${this.name}: after_start hook aborted the start`);
      await this.stop();
      return false;
    }
    this.state = "active";
    logger.info(`${this.name} started`);
    this.notify("start", {});
    return true;
  }

  /** Stops every process (stop_signal, graceful_timeout, then SIGKILL). */
  async stop(): Promise<void> {
    if (this.state === "stopped" || this.state === "stopping") {
      await this.waitStopped();
      return;
    }
    this.state = "stopping";
    this.clearTimers();
    await this.hook("before_stop");
    do {
      await Promise.all([...this.processes.values()].map((p) => this.killProcess(p)));
      if (this.pendingSpawns > 0)
        await new Promise((resolve) => this.once("spawnSettled", resolve));
    } while (this.processes.size > 0 || this.pendingSpawns > 0);
    await Promise.all(this.pendingReaps);
    // The processes' last bytes reach the streams before they are flushed and closed.
    await this.output.close();
    this.state = "stopped";
    this.notify("stop", {});
    await this.hook("after_stop");
    logger.info(`${this.name} stopped`);
    this.emit("stopped");
  }

  private async waitStopped(): Promise<void> {
    if (this.state === "stopping") await new Promise((resolve) => this.once("stopped", resolve));
  }

  async restart(): Promise<boolean> {
    await this.stop();
    return this.start();
  }

  /**
   * Reloads the processes: a restart when not graceful; a start when stopped; SIGHUP when
   * send_hup; otherwise new processes first, then the old ones stopped (one by one when
   * sequential). A graceful reload ends with a `reload` event, as in Circus.
   */
  async reload(graceful = true, sequential = false): Promise<void> {
    if (!graceful) {
      await this.restart();
      return;
    }
    if (this.state === "stopped") {
      if (!(await this.start())) return;
    } else if (this.config.sendHup) {
      await Promise.all([...this.processes.values()].map((p) => this.signalProcess(p, 1)));
    } else {
      const old = [...this.processes.values()];
      if (sequential) {
        for (const p of old) {
          if (!(await this.spawnProcess())) return;
          await this.killProcess(p);
        }
      } else {
        for (let i = 0; i < this.numprocesses; i++) {
          if (!(await this.spawnProcess())) return;
          if (i + 1 < this.numprocesses) await this.warmup();
        }
        await Promise.all(old.map((p) => this.killProcess(p)));
      }
    }
    this.notify("reload", {});
    logger.info(`${this.name} reloaded`);
  }

  /** Sets the process count and, when active, spawns or stops to match it. */
  async setNumprocesses(count: number): Promise<number> {
    this.config = { ...this.config, numprocesses: Math.max(0, count) };
    if (this.isActive()) await this.manage();
    return this.numprocesses;
  }

  /** Spawns up to numprocesses and stops the oldest extras. */
  async manage(): Promise<void> {
    if (!this.isActive()) return;
    const excess = this.processes.size - this.numprocesses;
    if (excess > 0) {
      const oldest = [...this.processes.values()].sort((a, b) => a.started - b.started);
      await Promise.all(oldest.slice(0, excess).map((p) => this.killProcess(p)));
    } else if (this.config.respawn || this.state === "starting") {
      await this.spawnProcesses();
    }
  }

  /** Spawns processes until there are numprocesses; false when spawning gave up. */
  async spawnProcesses(): Promise<boolean> {
    while (this.isActive() && this.processes.size + this.reservedWids.size < this.numprocesses) {
      if (!(await this.spawnProcess())) return false;
      if (this.processes.size < this.numprocesses) await this.warmup();
    }
    return true;
  }

  /**
   * The pause between two spawns: warmup_delay, or at least one turn of the event loop, so
   * that a signal or a request is answered at once while a thousand processes start.
   */
  private async warmup(): Promise<void> {
    if (this.config.warmupDelay > 0) {
      await sleep(this.config.warmupDelay * 1000);
    } else if (performance.now() - lastYield > YIELD_EVERY_MS) {
      await yieldToLoop();
      lastYield = performance.now();
    }
  }

  private nextWid(): number {
    const used = new Set([...this.processes.values()].map((p) => p.wid));
    for (let wid = 1; ; wid++) if (!used.has(wid) && !this.reservedWids.has(wid)) return wid;
  }

  /**
   * Spawns one process, retrying a failed spawn up to max_retry times; when every try fails
   * the watcher stops. Returns null when the process was not started.
   */
  async spawnProcess(wid = this.nextWid()): Promise<Process | null> {
    this.reservedWids.add(wid);
    try {
      if (!(await this.hook("before_spawn"))) {
        logger.warning(`${this.name}: before_spawn hook aborted the start`);
        void this.stop();
        return null;
      }
      const tries = this.config.maxRetry < 0 ? Infinity : Math.max(1, this.config.maxRetry);
      for (let attempt = 1; attempt <= tries && this.isActive(); attempt++) {
        try {
          this.pendingSpawns++;
          let p: Process;
          let fresh: Record<string, number> = {};
          try {
            fresh = this.bindSiblings();
            p = await Process.spawn(
              processOptions(this.config, wid, this.ids, this.env, this.sockets, fresh),
            );
            this.adopt(p);
          } finally {
            // The child has its own copy now: circusd keeps only the shared socket.
            for (const fd of Object.values(fresh)) closeFd(fd);
            this.pendingSpawns--;
            this.emit("spawnSettled");
          }
          if (this.isActive() && !(await this.hook("after_spawn", { pid: p.pid }))) {
            logger.warning(`${this.name}: after_spawn hook aborted the start`);
            void this.stop();
            return null;
          }
          // As in Circus, a process is announced once its after_spawn hook let it be.
          this.notify("spawn", { process_pid: p.pid, time: float(p.started) });
          return this.isActive() ? p : null;
        } catch (error) {
          logger.warning(
            `${this.name}: cannot spawn process (try ${attempt}): ${(error as Error).message}`,
          );
        }
      }
      if (this.isActive()) {
        logger.error(`${this.name}: giving up after ${tries} failed spawns; stopping the watcher`);
        void this.stop();
      }
      return null;
    } finally {
      this.reservedWids.delete(wid);
    }
  }

  /** so_reuseport: a fresh socket for each shared one the process uses (name -> fd). */
  private bindSiblings(): Record<string, number> {
    const fresh: Record<string, number> = {};
    try {
      for (const [name, bind] of Object.entries(this.siblings))
        if (usesSocket(this.config, name)) fresh[name] = bind();
    } catch (error) {
      for (const fd of Object.values(fresh)) closeFd(fd);
      throw error;
    }
    return fresh;
  }

  /** Takes a freshly spawned process under watch: output, exit, max_age. */
  private adopt(p: Process): void {
    this.processes.set(p.pid, p);
    // Output without a stream is still read (and kept in the ring): a child must never block
    // on a full pipe.
    if (p.stdout) this.output.attach(p.pid, "stdout", p.stdout);
    if (p.stderr) this.output.attach(p.pid, "stderr", p.stderr);
    p.once("exit", (exit: ProcessExit) => this.reap(p, exit));
    if (this.config.maxAge > 0) {
      const life = this.config.maxAge + Math.random() * this.config.maxAgeVariance;
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        void this.retire(p);
      }, life * 1000);
      this.timers.add(timer);
      p.once("exit", () => {
        clearTimeout(timer);
        this.timers.delete(timer);
      });
    }
    if (logger.enabled("debug")) {
      logger.debug(`${this.name}: spawned process ${p.pid} (wid ${p.wid}): ${p.argv.join(" ")}`);
    }
  }

  /** max_age reached: replace the process with a new one. */
  private async retire(p: Process): Promise<void> {
    if (!this.isActive() || p.exit) return;
    logger.info(`${this.name}: process ${p.pid} reached max_age, replacing it`);
    await this.killProcess(p);
    await this.manage();
  }

  private reap(p: Process, exit: ProcessExit): void {
    this.processes.delete(p.pid);
    const how = exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`;
    logger.debug(`${this.name}: process ${p.pid} exited with ${how}`);
    // As Circus: a death by signal is reported as minus the signal number.
    const exitCode = exit.code ?? (exit.signal ? -(constants.signals[exit.signal] ?? 0) : null);
    const announce = () =>
      this.notify("reap", { process_pid: p.pid, time: timeNow(), exit_code: exitCode });
    if (!this.hooks.has("before_reap") && !this.hooks.has("after_reap")) {
      announce();
      this.replace(p);
      return;
    }
    // The reap hooks run around the event; stop() waits for them before it says stopped.
    const done = (async () => {
      await this.hook("before_reap", { pid: p.pid });
      announce();
      await this.hook("after_reap", { pid: p.pid, exitCode });
      this.replace(p);
    })().finally(() => this.pendingReaps.delete(done));
    this.pendingReaps.add(done);
  }

  /** After a death: a new process in its place, unless the watcher stops or does not respawn. */
  private replace(p: Process): void {
    if (p.stopping || !this.isActive()) return;
    if (!this.config.respawn) {
      if (this.processes.size === 0 && this.state === "active") void this.stop();
      return;
    }
    // A process that dies at once is respawned after a growing pause (capped at 5 s), so
    // that a crash loop cannot eat the daemon's CPU.
    this.quickDeaths = p.age() < QUICK_DEATH_SECONDS ? this.quickDeaths + 1 : 0;
    const delay = this.quickDeaths <= 1 ? 0 : Math.min(5000, 50 * 2 ** (this.quickDeaths - 2));
    this.reservedWids.add(p.wid);
    const respawn = () => {
      this.reservedWids.delete(p.wid);
      if (this.isActive() && this.processes.size < this.numprocesses) void this.spawnProcess(p.wid);
    };
    if (delay === 0) {
      respawn();
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      respawn();
    }, delay);
    this.timers.add(timer);
  }

  /**
   * Stops one process: stop_signal (to its children too with stop_children), then SIGKILL to
   * it and all its descendants once graceful_timeout has passed. Each signal sent is a `kill`
   * event, as in Circus.
   */
  async killProcess(
    p: Process,
    signum = this.config.stopSignal,
    gracefulTimeout = this.config.gracefulTimeout,
  ): Promise<void> {
    if (p.exit) return;
    p.stopping = true;
    await this.signalTree(p, signum, this.config.stopChildren, false);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), gracefulTimeout * 1000);
    });
    const forced = await Promise.race([p.exited.then(() => false), timedOut]);
    clearTimeout(timer);
    if (forced && !p.exit) {
      logger.info(
        `${this.name}: process ${p.pid} still alive after ${gracefulTimeout}s, sending SIGKILL`,
      );
      await this.signalTree(p, 9, true, true);
      await p.exited;
    }
  }

  /**
   * Circus's `send_signal_process`: the process (through the signal hooks), then its children
   * (every descendant when recursive), with a `kill` event for each one that was there.
   */
  private async signalTree(
    p: Process,
    signum: number,
    children: boolean,
    recursive: boolean,
  ): Promise<void> {
    // The children are listed first: once the process dies they are no longer its children.
    const pids = children ? p.children(recursive) : [];
    if (await this.signalProcess(p, signum)) this.notify("kill", { process_pid: p.pid });
    for (const pid of pids)
      if (sendSignalTo(pid, signum)) this.notify("kill", { process_pid: pid });
  }

  /**
   * Sends a signal to one process, through the before_signal / after_signal hooks; false
   * when the process was already gone.
   */
  async signalProcess(p: Process, signum: number, options: SignalOptions = {}): Promise<boolean> {
    if (p.exit) return false;
    const allowed = await this.hook("before_signal", { pid: p.pid, signum });
    let present = !p.exit;
    if (!allowed && signum !== 9) {
      logger.info(`${this.name}: before_signal hook suppressed ${signalName(signum)} to ${p.pid}`);
    } else if (options.childPid !== undefined) {
      p.sendSignalChild(options.childPid, signum, options.recursive);
    } else {
      // The process first, as Circus: a shell whose children died first would exit 0 before
      // its own signal came. Its children are listed before it can die and leave them.
      const children = options.children ? p.children(options.recursive) : [];
      if (!options.onlyChildren) present = p.sendSignal(signum);
      for (const pid of children) sendSignalTo(pid, signum);
    }
    await this.hook("after_signal", { pid: p.pid, signum });
    return present;
  }

  /** The `signal` command: to every process, or the one with `pid`, its children or a child. */
  async sendSignal(signum: number, options: SignalOptions = {}): Promise<number[]> {
    const targets =
      options.pid === undefined ? [...this.processes.values()] : [this.processes.get(options.pid)];
    const found = targets.filter((p): p is Process => p !== undefined);
    await Promise.all(found.map((p) => this.signalProcess(p, signum, options)));
    return found.map((p) => p.pid);
  }

  /** Pids, oldest first. */
  pids(): number[] {
    return [...this.processes.values()].sort((a, b) => a.started - b.started).map((p) => p.pid);
  }

  /** Runs a hook and publishes its outcome; true when the caller may go on. */
  async hook(
    name: HookName,
    extra: Omit<HookContext, "watcher" | "arbiter" | "hookName"> = {},
  ): Promise<boolean> {
    if (!this.hooks.has(name)) return true;
    const outcome = await this.hooks.run(name, { watcher: this, arbiter: this.arbiter, ...extra });
    if (outcome.error) {
      logger.error(`${this.name}: hook ${name} failed: ${outcome.error.message}`);
      this.notify("hook_failure", { name, time: timeNow(), error: outcome.error.message });
    } else {
      this.notify("hook_success", { name });
    }
    return outcome.result;
  }

  /**
   * The extended_stats hook, which adds figures to a process's stats mapping. As in Circus it
   * runs without events, and a failure only leaves the mapping as it was.
   */
  async extendStats(pid: number, stats: Record<string, unknown>): Promise<void> {
    if (!this.hooks.has("extended_stats")) return;
    const outcome = await this.hooks.run("extended_stats", {
      watcher: this,
      arbiter: this.arbiter,
      pid,
      stats,
    });
    if (outcome.error)
      logger.error(`${this.name}: hook extended_stats failed: ${outcome.error.message}`);
  }

  /** Publishes an event with Circus's payload: the fields given, with the time unless given. */
  private notify(topic: string, data: Record<string, unknown>): void {
    const payload = "time" in data ? data : { ...data, time: timeNow() };
    this.emit("event", { watcher: this.name, topic, data: payload } satisfies WatcherEvent);
  }

  private clearTimers(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.reservedWids.clear();
  }
}
