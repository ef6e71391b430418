/**
 * Per-process metrics, read from /proc at scrape time (nothing runs between scrapes), a few
 * processes at a time: a scrape while a thousand processes start must not hold up the spawns
 * or the control requests.
 *
 * A process's series are labelled by watcher and wid, not pid: a wid is taken again by the
 * process that replaces a dead one, so a watcher has about numprocesses series whatever its
 * processes' churn (a pid label would start new series at every respawn, and a crash loop
 * would fill Prometheus with them). The pid is the value of `circus_process_pid`.
 */
import { setImmediate as yieldToLoop } from "node:timers/promises";
import type { Process } from "../../core/process.js";
import type { Watcher } from "../../core/watcher.js";
import { processUsage } from "../../stats/process-info.js";
import { type Exposition, labelText } from "./exposition.js";

/** Sampling gives the event loop a turn after this much work (ms). */
const YIELD_EVERY_MS = 2;

/**
 * Each process's label text, made once in its life: a scrape allocates nothing per process
 * that would outlive V8's young generation.
 */
const labelsOf = new WeakMap<Process, string>();

function labels(watcher: Watcher, p: Process): string {
  let text = labelsOf.get(p);
  if (text === undefined) {
    text = labelText({ watcher: watcher.name, wid: String(p.wid) });
    labelsOf.set(p, text);
  }
  return text;
}

/**
 * The figures of one scrape's processes, as columns reused from scrape to scrape (grown as
 * needed): 1000 objects a scrape would each outlive the scavenges of a sampling that yields.
 */
export class ProcessSamples {
  count = 0;
  labels: string[] = [];
  pid = new Float64Array(64);
  started = new Float64Array(64);
  cpuSeconds = new Float64Array(64);
  rssBytes = new Float64Array(64);
  /** The label texts sampled in this scrape (reused, not to allocate one per scrape). */
  private readonly seen = new Set<string>();

  /**
   * Reads the usage of every process of `watchers` from /proc, yielding to the event loop
   * every {@link YIELD_EVERY_MS} ms. A process that ended meanwhile is left out, and so is a
   * second process holding a wid (only a library caller's explicit wid makes one): a scrape
   * with a series twice is refused whole. One sampling at a time (the columns are reused).
   */
  async sample(watchers: readonly Watcher[]): Promise<void> {
    this.count = 0;
    const seen = this.seen;
    seen.clear();
    let since = performance.now();
    // A process spawned while this runs may be sampled too, one that ended is skipped.
    for (const w of [...watchers]) {
      for (const p of w.processes.values()) {
        if (performance.now() - since > YIELD_EVERY_MS) {
          await yieldToLoop();
          since = performance.now();
        }
        const text = labels(w, p);
        const usage = p.exit || seen.has(text) ? null : processUsage(p.pid);
        if (!usage) continue;
        seen.add(text);
        if (this.count === this.pid.length) this.grow();
        const i = this.count++;
        this.labels[i] = text;
        this.pid[i] = p.pid;
        this.started[i] = p.started;
        this.cpuSeconds[i] = usage.cpuSeconds;
        this.rssBytes[i] = usage.rssBytes;
      }
    }
    // Let go of the label texts of processes gone since the previous scrape.
    this.labels.length = this.count;
    seen.clear();
  }

  /** Writes the per-process families. */
  write(out: Exposition): void {
    const family = (name: string, type: "gauge" | "counter", help: string, of: Float64Array) => {
      out.family(name, type, help);
      for (let i = 0; i < this.count; i++) out.sample(name, this.labels[i] as string, of[i] ?? 0);
    };
    family(
      "circus_process_cpu_seconds_total",
      "counter",
      "CPU time the process used (user + system), its children not included.",
      this.cpuSeconds,
    );
    family(
      "circus_process_resident_memory_bytes",
      "gauge",
      "The process's resident memory.",
      this.rssBytes,
    );
    family(
      "circus_process_start_time_seconds",
      "gauge",
      "When circusd started the process, in seconds since the epoch.",
      this.started,
    );
    family(
      "circus_process_pid",
      "gauge",
      "The pid of the process that holds this wid now.",
      this.pid,
    );
  }

  /** Doubles the columns' room. */
  private grow(): void {
    const bigger = (old: Float64Array) => {
      const next = new Float64Array(old.length * 2);
      next.set(old);
      return next;
    };
    this.pid = bigger(this.pid);
    this.started = bigger(this.started);
    this.cpuSeconds = bigger(this.cpuSeconds);
    this.rssBytes = bigger(this.rssBytes);
  }
}
