/**
 * Circus's ResourceWatcher: every `loop_rate` seconds, reads the CPU and memory of one
 * watcher's processes (the `stats` command) and restarts the watcher once a limit has been
 * exceeded more than `max_count` times in a row; with `process_children`, a process's child
 * over its limits gets `child_signal` instead.
 */
import { parseSignal, signalName } from "../../sys/signals.js";
import { logger } from "../../log/logger.js";
import { PluginOptionError, readOptions, type SizeLimit } from "../options.js";
import { BaseObserver, processFigures, type ProcessFigures } from "./statsd.js";

/** ResourceWatcher's own options and their defaults (the reference's where the docs give none). */
const OPTIONS = {
  watcher: { type: "string" },
  /** The deprecated name of `watcher`. */
  service: { type: "string" },
  max_cpu: { type: "number", default: "90" },
  min_cpu: { type: "number" },
  max_mem: { type: "size", default: "90" },
  min_mem: { type: "size" },
  health_threshold: { type: "number", default: "75" },
  max_count: { type: "int", default: "3", min: 0 },
  process_children: { type: "bool", default: "0" },
  child_signal: { type: "string", default: "SIGTERM" },
} as const;

/** The figures the limits are checked against: over every process, or one child. */
interface Figures {
  count: number;
  maxCpu: number;
  minCpu: number;
  maxMem: number;
  minMem: number;
  maxMemBytes: number;
  minMemBytes: number;
}

/** How many looks in a row each limit has been exceeded. */
interface Counts {
  over_cpu: number;
  under_cpu: number;
  over_memory: number;
  under_memory: number;
  over_health: number;
}

const ZERO: Counts = { over_cpu: 0, under_cpu: 0, over_memory: 0, under_memory: 0, over_health: 0 };

/** The counters of the watcher's processes as a whole (children are counted by pid). */
const PARENT = "parent";

function figuresOf(processes: ProcessFigures[]): Figures {
  if (processes.length === 0)
    return { count: 0, maxCpu: 0, minCpu: 0, maxMem: 0, minMem: 0, maxMemBytes: 0, minMemBytes: 0 };
  const cpus = processes.map((p) => p.cpu);
  const mems = processes.map((p) => p.mem);
  const bytes = processes.map((p) => p.memBytes);
  return {
    count: processes.length,
    maxCpu: Math.max(...cpus),
    minCpu: Math.min(...cpus),
    maxMem: Math.max(...mems),
    minMem: Math.min(...mems),
    maxMemBytes: Math.max(...bytes),
    minMemBytes: Math.min(...bytes),
  };
}

function watcherOf(limits: { watcher?: string | undefined; service?: string | undefined }) {
  const watcher = limits.watcher ?? limits.service;
  if (watcher === undefined)
    throw new PluginOptionError("watcher", "the watcher to look after is mandatory");
  return watcher;
}

function signalOf(name: string): number {
  const signum = parseSignal(name);
  if (signum === null) throw new PluginOptionError("child_signal", `unknown signal "${name}"`);
  return signum;
}

/**
 * ```ini
 * [plugin:myplugin]
 * use = circus.plugins.resource_watcher.ResourceWatcher
 * watcher = program
 * min_cpu = 10
 * max_cpu = 70
 * min_mem = 0
 * max_mem = 20
 * ```
 *
 * Limits are checked as the reference does: CPU in % of one CPU; memory in % of the
 * machine's memory, or in bytes when a unit is given (`250M`); the health is the mean of the
 * highest CPU and memory %. `max_cpu = 0` and `health_threshold = 0` turn those checks off.
 * Every exceeded limit is also counted in statsd as
 * `circus.<application_name>.watcher._resource_watcher.<watcher>.<over_cpu|...>`. Unlike the
 * reference, which casts the restart and looks again meanwhile, it waits for the restart to
 * be done before the next look, so that processes being replaced are never counted.
 */
export class ResourceWatcher extends BaseObserver {
  /** The documented options and their defaults (the reference's where the docs give none). */
  static override readonly options = { ...BaseObserver.options, ...OPTIONS } as const;

  override name = "resource_watcher";
  /** Its own options, read (BaseObserver reads the others). */
  readonly limits = readOptions(OPTIONS, this.config);
  /** The watcher looked after. */
  readonly watcher = watcherOf(this.limits);
  /** The signal sent to a child over its limits. */
  readonly childSignal = signalOf(this.limits.child_signal);
  private readonly counts = new Map<string, Counts>();

  override handleInit(): void {
    if (this.limits.service !== undefined)
      logger.warning(`${this.name}: "service" is deprecated, use "watcher" instead`);
    super.handleInit();
  }

  async lookAfter(): Promise<void> {
    const reply = await this.stats(`_resource_watcher.${this.watcher}.error`, this.watcher);
    if (!reply) return;
    const processes = processFigures(reply.info);
    if (this.check(PARENT, figuresOf(processes))) {
      logger.warning(`${this.name}: restarting ${this.watcher}: ${this.reason(PARENT)}`);
      this.counts.delete(PARENT);
      // Waited for (no look runs meanwhile): a look while the old processes are still
      // stopping would count them against the new ones, and the restart it then asks for
      // would kill the new processes as soon as they are spawned. The figures are of
      // processes now gone: their children are not looked at either.
      await this.restartWatcher(this.watcher);
      return;
    }
    if (this.limits.process_children) this.lookAfterChildren(processes);
  }

  /** Each child of each process is checked on its own; one over its limits is signalled. */
  private lookAfterChildren(processes: ProcessFigures[]): void {
    const seen = new Set<string>([PARENT]);
    for (const parent of processes) {
      for (const child of parent.children) {
        const index = String(child.pid);
        seen.add(index);
        if (!this.check(index, figuresOf([child]))) continue;
        logger.warning(
          `${this.name}: sending ${signalName(this.childSignal)} to ${child.pid}, child of ` +
            `${parent.pid} in ${this.watcher}: ${this.reason(index)}`,
        );
        this.cast("signal", {
          name: this.watcher,
          pid: parent.pid,
          childpid: child.pid,
          signum: this.childSignal,
        });
        this.counts.delete(index);
      }
    }
    // Children gone since: their counts would only pile up.
    for (const index of this.counts.keys()) if (!seen.has(index)) this.counts.delete(index);
  }

  /**
   * Counts the limits these figures exceed (each one counted separately, reset when not
   * exceeded) and says whether one has now been exceeded more than `max_count` times in a row.
   */
  private check(index: string, figures: Figures): boolean {
    const counts = this.counts.get(index) ?? { ...ZERO };
    this.counts.set(index, counts);
    const { max_cpu, min_cpu, max_mem, min_mem, health_threshold, max_count } = this.limits;
    // Without a process, nothing consumes too little (the reference would count 0% as under).
    const some = figures.count > 0;
    this.count(counts, "over_cpu", max_cpu !== 0 && figures.maxCpu > max_cpu);
    this.count(counts, "under_cpu", some && min_cpu !== undefined && figures.minCpu <= min_cpu);
    this.count(counts, "over_memory", over(max_mem, figures.maxMem, figures.maxMemBytes));
    this.count(
      counts,
      "under_memory",
      some && min_mem !== undefined && under(min_mem, figures.minMem, figures.minMemBytes),
    );
    this.count(
      counts,
      "over_health",
      health_threshold !== 0 && (figures.maxCpu + figures.maxMem) / 2 > health_threshold,
    );
    const exceeded = Math.max(...Object.values(counts)) > max_count;
    if (exceeded) this.statsd.increment(`_resource_watcher.${this.watcher}.restarting`);
    return exceeded;
  }

  private count(counts: Counts, limit: keyof Counts, exceeded: boolean): void {
    if (!exceeded) {
      counts[limit] = 0;
      return;
    }
    this.statsd.increment(`_resource_watcher.${this.watcher}.${limit}`);
    counts[limit] += 1;
  }

  /** `over_cpu 4 times in a row` for the log. */
  private reason(index: string): string {
    const counts = this.counts.get(index) ?? ZERO;
    const [limit, times] = Object.entries(counts).sort((a, b) => b[1] - a[1])[0] ?? ["?", 0];
    return `${limit} ${times} times in a row`;
  }
}

/** Over a memory limit: in % of the machine's memory, or in bytes. */
function over(limit: SizeLimit, percent: number, bytes: number): boolean {
  return limit.unit === "percent" ? percent > limit.value : bytes > limit.value;
}

/** Under a memory limit (strictly, as the reference checks it). */
function under(limit: SizeLimit, percent: number, bytes: number): boolean {
  return limit.unit === "percent" ? percent < limit.value : bytes < limit.value;
}
