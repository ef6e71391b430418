/**
 * start1000, rss1000 and stop1000 share one lifecycle per system: start the n
 * sleeps (timed), let it settle and read the daemon's memory, stop them
 * (timed), clean up.
 */
import { launchTracked, settle } from "../lib/launch-tracked.js";
import { CLOCK_TICKS, now, pollUntil, readMem, readStat } from "../lib/proc.js";
import type { System } from "../lib/types.js";

/** Knobs of one lifecycle run. */
export interface LifecycleOptions {
  n: number;
  /** Pause between "all up" (and the launch command being done) and the RSS reading. */
  settleMs: number;
  startTimeoutMs: number;
  stopTimeoutMs: number;
  /** Pause between two /proc scans. */
  intervalMs: number;
}

/** Figures of one lifecycle run; a figure is undefined when not reached. */
export interface LifecycleResult {
  /** Launch → all n children run `sleep`, seconds. */
  startS?: number;
  /** Launch → the first child runs `sleep` (daemon boot), seconds. */
  firstS?: number;
  /** CPU time (user + system) the daemon had used when all n were up, seconds. */
  daemonCpuS?: number;
  /** Open file descriptors of the daemon after the settle pause. */
  fds?: number;
  /** Daemon VmRSS right when all n were up, MiB. */
  rssUpMiB?: number;
  /** Daemon VmRSS after the settle pause, MiB. */
  rssMiB?: number;
  /** Daemon VmHWM (peak RSS) after the settle pause, MiB. */
  hwmMiB?: number;
  /** Stop requested → no managed sleep left, seconds. */
  stopS?: number;
  /** Stop requested → the system's stop command returned / daemon exited, seconds. */
  stopCmdS?: number;
  /** What stopCmdS measures. */
  stopCmdWhat?: string;
  /** Children still running after the settle pause (should be n). */
  settledCount?: number;
  /** Why the run ended early, if it did. */
  error?: string;
}

const MIB = 1024;

/** Runs one start → settle → stop lifecycle of `system`. */
export async function runLifecycle(
  system: System,
  opts: LifecycleOptions,
): Promise<LifecycleResult> {
  const result: LifecycleResult = {};
  const tracked = await launchTracked(system, opts.n);
  const { instance, tracker, release } = tracked;
  try {
    const up = await pollUntil(tracker, {
      done: (count) => count >= opts.n,
      recheck: false,
      timeoutMs: opts.startTimeoutMs,
      intervalMs: opts.intervalMs,
      onScan: (count, at) => {
        if (count > 0 && result.firstS === undefined) result.firstS = (at - instance.t0) / 1000;
      },
    });
    if (!up.ok) {
      result.error = `start: only ${tracker.count}/${opts.n} running after ${opts.startTimeoutMs / 1000} s`;
      return result;
    }
    result.startS = (up.at - instance.t0) / 1000;
    const pid = instance.daemonPid();
    if (pid === undefined) {
      result.error = "daemon pid unknown";
      return result;
    }
    const stat = readStat(pid);
    if (stat !== undefined) result.daemonCpuS = stat.cpuTicks / CLOCK_TICKS;
    const memUp = readMem(pid);
    if (memUp !== undefined) result.rssUpMiB = memUp.rssKiB / MIB;

    Object.assign(result, await settle(tracked, pid, opts));

    const stopAt = now();
    const stopping = instance.stop(opts.stopTimeoutMs);
    const gone = await pollUntil(tracker, {
      done: (count) => count === 0,
      recheck: true,
      timeoutMs: opts.stopTimeoutMs,
      intervalMs: opts.intervalMs,
    });
    const done = await stopping;
    result.stopCmdWhat = done.what;
    if (done.at !== undefined) result.stopCmdS = (done.at - stopAt) / 1000;
    if (gone.ok) result.stopS = (gone.at - stopAt) / 1000;
    else result.error = `stop: ${tracker.count} still running after ${opts.stopTimeoutMs / 1000} s`;
    return result;
  } catch (error) {
    result.error = String(error);
    return result;
  } finally {
    await release();
  }
}
