import { EventEmitter } from "node:events";
import type { HookName, WatcherConfig } from "../config/types.js";
import { logger } from "../log/logger.js";
import { float, timeNow } from "../python/repr.js";
import { buildEnvironment } from "./environment.js";
import { HookRunner, type HookExtra } from "./hooks.js";
import { loadHooks, processOptions, resolveIds, type UserIds } from "./watcher-setup.js";
import { WatcherReadiness } from "./watcher-readiness.js";
import { OnDemand } from "./on-demand.js";
import { osProcessTable, type ProcessTable } from "../sys/process-table.js";
import type { Papa } from "./papa.js";
import { circusExitCode, formatForProcess, Process, type ProcessExit } from "./process.js";
import type { OutputStream } from "../streams/index.js";
import { SerialQueue } from "./serial-queue.js";
import { LimitHold, type Shortfall } from "./spawn-limits.js";
import { Spawner, watchAge } from "./spawner.js";
import {
  killProcess,
  signalProcess,
  signalProcesses,
  type SignalOptions,
  type SignalSubject,
} from "./watcher-signals.js";
import { WatcherOutput } from "./watcher-streams.js";
import type {
  WatcherChanges,
  WatcherEvent,
  WatcherEvents,
  WatcherHost,
  WatcherOptions,
  WatcherStatus,
} from "./watcher-types.js";

export type * from "./watcher-types.js";

/**
 * Runs `numprocesses` processes of one command and keeps them alive. Emits `event`
 * ({@link WatcherEvent}) for spawn, reap, kill, start, stop, updated and hook outcomes.
 *
 * Its state changes (the methods of {@link WatcherChanges}) go through its arbiter's queue,
 * one at a time; a watcher on its own has a queue of its own. What it does by itself to keep its processes alive (respawn, max_age, giving up
 * after max_retry) does not wait in that queue.
 */
export class Watcher extends EventEmitter<WatcherEvents> {
  config: WatcherConfig;
  private loaded: WatcherConfig;
  /** pid -> process. */
  readonly processes = new Map<number, Process>();
  private host: WatcherHost | null = null;
  private readonly ownQueue = new SerialQueue();
  private readonly changes: WatcherChanges = {
    start: () => this.doStart(),
    stop: () => this.doStop(),
    restart: () => this.doRestart(),
    reload: (graceful = true, sequential = false) => this.doReload(graceful, sequential),
    setNumprocesses: (count) => this.doSetNumprocesses(count),
    applyConfig: (config, updates = 1) => this.doApplyConfig(config, updates),
    manage: () => this.doManage(),
    spawnProcesses: () => this.doSpawnProcesses(),
    spawnProcess: (wid) => this.doSpawnProcess(wid),
    killProcess: (p, signum, timeout) => this.terminate(p, signum, timeout),
    sendSignal: (signum, options = {}) =>
      signalProcesses(this.signalSubject(), this.processes, signum, options),
  };
  private readonly spawner: Spawner;
  /** The table its processes run in without the kernel (the OS's, or a test's). */
  private readonly ownTable: ProcessTable;
  private state: WatcherStatus = "stopped";
  private hooks: HookRunner;
  private env: Record<string, string>;
  private ids: UserIds;
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Reaps whose hooks are running; stop() waits for them too. */
  private readonly pendingReaps = new Set<Promise<void>>();
  /** The on_demand trigger; enabled by the arbiter for an on_demand watcher. */
  readonly onDemand: OnDemand;
  /** Where the processes' output goes: the streams, the ring of recent output, followers. */
  readonly output: WatcherOutput;
  /** Whether its processes are ready (the `readiness` probe), and what waits on it. */
  readonly readiness: WatcherReadiness;
  private prepared = false;
  /** The process kernel its processes live in (use_papa), once the arbiter connected it. */
  private papa: Papa | null = null;
  /** Set by its first start: a later start is a restart. */
  private everStarted = false;
  private restartCount = 0;
  /** Set while a resource limit holds spawns back (the processes running are kept). */
  private readonly limits = new LimitHold({
    name: () => this.name,
    config: () => this.config,
    running: () => this.processes.size,
    wanted: () => this.numprocesses,
    notify: (topic, data) => this.notify(topic, data),
    spawnMissing: () => void (this.isActive() && this.doSpawnProcesses()),
  });

  constructor(config: WatcherConfig, options: WatcherOptions = {}) {
    super();
    this.ownTable = options.processTable ?? osProcessTable;
    this.spawner = new Spawner(this.ownTable);
    this.config = config;
    this.loaded = config;
    this.onDemand = new OnDemand(this);
    this.output = new WatcherOutput(config.name);
    this.hooks = new HookRunner(config.hooks, config.baseDir);
    this.readiness = new WatcherReadiness({
      name: config.name,
      settings: () => this.config,
      probeFor: (p) =>
        formatForProcess(
          processOptions(this.config, p.wid, this.ids, this.env, this.sockets),
          this.config.readiness ?? "",
        ),
      notify: (topic, data) => this.notify(topic, data),
      replace: (p) => void this.retire(p, true),
      changed: () => this.emit("readiness"),
    });
    this.ids = resolveIds(config);
    this.env = this.readiness.environment(buildEnvironment(config));
  }

  /** The watcher's name (names compare case-insensitively, as in Circus). */
  get name(): string {
    return this.config.name;
  }

  /**
   * The config as the file (or the library) gave it, before any `set`: a config reload
   * compares the file's new text with this, so that what the file did not change stays set.
   */
  get loadedConfig(): WatcherConfig {
    return this.loaded;
  }

  /** A config reload applied the file's new section (`loadedConfig` from now on). */
  markLoaded(config: WatcherConfig): void {
    this.loaded = config;
  }

  /** The arbiter that owns this watcher (what hooks receive), or null. */
  get arbiter(): WatcherHost | null {
    return this.host;
  }

  /** Socket name -> fd in the child, as the arbiter bound them. */
  get sockets(): Readonly<Record<string, number>> {
    return this.spawner.sockets;
  }

  /**
   * Called by the arbiter that takes this watcher (null when it lets it go); returns the
   * watcher's changes run at once, for the changes running in that arbiter's queue.
   */
  attach(host: WatcherHost | null): WatcherChanges {
    this.host = host;
    return this.changes;
  }

  /**
   * The sockets the next spawns hand over: name -> fd, and for so_reuseport sockets a
   * function binding a fresh sibling for one process.
   */
  useSockets(fds: Record<string, number>, siblings: Record<string, () => number> = {}): void {
    this.spawner.useSockets(fds, siblings);
  }

  /** Runs the next processes in the process kernel (use_papa), or in circusd (null). */
  usePapa(papa: Papa | null): void {
    this.papa = papa;
    this.spawner.useTable(papa ?? this.ownTable);
  }

  /**
   * circusd leaves and the process kernel keeps this watcher's processes: no signal, no hook,
   * no event; the output read so far is written and the streams closed. The next circusd
   * takes the processes back.
   */
  async detach(): Promise<void> {
    if (this.state === "stopped") return;
    this.state = "stopping";
    this.clearTimers();
    while (this.spawner.inFlight > 0) await this.spawner.settled();
    const left = this.processes.size;
    for (const p of this.processes.values()) p.removeAllListeners("exit");
    this.processes.clear();
    await this.output.close();
    this.state = "stopped";
    logger.info(`${this.name}: ${left} processes left running in the process kernel`);
  }

  /** Runs one of its changes in the owner's queue (or this watcher's own). */
  private queued<T>(job: () => Promise<T>): Promise<T> {
    return this.host ? this.host.exclusive(job) : this.ownQueue.push(job);
  }

  /** The processes it keeps running: numprocesses, at most 1 for a singleton. */
  get numprocesses(): number {
    return this.config.singleton ? Math.min(1, this.config.numprocesses) : this.config.numprocesses;
  }

  /** `active`, `stopped`, `starting` or `stopping`, as the status command reports. */
  status(): WatcherStatus {
    return this.state;
  }

  /**
   * Why fewer processes run than asked, while a resource limit holds spawns back (null
   * otherwise): the watcher stays active with the processes it has and retries.
   */
  shortfall(): (Shortfall & { running: number; numprocesses: number }) | null {
    const short = this.limits.current;
    if (!short) return null;
    return { ...short, running: this.processes.size, numprocesses: this.numprocesses };
  }

  /**
   * How often it was started again after its first start (a restart, a stop then a start, a
   * config change, the Flapping plugin's retry) or gracefully reloaded, since it was created.
   */
  get restarts(): number {
    return this.restartCount;
  }

  /**
   * Whether its processes die in a crash loop (each within a second of its start, two in a
   * row or more, the last a few seconds ago), which circusd answers with respawns held back.
   */
  crashLooping(): boolean {
    return this.spawner.inCrashLoop();
  }

  /**
   * Active with numprocesses processes running, every one of them ready (its `readiness`
   * probe answered; without a probe, running is ready). What depends_on waits for.
   */
  isReady(): boolean {
    if (this.state !== "active") return false;
    const wanted = this.numprocesses;
    return (
      this.processes.size >= wanted && this.readiness.countReady(this.processes.values()) >= wanted
    );
  }

  /** Active or starting: its processes are kept alive. */
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
    if (this.prepared) return; // by circusd (to fail early), then again by the arbiter
    await loadHooks(this.hooks, this.config);
    await this.output.load(this.config);
    this.prepared = true;
  }

  /**
   * Replaces the config (the `set` command, a config reload) and rebuilds what derives from
   * it; publishes `updates` `updated` events (Circus's `set` publishes one per option).
   */
  applyConfig(config: WatcherConfig, updates = 1): Promise<void> {
    return this.queued(() => this.changes.applyConfig(config, updates));
  }

  private async doApplyConfig(config: WatcherConfig, updates: number): Promise<void> {
    const hooks = new HookRunner(config.hooks, config.baseDir);
    await loadHooks(hooks, config);
    this.ids = resolveIds(config);
    await this.output.update(this.config, config);
    this.config = config;
    this.hooks = hooks;
    this.env = this.readiness.environment(buildEnvironment(config));
    for (let i = 0; i < updates; i++) this.notify("updated", {});
    if (this.isActive()) await this.doManage();
  }

  /** Starts the processes; false when a hook or the spawns aborted the start. */
  start(): Promise<boolean> {
    return this.queued(() => this.changes.start());
  }

  private async doStart(): Promise<boolean> {
    if (this.state !== "stopped") return this.isActive();
    this.state = "starting";
    if (this.everStarted) this.restartCount++;
    this.everStarted = true;
    await this.output.reopen();
    this.emit("starting");
    this.spawner.resetDeaths();
    // As the seeds say: processes taken back from the kernel skip before_start and before_spawn.
    const recovered = this.takeBack();
    if (recovered === 0 && !(await this.hook("before_start"))) {
      logger.warning(`${this.name}: before_start hook aborted the start`);
      this.state = "stopped";
      return false;
    }
    if (!(await this.doSpawnProcesses()) || this.state !== "starting") {
      await this.doStop();
      return false;
    }
    if (!(await this.hook("after_start"))) {
      logger.warning(`${this.name}: after_start hook aborted the start`);
      await this.doStop();
      return false;
    }
    this.state = "active";
    logger.info(`${this.name} started`);
    this.notify("start", {});
    return true;
  }

  /** Stops every process (stop_signal, graceful_timeout, then SIGKILL). */
  stop(): Promise<void> {
    return this.queued(() => this.changes.stop());
  }

  private async doStop(): Promise<void> {
    if (this.state === "stopping") await new Promise<void>((ok) => this.once("stopped", ok));
    if (this.state === "stopped" || this.state === "stopping") return;
    this.state = "stopping";
    this.clearTimers();
    await this.hook("before_stop");
    do {
      await this.terminateAll([...this.processes.values()]);
      if (this.spawner.inFlight > 0) await this.spawner.settled();
    } while (this.processes.size > 0 || this.spawner.inFlight > 0);
    await Promise.all(this.pendingReaps);
    // The processes' last bytes reach the streams before they are flushed and closed.
    await this.output.close();
    this.state = "stopped";
    this.notify("stop", {});
    await this.hook("after_stop");
    logger.info(`${this.name} stopped`);
    this.emit("stopped");
  }

  /** Stops, then starts the processes. */
  restart(): Promise<boolean> {
    return this.queued(() => this.changes.restart());
  }

  private async doRestart(): Promise<boolean> {
    // With a readiness probe, a running watcher is replaced process by process: never a
    // moment without a ready process.
    if (this.readiness.probed && this.state === "active" && this.processes.size > 0) {
      this.restartCount++;
      return this.rollOver();
    }
    await this.doStop();
    return this.doStart();
  }

  /**
   * Replaces every process, `reload_batch` at a time: new ones first, and an old one stops only
   * once its replacements are ready. A replacement that ends or is late stops the roll-over:
   * the old processes left keep running, and the watcher spawns what it lacks as usual.
   */
  private async rollOver(): Promise<boolean> {
    const old = [...this.processes.values()];
    const batch = Math.max(1, this.config.reloadBatch);
    for (let i = 0; i < old.length; i += batch) {
      const fresh: Process[] = [];
      for (let j = i; j < Math.min(old.length, i + batch); j++) {
        const p = await this.doSpawnProcess();
        if (!p) return false;
        fresh.push(p);
      }
      if (!(await this.readiness.waitReady(fresh))) {
        logger.error(
          `${this.name}: a new process did not become ready; replacing stopped with ${old.length - i} old processes left`,
        );
        return false;
      }
      await this.terminateAll(old.slice(i, i + batch).filter((p) => !p.exit));
    }
    return true;
  }

  /**
   * Reloads the processes: a restart when not graceful; a start when stopped; SIGHUP when
   * send_hup; otherwise new processes first, then the old ones stopped (one by one when
   * sequential). A graceful reload ends with a `reload` event, as in Circus.
   */
  reload(graceful = true, sequential = false): Promise<void> {
    return this.queued(() => this.changes.reload(graceful, sequential));
  }

  private async doReload(graceful: boolean, sequential: boolean): Promise<void> {
    if (!graceful) {
      await this.doRestart();
      return;
    }
    if (this.state === "stopped") {
      if (!(await this.doStart())) return;
    } else if (this.config.sendHup) {
      this.restartCount++;
      const subject = this.signalSubject();
      await Promise.all([...this.processes.values()].map((p) => signalProcess(subject, p, 1)));
    } else if (this.readiness.probed) {
      this.restartCount++;
      if (!(await this.rollOver())) return;
    } else {
      this.restartCount++;
      const old = [...this.processes.values()];
      if (sequential) {
        for (const p of old) {
          if (!(await this.doSpawnProcess())) return;
          await this.terminate(p);
        }
      } else {
        for (let i = 0; i < this.numprocesses; i++) {
          if (!(await this.doSpawnProcess())) return;
          if (i + 1 < this.numprocesses) await this.spawner.warmup(this.config.warmupDelay);
        }
        await this.terminateAll(old);
      }
    }
    this.notify("reload", {});
    logger.info(`${this.name} reloaded`);
  }

  /** Sets the process count and, when active, spawns or stops to match it. */
  setNumprocesses(count: number): Promise<number> {
    return this.queued(() => this.changes.setNumprocesses(count));
  }

  private async doSetNumprocesses(count: number): Promise<number> {
    this.config = { ...this.config, numprocesses: Math.max(0, count) };
    if (this.isActive()) await this.doManage();
    return this.numprocesses;
  }

  /** Spawns up to numprocesses and stops the oldest extras. */
  manage(): Promise<void> {
    return this.queued(() => this.changes.manage());
  }

  private async doManage(): Promise<void> {
    if (!this.isActive()) return;
    const excess = this.processes.size - this.numprocesses;
    if (excess > 0) {
      // Oldest first: the map keeps the order of spawning.
      await this.terminateAll([...this.processes.values()].slice(0, excess));
    } else if (this.config.respawn || this.state === "starting") {
      await this.doSpawnProcesses();
    }
  }

  /** Spawns processes until there are numprocesses; false when spawning gave up. */
  spawnProcesses(): Promise<boolean> {
    return this.queued(() => this.changes.spawnProcesses());
  }

  private async doSpawnProcesses(): Promise<boolean> {
    while (this.isActive() && this.processes.size + this.spawner.reserved < this.numprocesses) {
      // Held back by a limit is no failure: the start goes on with what runs.
      if (!(await this.doSpawnProcess())) return this.limits.current !== null && this.isActive();
      if (this.processes.size < this.numprocesses)
        await this.spawner.warmup(this.config.warmupDelay);
    }
    if (this.isActive()) this.limits.recovered();
    return true;
  }

  /**
   * Spawns one process, retrying a failed spawn up to max_retry times; when every try fails
   * the watcher stops. Returns null when the process was not started.
   */
  spawnProcess(wid?: number): Promise<Process | null> {
    return this.queued(() => this.changes.spawnProcess(wid));
  }

  private async doSpawnProcess(wid = this.spawner.nextWid()): Promise<Process | null> {
    this.spawner.reserve(wid);
    try {
      if (!(await this.hook("before_spawn"))) {
        logger.warning(`${this.name}: before_spawn hook aborted the start`);
        void this.doStop();
        return null;
      }
      const tries = this.config.maxRetry < 0 ? Infinity : Math.max(1, this.config.maxRetry);
      for (let attempt = 1; attempt <= tries && this.isActive(); attempt++) {
        try {
          const context = {
            config: this.config,
            ids: this.ids,
            env: this.env,
            // The kernel's processes write into pipes of the kernel's.
            output: this.spawner.hosted ? null : this.output.pipesFor(),
          };
          const p = await this.spawner.spawn(wid, context, (child) => this.adopt(child));
          if (this.isActive() && !(await this.hook("after_spawn", { pid: p.pid }))) {
            logger.warning(`${this.name}: after_spawn hook aborted the start`);
            void this.doStop();
            return null;
          }
          // As in Circus, a process is announced once its after_spawn hook let it be.
          this.notify("spawn", { process_pid: p.pid, time: float(p.started) });
          return this.isActive() ? p : null;
        } catch (error) {
          if (this.limits.hit(error)) return null;
          logger.warning(
            `${this.name}: cannot spawn process (try ${attempt}): ${(error as Error).message}`,
          );
        }
      }
      if (this.isActive()) {
        logger.error(`${this.name}: giving up after ${tries} failed spawns; stopping the watcher`);
        this.emit(
          "gaveUp",
          `${tries} failed spawns in a row (max_retry = ${this.config.maxRetry})`,
        );
        void this.doStop();
      }
      return null;
    } finally {
      this.spawner.unreserve(wid);
    }
  }

  /**
   * Takes back the processes the process kernel kept from an earlier circusd: the same pids
   * and wids, their output since then written with its own times. One that ended meanwhile
   * is reaped (its exit code published) and replaced like any other. Returns how many.
   */
  private takeBack(): number {
    const kept = this.papa?.recover(this.name) ?? [];
    for (const r of kept) {
      const p = Process.recover(
        { name: this.name, wid: r.wid },
        r.child,
        r.started,
        r.argv,
        this.papa as Papa,
      );
      this.spawner.holdWid(p);
      this.adopt(p, true);
      logger.info(
        `${this.name}: took back process ${p.pid} (wid ${p.wid}) from the process kernel`,
      );
    }
    return kept.length;
  }

  /**
   * Takes a freshly spawned process under watch: output, exit, max_age, readiness.
   * `recovered`: taken back from the process kernel.
   */
  private adopt(p: Process, recovered = false): void {
    this.processes.set(p.pid, p);
    this.readiness.track(p, recovered);
    // Output without a stream is still read (and kept in the ring): a child must never block
    // on a full pipe.
    if (p.stdout) this.output.attach(p.pid, "stdout", p.stdout);
    if (p.stderr) this.output.attach(p.pid, "stderr", p.stderr);
    const hosted = p.hostedOutput;
    if (hosted) p.once("exit", this.output.follow(p.pid, hosted));
    p.once("exit", (exit: ProcessExit) => this.reap(p, exit));
    if (this.config.maxAge > 0) watchAge(p, this.config, this.timers, () => this.retire(p));
    if (logger.enabled("debug")) {
      logger.debug(`${this.name}: spawned process ${p.pid} (wid ${p.wid}): ${p.argv.join(" ")}`);
    }
  }

  /** max_age reached (or `late`: not ready in time): replace the process with a new one. */
  private async retire(p: Process, late = false): Promise<void> {
    if (!this.isActive() || p.exit) return;
    if (!late) logger.info(`${this.name}: process ${p.pid} reached max_age, replacing it`);
    await this.terminate(p);
    await this.doManage();
  }

  private reap(p: Process, exit: ProcessExit): void {
    this.processes.delete(p.pid);
    const how = exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`;
    logger.debug(`${this.name}: process ${p.pid} exited with ${how}`);
    const exitCode = circusExitCode(exit);
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
      if (this.processes.size === 0 && this.state === "active") void this.doStop();
      return;
    }
    this.spawner.respawn(p, () => {
      if (this.isActive() && this.processes.size < this.numprocesses)
        void this.doSpawnProcess(p.wid);
    });
  }

  /** Stops one process gracefully: stop_signal (or signum), then SIGKILL after the timeout. */
  killProcess(p: Process, signum?: number, gracefulTimeout?: number): Promise<void> {
    return this.queued(() => this.changes.killProcess(p, signum, gracefulTimeout));
  }

  /** The `signal` command: to every process, or the one with `pid`, its children or a child. */
  sendSignal(signum: number, options: SignalOptions = {}): Promise<number[]> {
    return this.queued(() => this.changes.sendSignal(signum, options));
  }

  /**
   * Stops processes together, giving the event loop a turn now and then: signalling 10,000
   * at once would keep requests waiting for as long.
   */
  private async terminateAll(list: Process[]): Promise<void> {
    const stops: Promise<void>[] = [];
    for (const p of list) {
      stops.push(this.terminate(p));
      await this.spawner.breathe();
    }
    await Promise.all(stops);
  }

  /** The watcher's own graceful stop of one process, which waits in no queue. */
  private terminate(p: Process, signum?: number, timeout?: number): Promise<void> {
    const { stopSignal, gracefulTimeout } = this.config;
    return killProcess(this.signalSubject(), p, signum ?? stopSignal, timeout ?? gracefulTimeout);
  }

  private signalSubject(): SignalSubject {
    return {
      name: this.name,
      config: this.config,
      hook: (name, extra) => this.hook(name, extra),
      notify: (topic, data) => this.notify(topic, data),
    };
  }

  /**
   * Pids, oldest first: the order processes were adopted in, which is the order they were
   * spawned in (no sort: `list` of 10,000 is asked for often).
   */
  pids(): number[] {
    return [...this.processes.keys()];
  }

  /** Runs a hook and publishes its outcome; true when the caller may go on. */
  hook(name: HookName, extra: HookExtra = {}): Promise<boolean> {
    if (!this.hooks.has(name)) return Promise.resolve(true); // most watchers have none
    const ctx = { watcher: this, arbiter: this.host, ...extra };
    return this.hooks.runReported(name, ctx, (t, d) => this.notify(t, d));
  }

  /** The extended_stats hook, which adds figures to a process's stats mapping. */
  extendStats(pid: number, stats: Record<string, unknown>): Promise<void> {
    return this.hooks.extendStats({ watcher: this, arbiter: this.host, pid, stats });
  }

  /** Publishes an event with Circus's payload: the fields given, with the time unless given. */
  private notify(topic: string, data: Record<string, unknown>): void {
    const payload = "time" in data ? data : { ...data, time: timeNow() };
    this.emit("event", { watcher: this.name, topic, data: payload } satisfies WatcherEvent);
  }

  private clearTimers(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.limits.clear();
    this.spawner.clear();
  }
}
