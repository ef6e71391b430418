/**
 * Circus's statsd plugins: {@link StatsdEmitter} counts circusd's events, {@link FullStats}
 * also sends the processes' CPU and memory as gauges, and {@link BaseObserver} is the base of
 * the plugins that look at circusd every `loop_rate` seconds (ResourceWatcher too). Every
 * bucket is prefixed with `circus.<application_name>.watcher`.
 */
import type { CircusReply } from "../../control/protocol.js";
import { logger } from "../../log/logger.js";
import { parseSize, readOptions } from "../options.js";
import { CircusPlugin } from "../plugin.js";
import { StatsdClient } from "./statsd-client.js";

/** One process's figures in a `stats` reply, as far as these plugins read them. */
export interface ProcessFigures {
  pid: number;
  cpu: number;
  mem: number;
  /** Resident memory in bytes (the reply's `mem_info1`, `3M`, read back). */
  memBytes: number;
  children: ProcessFigures[];
}

/**
 * `3.52M` (Circus's bytes2human) -> whole bytes, as the reference's human2bytes reads
 * `mem_info1`; 0 when it is not a size.
 */
function memBytes(text: unknown): number {
  if (typeof text !== "string") return 0;
  try {
    return Math.trunc(parseSize(text).value);
  } catch {
    return 0;
  }
}

/**
 * The processes of one watcher's `stats` info (pid -> figures). Entries that are not a
 * process's figures are left out: the reply's `spawn_count`, a process gone while sampled
 * (`"No such process (stopped?)"`).
 */
export function processFigures(info: unknown): ProcessFigures[] {
  if (typeof info !== "object" || info === null) return [];
  const out: ProcessFigures[] = [];
  for (const entry of Object.values(info as Record<string, unknown>)) {
    const figures = readFigures(entry);
    if (figures) out.push(figures);
  }
  return out;
}

function readFigures(entry: unknown): ProcessFigures | null {
  if (typeof entry !== "object" || entry === null) return null;
  const e = entry as Record<string, unknown>;
  if (typeof e.cpu !== "number" || typeof e.mem !== "number") return null;
  const children = Array.isArray(e.children) ? e.children : [];
  return {
    pid: Number(e.pid),
    cpu: e.cpu,
    mem: e.mem,
    memBytes: memBytes(e.mem_info1),
    children: children.map(readFigures).filter((c): c is ProcessFigures => c !== null),
  };
}

/**
 * Sends one statsd counter per circusd event: `circus.<application_name>.watcher.<watcher>.
 * <action>`, e.g. `circus.app.watcher.web.spawn:1|c`.
 *
 * ```ini
 * [plugin:statsd]
 * use = circus.plugins.statsd.StatsdEmitter
 * host = localhost
 * port = 8125
 * sample_rate = 1.0
 * application_name = example
 * ```
 */
export class StatsdEmitter extends CircusPlugin {
  /** The documented options and their defaults (the reference's where the docs give none). */
  static readonly options = {
    host: { type: "string", default: "localhost" },
    port: { type: "int", default: "8125", min: 1, max: 65535 },
    sample_rate: { type: "number", default: "1.0", above: 0, max: 1 },
    application_name: { type: "string", default: "app" },
  } as const;

  /** `application_name` when the section gives none (the reference's `default_app_name`). */
  static readonly defaultAppName: string = "app";

  override name = "statsd";
  /** The options, read. */
  readonly statsdOptions = readOptions(StatsdEmitter.options, {
    application_name: (this.constructor as typeof StatsdEmitter).defaultAppName,
    ...this.config,
  });
  /** `circus.<application_name>.watcher`. */
  readonly prefix = `circus.${this.statsdOptions.application_name}.watcher`;
  /** The UDP client; its socket opens at the first metric, never in the constructor. */
  protected readonly statsd = new StatsdClient({
    host: this.statsdOptions.host,
    port: this.statsdOptions.port,
    prefix: this.prefix,
    sampleRate: this.statsdOptions.sample_rate,
  });

  /** Counts the event: `<watcher>.<action>`. */
  override handleRecv(topic: string): void {
    const { watcher, action } = CircusPlugin.splitTopic(topic);
    this.statsd.increment(`${watcher}.${action}`);
  }

  override handleStop(): void | Promise<void> {
    this.statsd.close();
  }
}

/**
 * A statsd plugin that looks at circusd every `loop_rate` seconds: subclasses implement
 * {@link lookAfter}. Events are not counted unless a subclass says so.
 */
export abstract class BaseObserver extends StatsdEmitter {
  /** StatsdEmitter's options and `loop_rate` (seconds, default 60). */
  static override readonly options = {
    ...StatsdEmitter.options,
    loop_rate: { type: "number", default: "60", above: 0 },
  } as const;

  /** Seconds between two looks. */
  readonly loopRate = readOptions({ loop_rate: BaseObserver.options.loop_rate }, this.config)
    .loop_rate;
  /** When the last restart this plugin asked for was done (ms since the epoch). */
  private restartedAt = 0;

  /** Whether a restart this plugin asked for is less than one loop_rate old. */
  protected inGrace(): boolean {
    return Date.now() - this.restartedAt < this.loopRate * 1000;
  }

  /**
   * Restarts a watcher and waits for it; the next loop_rate is a grace period, so that a
   * check of a watcher still restarting, or not listening yet, does not restart it again.
   */
  protected async restartWatcher(name: string): Promise<void> {
    let reply;
    try {
      reply = await this.call("restart", { name, waiting: true });
    } finally {
      this.restartedAt = Date.now();
    }
    if (reply.status !== "ok")
      logger.error(`${this.name}: cannot restart ${name}: ${String(reply.reason)}`);
  }

  /**
   * The `stats` reply (of the watcher `name`, else of every watcher), or null when circusd
   * gives none: the failure is then logged and counted as `<errorBucket>`.
   */
  protected async stats(errorBucket: string, name?: string): Promise<CircusReply | null> {
    let reply: CircusReply | null = null;
    try {
      reply = await this.call("stats", name === undefined ? {} : { name });
    } catch (error) {
      const what = name === undefined ? "stats" : `stats of ${name}`;
      logger.warning(`${this.name}: ${what} failed: ${(error as Error).message}`);
    }
    if (reply?.status === "ok") return reply;
    this.statsd.increment(errorBucket);
    return null;
  }

  override handleInit(): void {
    this.every(this.loopRate, () => this.lookAfter());
  }

  override handleRecv(_topic: string): void {}

  /** One look at circusd, every `loop_rate` seconds. */
  abstract lookAfter(): Promise<void>;
}

/**
 * StatsdEmitter's event counters plus, every `loop_rate` seconds, gauges of each watcher's
 * processes from the `stats` command (plugins' own watchers left out), as the reference
 * names them: `_stats.<watcher>.watchers_num` (the number of processes), `cpu_max`,
 * `cpu_sum` (%), `mem_pct_max`, `mem_pct_sum` (% of the machine's memory), `mem_max`,
 * `mem_sum` (resident bytes). A watcher without processes only gets `watchers_num:0`.
 *
 * The docs call FullStats "an extension on the Statsd plugin that is also publishing the
 * process stats", so the event counters are kept (the reference 0.19 drops them).
 */
export class FullStats extends BaseObserver {
  override name = "full_stats";

  override handleRecv(topic: string): void {
    const { watcher, action } = CircusPlugin.splitTopic(topic);
    this.statsd.increment(`${watcher}.${action}`);
  }

  async lookAfter(): Promise<void> {
    const reply = await this.stats("_stats.error");
    if (!reply) return;
    const infos = (reply.infos ?? {}) as Record<string, unknown>;
    for (const [name, info] of Object.entries(infos)) {
      if (name.startsWith("plugin:")) continue;
      this.gauges(name, info);
    }
  }

  private gauges(name: string, info: unknown): void {
    const bucket = `_stats.${name}`;
    const spawnCount = (info as Record<string, unknown> | null)?.spawn_count;
    if (typeof spawnCount === "number") this.statsd.gauge(`${bucket}.spawn_count`, spawnCount);
    const processes = processFigures(info);
    this.statsd.gauge(`${bucket}.watchers_num`, processes.length);
    // Only stopped or dead processes: nothing to measure.
    if (processes.length === 0) return;
    const cpus = processes.map((p) => p.cpu);
    const mems = processes.map((p) => p.mem);
    const bytes = processes.map((p) => p.memBytes);
    this.statsd.gauge(`${bucket}.cpu_max`, Math.max(...cpus));
    this.statsd.gauge(`${bucket}.cpu_sum`, sum(cpus));
    this.statsd.gauge(`${bucket}.mem_pct_max`, Math.max(...mems));
    this.statsd.gauge(`${bucket}.mem_pct_sum`, sum(mems));
    this.statsd.gauge(`${bucket}.mem_max`, Math.max(...bytes));
    this.statsd.gauge(`${bucket}.mem_sum`, sum(bytes));
  }
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
