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
import type { Watcher } from "../../core/watcher.js";
import { processUsage } from "../../stats/process-info.js";
import { type Exposition, labelText } from "./exposition.js";

/** Sampling gives the event loop a turn after this much work (ms). */
const YIELD_EVERY_MS = 2;

/** One process's figures at a scrape. */
export interface ProcessSample {
  /** `watcher="...",wid="..."`. */
  labels: string;
  pid: number;
  /** Epoch seconds of its spawn, as circusd saw it. */
  started: number;
  cpuSeconds: number;
  rssBytes: number;
}

/**
 * Reads the usage of every process of `watchers` from /proc, yielding to the event loop every
 * {@link YIELD_EVERY_MS} ms. A process that ended meanwhile is left out.
 */
export async function sampleProcesses(watchers: readonly Watcher[]): Promise<ProcessSample[]> {
  const targets = watchers.flatMap((w) => [...w.processes.values()].map((p) => ({ w, p })));
  const samples: ProcessSample[] = [];
  // Two live processes share a wid only when a library caller spawned one with a wid taken:
  // the first is kept (a scrape with a series twice is refused whole).
  const seen = new Set<string>();
  let since = performance.now();
  for (const { w, p } of targets) {
    if (performance.now() - since > YIELD_EVERY_MS) {
      await yieldToLoop();
      since = performance.now();
    }
    const labels = labelText({ watcher: w.name, wid: String(p.wid) });
    const usage = p.exit || seen.has(labels) ? null : processUsage(p.pid);
    if (!usage) continue;
    seen.add(labels);
    samples.push({
      labels,
      pid: p.pid,
      started: p.started,
      ...usage,
    });
  }
  return samples;
}

/** Writes the per-process families. */
export function writeProcesses(out: Exposition, samples: readonly ProcessSample[]): void {
  const family = (
    name: string,
    type: "gauge" | "counter",
    help: string,
    value: (s: ProcessSample) => number,
  ) => {
    out.family(name, type, help);
    for (const s of samples) out.sample(name, s.labels, value(s));
  };
  family(
    "circus_process_cpu_seconds_total",
    "counter",
    "CPU time the process used (user + system), its children not included.",
    (s) => s.cpuSeconds,
  );
  family(
    "circus_process_resident_memory_bytes",
    "gauge",
    "The process's resident memory.",
    (s) => s.rssBytes,
  );
  family(
    "circus_process_start_time_seconds",
    "gauge",
    "When circusd started the process, in seconds since the epoch.",
    (s) => s.started,
  );
  family(
    "circus_process_pid",
    "gauge",
    "The pid of the process that holds this wid now.",
    (s) => s.pid,
  );
}
