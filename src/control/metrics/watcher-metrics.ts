/**
 * Per-watcher metrics: the counts asked for and running, state, crash loop, and the spawns,
 * exits and restarts so far. Spawns and exits are counted from the watchers' events as they
 * come; the rest is read from the watchers at scrape time.
 */
import type { Arbiter } from "../../core/arbiter.js";
import type { Watcher, WatcherEvent, WatcherStatus } from "../../core/watcher.js";
import { signalName } from "../../sys/signals.js";
import { type Exposition, labelText } from "./exposition.js";

const STATES: readonly WatcherStatus[] = ["active", "starting", "stopping", "stopped"];

/** One watcher's counts from its events. */
interface Counts {
  spawns: number;
  /** `code="...",signal="..."` (with the watcher's label) -> exits. */
  exits: Map<string, number>;
}

/**
 * The labels of an exit: `code` for a process that exited, `signal` (its name, `SIGKILL`) for
 * one a signal killed, the other one empty. Circus's exit_code is minus the signal number for
 * the latter.
 */
function exitLabels(exitCode: unknown): { code: string; signal: string } {
  if (typeof exitCode !== "number") return { code: "", signal: "" };
  return exitCode < 0
    ? { code: "", signal: signalName(-exitCode) }
    : { code: String(exitCode), signal: "" };
}

/** Counts the watchers' spawns and exits, and writes every per-watcher family. */
export class WatcherMetrics {
  /** By watcher name; pruned at scrape time of the watchers that left. */
  private readonly counts = new Map<string, Counts>();
  private readonly onEvent = (event: WatcherEvent): void => {
    if (event.topic !== "spawn" && event.topic !== "reap") return;
    let counts = this.counts.get(event.watcher);
    if (!counts) {
      counts = { spawns: 0, exits: new Map() };
      this.counts.set(event.watcher, counts);
    }
    if (event.topic === "spawn") {
      counts.spawns++;
      return;
    }
    const labels = labelText({ watcher: event.watcher, ...exitLabels(event.data.exit_code) });
    counts.exits.set(labels, (counts.exits.get(labels) ?? 0) + 1);
  };

  constructor(private readonly arbiter: Arbiter) {}

  /** Starts counting the events. */
  start(): void {
    this.arbiter.on("event", this.onEvent);
  }

  /** Stops counting. */
  close(): void {
    this.arbiter.off("event", this.onEvent);
  }

  /**
   * Writes the families of the watchers the arbiter has now. The counts of a watcher that
   * left are dropped (its series end); reaps that follow a removal do not bring it back.
   */
  write(out: Exposition): void {
    const watchers = this.arbiter.watchers;
    const names = new Set(watchers.map((w) => w.name));
    for (const name of this.counts.keys()) if (!names.has(name)) this.counts.delete(name);
    const each = (
      name: string,
      type: "gauge" | "counter",
      help: string,
      value: (w: Watcher) => number,
    ) => {
      out.family(name, type, help);
      for (const w of watchers) out.sample(name, labelText({ watcher: w.name }), value(w));
    };
    each(
      "circus_watcher_desired_processes",
      "gauge",
      "Processes the watcher is asked to run (numprocesses; at most 1 for a singleton).",
      (w) => w.numprocesses,
    );
    each(
      "circus_watcher_running_processes",
      "gauge",
      "Processes of the watcher running now.",
      (w) => w.processes.size,
    );
    each(
      "circus_watcher_ready_processes",
      "gauge",
      "Processes of the watcher ready now: its readiness probe answered (without one, running).",
      (w) => w.readiness.countReady(w.processes.values()),
    );
    out.family(
      "circus_watcher_state",
      "gauge",
      "The watcher's state: 1 for the one it is in (active, starting, stopping, stopped).",
    );
    for (const w of watchers) {
      const status = w.status();
      for (const state of STATES)
        out.sample(
          "circus_watcher_state",
          labelText({ watcher: w.name, state }),
          state === status ? 1 : 0,
        );
    }
    each(
      "circus_watcher_flapping",
      "gauge",
      "1 while the watcher's processes die in a crash loop (each within 1 s of its start, " +
        "two in a row or more, the last less than 10 s ago), which circusd answers with " +
        "respawns held back.",
      (w) => (w.crashLooping() ? 1 : 0),
    );
    each(
      "circus_watcher_spawns_total",
      "counter",
      "Processes the watcher started.",
      (w) => this.counts.get(w.name)?.spawns ?? 0,
    );
    out.family(
      "circus_watcher_exits_total",
      "counter",
      "Processes of the watcher that ended, by exit code or by the signal that killed them.",
    );
    for (const w of watchers)
      for (const [labels, count] of this.counts.get(w.name)?.exits ?? [])
        out.sample("circus_watcher_exits_total", labels, count);
    each(
      "circus_watcher_restarts_total",
      "counter",
      "Times the watcher was started again after its first start (restart, stop then " +
        "start, config change, the Flapping plugin's retry) or gracefully reloaded.",
      (w) => w.restarts,
    );
  }
}
