/**
 * responsive: SIGTERM the daemon while it is starting the n sleeps (once a
 * threshold of them run) and time its reaction.
 */
import { launchTracked } from "../lib/launch-tracked.js";
import { within } from "../lib/exec.js";
import { now, pollUntil } from "../lib/proc.js";
import type { System } from "../lib/types.js";

/** Knobs of one responsive run. */
export interface ResponsiveOptions {
  n: number;
  /** Send SIGTERM once at least this many children run. */
  threshold: number;
  startTimeoutMs: number;
  stopTimeoutMs: number;
  /**
   * Stop waiting when not one child has stopped this long after the signal: the daemon
   * ignored it (Python Circus drops a SIGTERM that comes while it starts its watchers).
   */
  ignoredAfterMs: number;
  intervalMs: number;
}

/** Figures of one responsive run, in milliseconds after the SIGTERM. */
export interface ResponsiveResult {
  /** Children running when the signal was sent. */
  atSignal?: number;
  /** Most children seen running after the signal (spawning may go on). */
  peak?: number;
  /** SIGTERM → first log line matching the system's stop pattern. */
  logMs?: number;
  /** The matched line. */
  logLine?: string;
  /** SIGTERM → no managed sleep left. */
  goneMs?: number;
  /** SIGTERM → daemon exited. */
  exitMs?: number;
  /** Managed sleeps still running when stopTimeoutMs ran out (goneMs is then undefined). */
  leftAtTimeout?: number;
  /** True when the wait was cut short because no child stopped within `ignoredAfterMs`. */
  ignored?: boolean;
  error?: string;
}

/** Runs the responsive scenario once against `system`. */
export async function runResponsive(
  system: System,
  opts: ResponsiveOptions,
): Promise<ResponsiveResult> {
  const result: ResponsiveResult = {};
  const { instance, tracker, release } = await launchTracked(system, opts.n);
  try {
    const up = await pollUntil(tracker, {
      done: (count) => count >= opts.threshold,
      recheck: false,
      timeoutMs: opts.startTimeoutMs,
      intervalMs: opts.intervalMs,
    });
    if (!up.ok) {
      result.error = `only ${tracker.count}/${opts.threshold} running after ${opts.startTimeoutMs / 1000} s`;
      return result;
    }
    result.atSignal = tracker.count;
    tracker.peak = tracker.count;
    const signalAt = now();
    instance.terminate();
    const logged = instance.log.waitFor(system.stopPattern, opts.stopTimeoutMs, signalAt);
    const exited = instance.daemonExit(opts.stopTimeoutMs);
    let previous = tracker.count;
    let decreased = false;
    const gone = await pollUntil(tracker, {
      done: (count) => {
        decreased ||= count < previous;
        previous = count;
        result.ignored = !decreased && now() - signalAt >= opts.ignoredAfterMs;
        return count === 0 || result.ignored;
      },
      recheck: true,
      timeoutMs: opts.stopTimeoutMs,
      intervalMs: opts.intervalMs,
    });
    result.peak = tracker.peak;
    if (gone.ok && !result.ignored) result.goneMs = gone.at - signalAt;
    else result.leftAtTimeout = tracker.count;
    // Once everything is gone the line is either there or will not come.
    const line = await within(logged, 2_000, undefined);
    if (line !== undefined) {
      result.logMs = line.at - signalAt;
      result.logLine = line.text;
    }
    const exitAt = result.ignored ? undefined : await exited;
    if (exitAt !== undefined) result.exitMs = exitAt - signalAt;
    return result;
  } catch (error) {
    result.error = String(error);
    return result;
  } finally {
    await release();
  }
}
