/**
 * Circus's `circus.plugins.flapping.Flapping`: a watcher whose processes die too often
 * (`attempts` reaps within `window` seconds) is stopped, started again after `retry_in`
 * seconds, and left stopped after `max_retry` such retries (-1: retry forever). A watcher
 * section overrides any option with a `flapping.` prefix (`flapping.max_retry = 2`).
 */
import { logger } from "../../log/logger.js";
import { readOptions } from "../options.js";
import { CircusPlugin } from "../plugin.js";

/** `max_retry` that never gives up. */
const INFINITE_RETRY = -1;

/** The options that apply to one watcher. */
export interface FlappingConf {
  attempts: number;
  window: number;
  retryIn: number;
  maxRetry: number;
  active: boolean;
}

/** The prefix of the per-watcher overrides (the reference plugin's `name`). */
const PREFIX = "flapping";

/** The documented options and their defaults. */
const OPTIONS = {
  attempts: { type: "int", default: "2", min: 1 },
  window: { type: "number", default: "1", min: 0 },
  retry_in: { type: "number", default: "7", min: 0 },
  max_retry: { type: "int", default: "5", min: INFINITE_RETRY },
  active: { type: "bool", default: "true" },
} as const;

/** Reads and checks the options out of strings; a PluginOptionError names the bad one. */
function readConf(config: Record<string, string>): FlappingConf {
  const opts = readOptions(OPTIONS, config);
  return {
    attempts: opts.attempts,
    window: opts.window,
    retryIn: opts.retry_in,
    maxRetry: opts.max_retry,
    active: opts.active,
  };
}

/** Stops crash-looping watchers, as Circus's Flapping plugin. */
export class Flapping extends CircusPlugin {
  /** The documented options and their defaults. */
  static readonly options = OPTIONS;

  override name = PREFIX;
  /** The plugin-wide options (what a watcher without overrides gets). */
  readonly defaults: FlappingConf = readConf(this.config);
  /** Reap times (ms) per watcher, since the last decision. */
  private readonly timelines = new Map<string, number[]>();
  /** Retries done per watcher since it last died calmly. */
  private readonly tries = new Map<string, number>();
  /** The options of each watcher seen, with its `flapping.*` overrides. */
  private readonly confs = new Map<string, FlappingConf>();
  /** Pending restarts per watcher. */
  private readonly retryTimers = new Map<string, NodeJS.Timeout>();
  /**
   * Watchers this plugin stopped and has not started again: the reaps of the processes its
   * own `stop` kills are not crashes, and must not count against the next start.
   */
  private readonly held = new Set<string>();

  override handleStop(): void {
    for (const timer of this.retryTimers.values()) clearTimeout(timer);
    this.retryTimers.clear();
  }

  override async handleRecv(topic: string): Promise<void> {
    const { watcher, action } = CircusPlugin.splitTopic(topic);
    if (action === "reap") {
      if (this.held.has(watcher)) return;
      const timeline = this.timelines.get(watcher) ?? [];
      timeline.push(Date.now());
      this.timelines.set(watcher, timeline);
      await this.check(watcher);
    } else if (action === "updated") {
      await this.updateConf(watcher);
    } else if (action === "start") {
      // Started by someone else after a give-up: its crashes count again. Its options are
      // read anew, should it be a new watcher of the same name (rm, then add).
      this.held.delete(watcher);
      this.confs.delete(watcher);
    }
  }

  /**
   * Reads the watcher's `flapping.*` keys through the `options` command. A bad value is
   * logged and left out (the plugin-wide value applies): one watcher's typo must not stop
   * the plugin from looking after it.
   */
  async updateConf(watcher: string): Promise<FlappingConf> {
    const reply = await this.call("options", { name: watcher });
    const options = reply.status === "ok" ? (reply.options as Record<string, unknown>) : {};
    const overrides: Record<string, string> = {};
    for (const [key, value] of Object.entries(options ?? {})) {
      const option = key.startsWith(`${PREFIX}.`) ? key.slice(PREFIX.length + 1) : null;
      if (option === null || !Object.hasOwn(OPTIONS, option)) continue;
      const text = String(value);
      try {
        readConf({ ...this.config, [option]: text });
        overrides[option] = text;
      } catch (error) {
        logger.warning(`${watcher}: ignoring ${key} = ${text}: ${(error as Error).message}`);
      }
    }
    const conf = readConf({ ...this.config, ...overrides });
    this.confs.set(watcher, conf);
    return conf;
  }

  /**
   * The reference's decision, made once `attempts` reaps are in the timeline: flapping when
   * they fit in `window` seconds (after taking off check_delay, the time circusd may take to
   * notice a death), else the timeline and the retries start over.
   */
  private async check(watcher: string): Promise<void> {
    const conf = this.confs.get(watcher) ?? (await this.updateConf(watcher));
    if (!conf.active) return;
    const timeline = this.timelines.get(watcher) ?? [];
    if (timeline.length < conf.attempts) return;
    const duration = ((timeline.at(-1) as number) - (timeline[0] as number)) / 1000;
    this.timelines.set(watcher, []);
    if (duration - this.checkDelay > conf.window) {
      this.tries.set(watcher, 0);
      return;
    }
    const tries = this.tries.get(watcher) ?? 0;
    this.cancelRetry(watcher);
    if (tries < conf.maxRetry || conf.maxRetry === INFINITE_RETRY) {
      logger.info(
        `${watcher}: flapping detected: retry in ${conf.retryIn}s (attempt number ${tries + 1})`,
      );
      this.tries.set(watcher, tries + 1);
      this.hold(watcher);
      const timer = setTimeout(() => {
        this.retryTimers.delete(watcher);
        this.held.delete(watcher);
        this.timelines.set(watcher, []);
        this.cast("start", { name: watcher });
      }, conf.retryIn * 1000);
      this.retryTimers.set(watcher, timer);
    } else {
      logger.info(`${watcher}: flapping detected: reached max retry limit`);
      this.tries.set(watcher, 0);
      this.hold(watcher, `the Flapping plugin stopped it for good (max_retry = ${conf.maxRetry})`);
    }
  }

  /**
   * Stops the watcher; `gaveUp` (beyond Circus, which ignores it) tells circusd it stays
   * stopped: an essential watcher's makes circusd leave.
   */
  private hold(watcher: string, gaveUp?: string): void {
    this.held.add(watcher);
    this.cast(
      "stop",
      gaveUp === undefined ? { name: watcher } : { name: watcher, gave_up: gaveUp },
    );
  }

  private cancelRetry(watcher: string): void {
    const timer = this.retryTimers.get(watcher);
    if (timer !== undefined) clearTimeout(timer);
    this.retryTimers.delete(watcher);
  }
}
