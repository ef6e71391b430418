import { EventEmitter } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { CIRCUS_DEFAULTS } from "../config/defaults.js";
import { checkDependencies, dependencyOrder } from "../config/dependencies.js";
import type {
  CircusConfig,
  CircusOptions,
  PluginConfig,
  SocketConfig,
  WatcherConfig,
} from "../config/types.js";
import { logger } from "../log/logger.js";
import { timeNow } from "../python/repr.js";
import type { KernelRunner } from "../kernel/client.js";
import { bindAll, CircusSocket } from "../sockets/index.js";
import { KernelSocket, Papa } from "./papa.js";
import { SerialQueue } from "./serial-queue.js";
import { keepStartOptions, sameConfig, type ReloadSummary } from "./reload-plan.js";
import { planSockets } from "./socket-plan.js";
import { checkSocketNames } from "./watcher-setup.js";
import { Watcher, type WatcherChanges, type WatcherEvent, type WatcherHost } from "./watcher.js";

export type { ReloadSummary } from "./reload-plan.js";

/**
 * What a change running in the arbiter's queue does its steps with. They run at once: queued
 * again, a step would wait for the change it is part of. {@link Arbiter.exclusive} hands it
 * to its job; the arbiter's and its watchers' public methods of the same names queue them.
 */
export interface Change {
  readonly arbiter: Arbiter;
  /** A watcher's own changes, run at once (ArbiterError once it left the arbiter). */
  watcher(watcher: Watcher): WatcherChanges;
  startWatchers(watchers?: Watcher[]): Promise<void>;
  stopWatchers(): Promise<void>;
  addWatcher(config: WatcherConfig, start?: boolean): Promise<Watcher>;
  removeWatcher(name: string, nostop?: boolean): Promise<void>;
  /** Reloads `watchers` (every watcher by default) in the arbiter's order, warmup_delay apart. */
  reload(graceful?: boolean, sequential?: boolean, watchers?: Watcher[]): Promise<void>;
  /** Applies `config`, or the one the config loader reads now. */
  reloadConfig(config?: CircusConfig): Promise<ReloadSummary>;
}

/**
 * An event of the arbiter itself: a watcher added (`add`) or removed (`remove`). Circus
 * publishes these on the watcher's own topic, `watcher.NAME.add` / `watcher.NAME.remove`,
 * so `data.name` names the watcher.
 */
export interface ArbiterEvent {
  topic: string;
  data: Record<string, unknown>;
}

/** Thrown for a bad request to the arbiter: an unknown or duplicate watcher name. */
export class ArbiterError extends Error {
  override name = "ArbiterError";
}

/** Builds the watchers that run the active plugins. */
/**
 * The watchers circus runs for itself, from its config: circusd-stats (`statsd`) and one per
 * plugin (`plugin:NAME`).
 */
export type CircusWatchers = (plugins: PluginConfig[], options: CircusOptions) => WatcherConfig[];

/** The sockets circus binds for itself, from its options: circushttpd's (`httpd`). */
export type CircusSockets = (options: CircusOptions) => SocketConfig[];

/**
 * A bare arbiter's own watchers: none. An active plugin, statsd or httpd is refused, having
 * no endpoint to talk to.
 */
export function refuseCircusWatchers(
  plugins: PluginConfig[],
  options: Pick<CircusOptions, "statsd" | "httpd">,
): WatcherConfig[] {
  const active = plugins.find((p) => p.active);
  if (active)
    throw new ArbiterError(
      `plugin ${active.name}: plugins need the control endpoint; use getArbiter() or ServedArbiter`,
    );
  if (options.statsd)
    throw new ArbiterError(
      "statsd: circusd-stats needs the control endpoint; use getArbiter() or ServedArbiter",
    );
  if (options.httpd)
    throw new ArbiterError(
      "httpd: circushttpd needs the control endpoint; use getArbiter() or ServedArbiter",
    );
  return [];
}

/** What an arbiter emits. */
export interface ArbiterEvents {
  /** An event of one of its watchers. */
  event: [WatcherEvent];
  /** An event of its own (`add`, `remove`). */
  "arbiter-event": [ArbiterEvent];
  /** Every watcher has stopped and the sockets are closed. */
  stopped: [];
  /** One of its watchers gave up (a watcher's `gaveUp`), with why. */
  "gave-up": [Watcher, string];
  /**
   * The bound sockets changed: bound at start, added or removed by a config reload, closed
   * at stop (the metrics count their connections from then on).
   */
  sockets: [];
}

/**
 * Manages every watcher: starts them by priority (highest first) with warmup_delay between
 * two, stops them in the reverse order, adds and removes them at run time and applies a
 * reloaded config. Emits `event` with {@link WatcherEvent}s of its watchers and
 * `arbiter-event` with {@link ArbiterEvent}s of its own.
 *
 * Every state change, its own and its watchers', whoever asks (a command, SIGHUP, a library
 * caller, an on_demand connection), goes through one queue, one at a time: see
 * {@link Arbiter.exclusive}. Reads (status, stats, lists) answer at once.
 */
export class Arbiter extends EventEmitter<ArbiterEvents> implements WatcherHost {
  readonly watchers: Watcher[] = [];
  options: CircusOptions;
  sockets: SocketConfig[];
  plugins: PluginConfig[];
  /** The sockets bound at start, closed at stop (empty before and after). */
  boundSockets: CircusSocket[] = [];
  /** Returns the config to apply on reloadConfig (circusd re-reads its file). */
  configLoader: (() => CircusConfig) | null = null;
  /** Checks a reloaded config's plugins (circusd loads their classes); throws a ConfigError. */
  pluginCheck: ((config: CircusConfig) => Promise<void>) | null = null;
  private running = false;
  private stopping = false;
  private stopDone: Promise<void> | null = null;
  private readonly queue = new SerialQueue();
  private readonly watcherChanges = new Map<Watcher, WatcherChanges>();
  private readonly change: Change = {
    arbiter: this,
    watcher: (watcher) => this.changesOf(watcher),
    startWatchers: (watchers = this.iterWatchers()) => this.doStartWatchers(watchers),
    stopWatchers: () => this.doStopWatchers(),
    addWatcher: (config, start = false) => this.doAddWatcher(config, start),
    removeWatcher: (name, nostop = false) => this.doRemoveWatcher(name, nostop),
    reload: (graceful = true, sequential = false, watchers?: Watcher[]) =>
      this.doReload(graceful, sequential, watchers),
    reloadConfig: (config) => this.doReloadConfig(config ?? this.configLoader?.() ?? null),
  };
  /**
   * node's arguments that run the process kernel (circus-papa), for `use_papa`; without them
   * use_papa is refused. {@link ServedArbiter} sets it.
   */
  kernelRunner: KernelRunner | null = null;
  /** The process kernel, once a use_papa watcher or socket needed it. */
  private papa: Papa | null = null;
  /** Watchers whose start waits for watchers they depend on: name -> those not ready yet. */
  private readonly waiting = new Map<Watcher, string[]>();
  /** Children are not Node handles: this keeps the event loop alive while the arbiter runs. */
  private keepAlive: NodeJS.Timeout | null = null;

  /**
   * @param circusWatchers - builds the watchers that run circusd-stats and the plugins
   * (`plugin:NAME`). They talk to the arbiter through its control endpoint, which a bare
   * arbiter does not have: without this, statsd and an active plugin are refused
   * ({@link ServedArbiter} gives it).
   * @param circusSockets - builds the sockets of those watchers (circushttpd's), added to the
   * config's at start and at each reload; a config's socket of the same name wins.
   */
  constructor(
    watchers: WatcherConfig[],
    options: Partial<CircusOptions> = {},
    sockets: SocketConfig[] = [],
    plugins: PluginConfig[] = [],
    private readonly circusWatchers: CircusWatchers = refuseCircusWatchers,
    private readonly circusSockets: CircusSockets = () => [],
  ) {
    super();
    this.options = { ...CIRCUS_DEFAULTS, ...options };
    this.sockets = this.withCircusSockets(sockets, this.options);
    this.plugins = plugins;
    for (const config of [...watchers, ...circusWatchers(plugins, this.options)])
      this.attach(new Watcher(config));
  }

  /** Takes a watcher in: its events become the arbiter's, its changes go through the queue. */
  private attach(watcher: Watcher): Watcher {
    if (this.getWatcher(watcher.name))
      throw new ArbiterError(`watcher ${watcher.name} already exists`);
    this.watcherChanges.set(watcher, watcher.attach(this));
    watcher.on("event", (event: WatcherEvent) => {
      this.emit("event", event);
      if (this.waiting.size > 0) this.startReadyDependents();
    });
    watcher.on("readiness", () => {
      if (this.waiting.size > 0) this.startReadyDependents();
    });
    watcher.on("gaveUp", (reason) => this.emit("gave-up", watcher, reason));
    this.watchers.push(watcher);
    return watcher;
  }

  /**
   * Runs a state change after those queued before it, and settles with its outcome. The job
   * makes its steps through the {@link Change} it is given, which runs them at once. Once the
   * arbiter stops, the changes still waiting are refused with an ArbiterError.
   */
  exclusive<T>(job: (change: Change) => Promise<T> | T): Promise<T> {
    if (this.stopping) return Promise.reject(new ArbiterError("the arbiter is stopping"));
    return this.queue.push(() => {
      if (this.stopping) throw new ArbiterError("the arbiter is stopping");
      return job(this.change);
    });
  }

  private changesOf(watcher: Watcher): WatcherChanges {
    const changes = this.watcherChanges.get(watcher);
    if (!changes) throw new ArbiterError(`program ${watcher.name} not found`);
    return changes;
  }

  private notify(topic: string, data: Record<string, unknown>): void {
    const event: ArbiterEvent = { topic, data: { ...data, time: timeNow() } };
    this.emit("arbiter-event", event);
  }

  /** Watchers sorted by priority, highest first (the start order). */
  iterWatchers(reverse = false): Watcher[] {
    const sorted = [...this.watchers].sort((a, b) => b.config.priority - a.config.priority);
    return reverse ? sorted.reverse() : sorted;
  }

  /** The watcher of that name (names compare case-insensitively, as in Circus). */
  getWatcher(name: string): Watcher | undefined {
    const lower = name.toLowerCase();
    return this.watchers.find((w) => w.name.toLowerCase() === lower);
  }

  /** Number of running processes across all watchers. */
  numprocesses(): number {
    return this.watchers.reduce((sum, w) => sum + w.processes.size, 0);
  }

  /** Number of watchers, plugins' included. */
  numwatchers(): number {
    return this.watchers.length;
  }

  /** Between a successful start() and the end of stop(). */
  isRunning(): boolean {
    return this.running;
  }

  /** Socket name -> fd, for `$(circus.sockets.NAME)` and the handover to children. */
  socketFds(): Record<string, number> {
    return Object.fromEntries(this.boundSockets.map((s) => [s.name, s.fd]));
  }

  /** Checks the socket names the watcher uses and gives it the bound fds. */
  private giveSockets(watcher: Watcher): void {
    checkSocketNames(
      watcher.config,
      this.sockets.map((s) => s.name),
    );
    this.handSockets(watcher);
  }

  /** Gives the watcher the bound fds (and so_reuseport binders) for its next spawns. */
  private handSockets(watcher: Watcher): void {
    // The kernel's processes get the kernel's sockets, circusd's get circusd's (the config
    // check refused a watcher naming a socket of the other side).
    const side = this.boundSockets.filter(
      (s) => s instanceof KernelSocket === watcher.config.usePapa,
    );
    watcher.useSockets(
      Object.fromEntries(side.map((s) => [s.name, s.fd])),
      Object.fromEntries(
        side.filter((s) => s.hasSiblings()).map((s) => [s.name, () => s.bindSibling()]),
      ),
    );
  }

  /**
   * Binds every socket, loads hooks and starts every autostart watcher. When a bind or a
   * hook fails, nothing stays bound and the error (a ConfigError naming the section and
   * option) is thrown.
   */
  start(): Promise<void> {
    return this.exclusive(() => this.doStart());
  }

  private async doStart(): Promise<void> {
    if (this.running) return;
    for (const watcher of this.watchers)
      checkSocketNames(
        watcher.config,
        this.sockets.map((s) => s.name),
      );
    if (this.sockets.some((s) => s.usePapa) || this.watchers.some((w) => w.config.usePapa))
      await this.connectPapa();
    // Sockets before any watcher: the workers inherit them at spawn.
    this.boundSockets = await bindAll(this.sockets, this.makeSocket);
    this.emit("sockets");
    try {
      for (const watcher of this.watchers) {
        this.giveSockets(watcher);
        await this.placeWatcher(watcher);
        await watcher.prepare();
      }
    } catch (error) {
      this.closeSockets();
      this.papa?.detach();
      throw error;
    }
    this.running = true;
    this.keepAlive = setInterval(() => {}, 2 ** 30);
    logger.info("Starting master on pid " + process.pid);
    await this.doStartWatchers(this.iterWatchers());
    this.papa?.releaseUnclaimed();
    logger.info("Arbiter now waiting for commands");
  }

  /** A socket of circusd's, or of the process kernel's for `use_papa`. */
  private readonly makeSocket = (config: SocketConfig): CircusSocket => {
    if (!config.usePapa) return new CircusSocket(config);
    if (!this.papa) throw new ArbiterError(`socket ${config.name}: use_papa before the kernel`);
    return new KernelSocket(config, this.papa);
  };

  /**
   * Connects to the process kernel at `papa_endpoint` (starting one if none answers), once.
   *
   * @throws ArbiterError when it cannot be reached or started, or is owned by another circusd.
   */
  private async connectPapa(): Promise<Papa> {
    if (this.papa) return this.papa;
    if (!this.kernelRunner)
      throw new ArbiterError(
        "use_papa: the process kernel needs circusd (use getArbiter() or ServedArbiter)",
      );
    try {
      this.papa = await Papa.connect(this.options.papaEndpoint, this.kernelRunner);
    } catch (error) {
      throw new ArbiterError(
        `papa_endpoint ${this.options.papaEndpoint}: ${(error as Error).message}`,
      );
    }
    // A kernel that had to be replaced bound the sockets again, maybe at other fds.
    this.papa.onRebound = () => {
      for (const watcher of this.watchers) this.handSockets(watcher);
      this.emit("sockets");
    };
    return this.papa;
  }

  /** A use_papa watcher runs its processes in the kernel. */
  private async placeWatcher(watcher: Watcher): Promise<void> {
    watcher.usePapa(watcher.config.usePapa ? await this.connectPapa() : null);
  }

  /** Starts the autostart watchers, by priority, warmup_delay apart. */
  startWatchers(watchers?: Watcher[]): Promise<void> {
    return this.exclusive((change) => change.startWatchers(watchers));
  }

  private async doStartWatchers(watchers: Watcher[]): Promise<void> {
    let first = true;
    for (const watcher of dependencyOrder(watchers)) {
      if (this.stopping) break;
      // on_demand: the first connection to its sockets starts it, as in Circus.
      if (watcher.config.onDemand) {
        watcher.onDemand.enable();
        continue;
      }
      if (!watcher.config.autostart) continue;
      const missing = this.notReady(watcher);
      if (missing.length > 0) {
        // Started later, through the queue, once they are ready (startReadyDependents).
        this.waiting.set(watcher, missing);
        logger.info(`${watcher.name} waits for ${missing.join(", ")} to be ready`);
        continue;
      }
      if (!first && this.options.warmupDelay > 0) await sleep(this.options.warmupDelay * 1000);
      first = false;
      await this.changesOf(watcher).start();
    }
  }

  /** The watchers `watcher` depends on that are not ready (active, every process ready). */
  private notReady(watcher: Watcher): string[] {
    return watcher.config.dependsOn.filter((name) => !this.getWatcher(name)?.isReady());
  }

  /** The watchers it waits for before it starts (depends_on), or null when it waits for none. */
  waitingFor(watcher: Watcher): string[] | null {
    return this.waiting.get(watcher) ?? null;
  }

  /** Starts the waiting watchers whose dependencies are all ready now. */
  private startReadyDependents(): void {
    for (const [watcher, before] of this.waiting) {
      const missing = this.notReady(watcher);
      if (missing.length > 0) {
        if (missing.join() !== before.join()) this.waiting.set(watcher, missing);
        continue;
      }
      this.waiting.delete(watcher);
      logger.info(`${watcher.name}: ${watcher.config.dependsOn.join(", ")} ready, starting`);
      this.exclusive((change) => change.watcher(watcher).start()).catch((error: unknown) => {
        if (!(error instanceof ArbiterError)) logger.error(`${watcher.name}: ${String(error)}`);
      });
    }
  }

  /** Stops every watcher, lowest priority first. */
  stopWatchers(): Promise<void> {
    return this.exclusive((change) => change.stopWatchers());
  }

  /**
   * `leaving`: circusd is about to exit, and the watchers whose processes the kernel hosts
   * leave them running there instead of stopping them.
   */
  private async doStopWatchers(leaving = false): Promise<void> {
    this.waiting.clear();
    // Dependents before what they depend on; otherwise lowest priority first.
    for (const watcher of dependencyOrder(this.iterWatchers()).reverse()) {
      if (leaving && watcher.config.usePapa && this.papa) await watcher.detach();
      else await this.changesOf(watcher).stop();
    }
  }

  /**
   * Stops every watcher; the arbiter is done afterwards. The one change that does not wait
   * its turn: a shutdown must not wait behind a start of a thousand processes (the start
   * sees its watchers stopping and ends), and the changes queued behind it are refused.
   * A second call waits for the first to end.
   */
  stop(): Promise<void> {
    this.stopDone ??= (async () => {
      this.stopping = true;
      logger.info("Arbiter exiting");
      for (const watcher of this.watchers) watcher.onDemand.disable();
      if (this.papa) this.papa.leaving = true;
      await this.doStopWatchers(true);
      this.closeSockets();
      this.papa?.detach();
      this.papa = null;
      for (const watcher of this.watchers) watcher.readiness.close();
      this.running = false;
      if (this.keepAlive) clearInterval(this.keepAlive);
      this.keepAlive = null;
      this.emit("stopped");
    })();
    return this.stopDone;
  }

  /** Closes the bound sockets (and removes unix socket files). */
  private closeSockets(): void {
    for (const socket of this.boundSockets) socket.close();
    this.boundSockets = [];
    this.emit("sockets");
  }

  /** Adds a watcher; starts it when `start` is set and the arbiter runs. */
  addWatcher(config: WatcherConfig, start = false): Promise<Watcher> {
    return this.exclusive((change) => change.addWatcher(config, start));
  }

  private async doAddWatcher(config: WatcherConfig, start: boolean): Promise<Watcher> {
    const watcher = this.attach(new Watcher(config));
    try {
      this.giveSockets(watcher);
      if (this.running) await this.placeWatcher(watcher);
      await watcher.prepare();
    } catch (error) {
      this.watchers.splice(this.watchers.indexOf(watcher), 1);
      throw error;
    }
    this.notify("add", { name: watcher.name });
    if (this.running && config.onDemand) watcher.onDemand.enable();
    else if (start && this.running) await this.changesOf(watcher).start();
    return watcher;
  }

  /** Removes a watcher, stopping its processes unless nostop. */
  removeWatcher(name: string, nostop = false): Promise<void> {
    return this.exclusive((change) => change.removeWatcher(name, nostop));
  }

  private async doRemoveWatcher(name: string, nostop: boolean): Promise<void> {
    const watcher = this.getWatcher(name);
    if (!watcher) throw new ArbiterError(`program ${name} not found`);
    // As Circus: the watcher leaves the list (and says so) first, then stops.
    this.watchers.splice(this.watchers.indexOf(watcher), 1);
    this.notify("remove", { name: watcher.name });
    watcher.onDemand.disable();
    this.waiting.delete(watcher);
    if (!nostop) await this.changesOf(watcher).stop();
    watcher.removeAllListeners("event");
    watcher.readiness.close();
    watcher.attach(null);
    this.watcherChanges.delete(watcher);
  }

  /** Gracefully reloads every watcher, warmup_delay apart. */
  reload(graceful = true, sequential = false): Promise<void> {
    return this.exclusive((change) => change.reload(graceful, sequential));
  }

  private async doReload(graceful: boolean, sequential: boolean, only?: Watcher[]): Promise<void> {
    for (const watcher of this.iterWatchers()) {
      if (only && !only.includes(watcher)) continue;
      await this.changesOf(watcher).reload(graceful, sequential);
      if (this.options.warmupDelay > 0) await sleep(this.options.warmupDelay * 1000);
    }
  }

  /**
   * Takes the reloaded socket list: the newly bound sockets join, the removed ones leave
   * (returned, for the caller to close once their watchers are gone), and every watcher
   * gets the new fds for its next spawns (an on_demand one waits on them from now on).
   */
  private swapSockets(
    configs: SocketConfig[],
    added: CircusSocket[],
    removed: string[],
  ): CircusSocket[] {
    const gone = this.boundSockets.filter((s) => removed.includes(s.name.toLowerCase()));
    this.boundSockets = [...this.boundSockets.filter((s) => !gone.includes(s)), ...added];
    this.emit("sockets");
    this.sockets = configs;
    for (const watcher of this.watchers) {
      this.handSockets(watcher);
      watcher.onDemand.refresh();
    }
    return gone;
  }

  /** The config's sockets and circus's own, those of the config winning a name. */
  private withCircusSockets(sockets: SocketConfig[], options: CircusOptions): SocketConfig[] {
    const names = new Set(sockets.map((s) => s.name.toLowerCase()));
    return [
      ...sockets,
      ...this.circusSockets(options).filter((s) => !names.has(s.name.toLowerCase())),
    ];
  }

  /** A config to reload, with circus's own sockets. */
  private reloadedConfig(config: CircusConfig): CircusConfig {
    // The httpd options are not start options: the config's own apply.
    return { ...config, sockets: this.withCircusSockets(config.sockets, config.circus) };
  }

  /**
   * Refuses a config that reloadConfig cannot apply, before anything changes: a socket whose
   * options changed (its workers hold the old one), or a watcher naming a socket the new
   * config does not have.
   *
   * @throws ArbiterError, or ConfigError naming a watcher's section and option.
   */
  checkReload(config: CircusConfig): void {
    config = this.reloadedConfig(config);
    const { changed } = planSockets(this.sockets, config.sockets);
    if (changed.length > 0)
      throw new ArbiterError(
        `changing [socket:${changed[0]}] at run time is not supported yet: ` +
          "remove it in one reload and add it back in the next",
      );
    const names = config.sockets.map((s) => s.name);
    for (const next of config.watchers) checkSocketNames(next, names);
    const dependencies = checkDependencies(config.watchers);
    if (dependencies) throw dependencies;
  }

  /**
   * Applies a new config: removes the watchers it no longer has, adds the new ones, changes
   * only the watchers whose options changed (a count change is applied in place), and leaves
   * the rest running untouched.
   */
  reloadConfig(config?: CircusConfig): Promise<ReloadSummary> {
    return this.exclusive((change) => change.reloadConfig(config));
  }

  private async doReloadConfig(config: CircusConfig | null): Promise<ReloadSummary> {
    if (!config) throw new ArbiterError("no config file to reload");
    config = this.reloadedConfig(config);
    this.checkReload(config);
    await this.pluginCheck?.(config);
    const sockets = planSockets(this.sockets, config.sockets);
    // New sockets first: a bind error leaves everything as it was (bindAll closes its own).
    if (this.running && sockets.added.some((s) => s.usePapa)) await this.connectPapa();
    const added = this.running ? await bindAll(sockets.added, this.makeSocket) : [];
    const summary: ReloadSummary = {
      added: [],
      removed: [],
      changed: [],
      resized: [],
      unchanged: [],
    };
    const options = keepStartOptions(this.options, config.circus);
    // circusd-stats and the plugins are watchers too, reloaded by the same rules.
    const nextWatchers = [...config.watchers, ...this.circusWatchers(config.plugins, options)];
    const wanted = new Map(nextWatchers.map((w) => [w.name.toLowerCase(), w]));
    for (const watcher of [...this.watchers]) {
      if (!wanted.has(watcher.name.toLowerCase())) {
        await this.doRemoveWatcher(watcher.name, false);
        summary.removed.push(watcher.name);
      }
    }
    const gone = this.swapSockets(config.sockets, added, sockets.removed);
    for (const next of nextWatchers) {
      const watcher = this.getWatcher(next.name);
      if (!watcher) {
        await this.doAddWatcher(next, next.autostart);
        summary.added.push(next.name);
      } else if (sameConfig(watcher.loadedConfig, next)) {
        // As Circus: what the file did not change stays as `set` left it.
        summary.unchanged.push(next.name);
      } else if (sameConfig(watcher.loadedConfig, next, ["numprocesses"])) {
        await this.changesOf(watcher).setNumprocesses(next.numprocesses);
        watcher.markLoaded(next);
        summary.resized.push(next.name);
      } else {
        const wasActive = watcher.isActive();
        watcher.onDemand.disable();
        await this.changesOf(watcher).stop();
        await this.changesOf(watcher).applyConfig(next);
        await this.placeWatcher(watcher);
        watcher.markLoaded(next);
        if (next.onDemand) watcher.onDemand.enable();
        else if (wasActive || next.autostart) await this.changesOf(watcher).start();
        summary.changed.push(next.name);
      }
    }
    // Closed last: a changed watcher that used one has stopped above.
    for (const socket of gone) socket.close();
    this.plugins = config.plugins;
    this.options = options;
    if (sockets.added.length > 0 || gone.length > 0)
      logger.info(
        `sockets reloaded: added [${sockets.added.map((s) => s.name)}] removed [${gone.map((s) => s.name)}]`,
      );
    logger.info(
      `config reloaded: added [${summary.added}] removed [${summary.removed}] changed [${summary.changed}] resized [${summary.resized}]`,
    );
    return summary;
  }
}
