/**
 * scale: what a user meets at 10,000 processes. Per system, one run through the phases
 * start (with control round trips during it) -> settle (RSS, fds) -> stats of all -> SIGKILL
 * of 100 children (replacement) -> stop (with round trips during it). A phase that fails ends
 * the system's run (`failed at PHASE: reason`) and the scenario goes on with the next system.
 */
import { launchTracked, settle, type Tracked } from "../lib/launch-tracked.js";
import { RoundTripProbe, type RoundTrips } from "../lib/probe.js";
import { CLOCK_TICKS, delay, isRunning, now, pollUntil } from "../lib/proc.js";
import { readStat, type ChildTracker } from "../lib/proc.js";
import { timedCall, type ControlRpc } from "../lib/rpc.js";
import type { Row, Table } from "../lib/table.js";
import type { Instance, System } from "../lib/types.js";

/** Knobs of one scale run. */
export interface ScaleOptions {
  n: number;
  /** Pause between two /proc scans, ms. */
  intervalMs: number;
  /** A control round trip starts every this many ms during the start and the stop. */
  periodMs: number;
  /** A round trip longer than this counts as a timeout (and the probe goes on), ms. */
  rtTimeoutMs: number;
  startTimeoutMs: number;
  /** The start fails when no new child has appeared for this long, ms. */
  stallMs: number;
  /** Pause between all up (and the launch command done) and the RSS reading, ms. */
  settleMs: number;
  statsTimeoutMs: number;
  /** Children SIGKILLed at once. */
  kill: number;
  /** The count that tells whether a slot was lost is taken this long after the kill, ms. */
  lostAfterMs: number;
  /** The kill phase fails when the killed are not all replaced by then, ms. */
  replaceTimeoutMs: number;
  stopTimeoutMs: number;
}

/** The phases, in order. */
export const SCALE_PHASES = ["start", "settle", "stats", "kill-100", "stop"] as const;
/** One of {@link SCALE_PHASES}. */
export type ScalePhase = (typeof SCALE_PHASES)[number];

/** Figures of one scale run; a figure is undefined when its phase was not reached. */
export interface ScaleResult {
  /** Launch -> all n children run `sleep`, s. */
  startS?: number;
  /** Launch -> the first child runs `sleep`, s. */
  firstS?: number;
  /** Daemon CPU time (user + system) when all were up, s. */
  daemonCpuS?: number;
  /** Most children seen during the start (the count a failed start reached). */
  startPeak?: number;
  /** Round trips during the start (launch -> all up, or the failure). */
  startRt?: RoundTrips;
  /** Children running after the settle pause. */
  settledCount?: number;
  rssMiB?: number;
  hwmMiB?: number;
  fds?: number;
  /** The call that read every process's figures, its time, and how many processes it listed. */
  statsCall?: string;
  statsS?: number;
  statsItems?: number;
  /** Children SIGKILLed, and the kill -> all n again time, s. */
  killed?: number;
  replaceS?: number;
  /** Children running `lostAfterMs` after the kill (n: no slot lost). */
  countAfterKill?: number;
  /** Stop request -> no child left, s; and the system's own stop command. */
  stopS?: number;
  stopCmdS?: number;
  stopCmdWhat?: string;
  /** Round trips during the stop (stop request -> no child left). */
  stopRt?: RoundTrips;
  /** Mean and longest /proc scan of the start and of the stop, ms (the harness's own cost). */
  scanMs?: Partial<Record<"start" | "stop", { mean: number; max: number; scans: number }>>;
  /** The phase that failed, and why. */
  failed?: { phase: ScalePhase; reason: string };
}

/**
 * The daemon's first and last log lines that look like an error (the cause and what the
 * daemon did about it), to say why a start stalled.
 */
function errorHint(instance: Instance): string {
  const pattern = /EMFILE|ENFILE|EAGAIN|too many open files|error|exception|traceback|fatal/i;
  const lines = instance.log.lines.filter((l) => pattern.test(l.text));
  const first = lines[0];
  const last = lines[lines.length - 1];
  if (first === undefined || last === undefined) return "";
  const quote = (text: string): string => `"${text.trim().slice(0, 160)}"`;
  return first === last
    ? `; log: ${quote(first.text)}`
    : `; log: ${quote(first.text)} ... ${quote(last.text)}`;
}

/** Scans with their durations, for the report of the harness's own cost. */
class ScanClock {
  private readonly times: number[] = [];
  private last = Infinity;
  private lastDropAt = now();
  private lastRecheckAt = -Infinity;

  async scan(tracker: ChildTracker, recheck: boolean): Promise<number> {
    const t0 = now();
    const count = await tracker.scan(recheck);
    this.times.push(now() - t0);
    return count;
  }

  /**
   * A scan while the children are stopped: only the /proc listing (a child is gone once its
   * parent reaped it). When the count has not gone down for a second, every child's state is
   * reread (at most once a second), so that zombies a daemon does not reap count as gone.
   * Rereading 10,000 stat files takes 0.2 s, and seconds while the kernel tears thousands of
   * processes down: on every scan it would take the CPU the daemon needs to stop them.
   */
  async stopScan(tracker: ChildTracker): Promise<number> {
    const t0 = now();
    let count = tracker.dropVanished();
    if (count < this.last) this.lastDropAt = t0;
    if (count > 0 && t0 - this.lastDropAt >= 1_000 && t0 - this.lastRecheckAt >= 1_000) {
      this.lastRecheckAt = t0;
      count = await tracker.scan(true);
      if (count < this.last) this.lastDropAt = now();
    }
    this.last = count;
    this.times.push(now() - t0);
    return count;
  }

  summary(): { mean: number; max: number; scans: number } {
    const total = this.times.reduce((a, b) => a + b, 0);
    const round = (x: number) => Math.round(x * 10) / 10;
    return {
      mean: round(total / Math.max(1, this.times.length)),
      max: round(Math.max(0, ...this.times)),
      scans: this.times.length,
    };
  }
}

/**
 * Scans until all n run. Fails early, rather than waiting for the start timeout, when the
 * daemon exited or no new child appeared for `stallMs` (a daemon out of file descriptors
 * stops making progress but may go on running).
 */
async function waitAllUp(
  instance: Instance,
  tracker: ChildTracker,
  opts: ScaleOptions,
  clock: ScanClock,
  result: ScaleResult,
): Promise<{ at: number } | { reason: string }> {
  let best = 0;
  let bestAt = now();
  for (;;) {
    const count = await clock.scan(tracker, false);
    const at = now();
    if (count > 0 && result.firstS === undefined) result.firstS = (at - instance.t0) / 1000;
    result.startPeak = Math.max(result.startPeak ?? 0, count);
    if (count >= opts.n) return { at };
    if (count > best) {
      best = count;
      bestAt = at;
    }
    const pid = instance.daemonPid();
    if (pid !== undefined && !isRunning(pid)) {
      return { reason: `the daemon exited with ${count}/${opts.n} running${errorHint(instance)}` };
    }
    if (at - bestAt >= opts.stallMs) {
      return {
        reason:
          `stalled at ${best}/${opts.n} (${count} running now): no new child for ` +
          `${opts.stallMs / 1000} s${errorHint(instance)}`,
      };
    }
    if (at - instance.t0 >= opts.startTimeoutMs) {
      return { reason: `only ${count}/${opts.n} running after ${opts.startTimeoutMs / 1000} s` };
    }
    await delay(opts.intervalMs);
  }
}

/** Runs the scale phases once against `system`. */
export async function runScale(
  system: System,
  opts: ScaleOptions,
  progress: (message: string) => void,
): Promise<ScaleResult> {
  const result: ScaleResult = {};
  const failed = (phase: ScalePhase, reason: string): ScaleResult => {
    result.failed = { phase, reason };
    progress(`${system.id}: failed at ${phase}: ${reason}`);
    return result;
  };
  let tracked: Tracked;
  try {
    tracked = await launchTracked(system, opts.n);
  } catch (error) {
    return failed("start", `launch: ${error instanceof Error ? error.message : String(error)}`);
  }
  const { instance, tracker, release } = tracked;
  let rpc: ControlRpc | undefined;
  let probe: RoundTripProbe | undefined;
  const daemonAlive = (): boolean => {
    const pid = instance.daemonPid();
    return pid !== undefined && isRunning(pid);
  };
  const openProbe = (): RoundTripProbe | undefined => {
    if (rpc === undefined) return undefined;
    const opened = new RoundTripProbe(rpc, {
      periodMs: opts.periodMs,
      timeoutMs: opts.rtTimeoutMs,
      daemonAlive,
    });
    opened.start();
    return opened;
  };
  const closeProbe = async (): Promise<RoundTrips | undefined> => {
    const closing = probe;
    probe = undefined;
    return closing?.finish();
  };
  try {
    rpc = instance.rpc?.();
    result.scanMs = {};

    // start, with round trips
    probe = openProbe();
    const startClock = new ScanClock();
    const up = await waitAllUp(instance, tracker, opts, startClock, result);
    result.startRt = await closeProbe();
    result.scanMs.start = startClock.summary();
    if ("reason" in up) return failed("start", up.reason);
    result.startS = (up.at - instance.t0) / 1000;
    const pid = instance.daemonPid();
    if (pid === undefined) return failed("start", "daemon pid unknown");
    const stat = readStat(pid);
    if (stat !== undefined) result.daemonCpuS = stat.cpuTicks / CLOCK_TICKS;
    progress(`${system.id}: all ${opts.n} up after ${result.startS.toFixed(3)} s`);

    // settle: memory and descriptors
    const settled = await settle(tracked, pid, opts);
    Object.assign(result, settled);
    if (settled.settledCount < opts.n) {
      return failed("settle", `only ${settled.settledCount}/${opts.n} running after the pause`);
    }

    // stats of every process, where the system has such a call
    if (rpc?.statsCall !== undefined) {
      result.statsCall = rpc.statsCall;
      const stats = await timedCall(rpc, rpc.statsCall, opts.statsTimeoutMs);
      if (stats.outcome !== "ok") {
        const why =
          stats.outcome === "timeout" ? `no reply in ${opts.statsTimeoutMs / 1000} s` : "";
        return failed("stats", `${rpc.statsCall}: ${stats.text ?? why}`);
      }
      result.statsS = stats.ms / 1000;
      result.statsItems = stats.items;
    }

    // SIGKILL of `kill` children at once
    const killAt = now();
    result.killed = tracker.killSome(opts.kill).length;
    const back = await pollUntil(tracker, {
      done: (count) => count >= opts.n,
      recheck: false,
      timeoutMs: opts.replaceTimeoutMs,
      intervalMs: opts.intervalMs,
      onScan: (count, at) => {
        if (result.countAfterKill === undefined && at - killAt >= opts.lostAfterMs) {
          result.countAfterKill = count;
        }
      },
    });
    if (result.countAfterKill === undefined) {
      await delay(killAt + opts.lostAfterMs - now());
      result.countAfterKill = await tracker.scan(true);
    }
    if (!back.ok) {
      return failed(
        "kill-100",
        `only ${tracker.count}/${opts.n} running ${opts.replaceTimeoutMs / 1000} s after the kill`,
      );
    }
    result.replaceS = (back.at - killAt) / 1000;

    // stop, with round trips
    probe = openProbe();
    const stopClock = new ScanClock();
    const stopAt = now();
    const stopping = instance.stop(opts.stopTimeoutMs);
    let gone = false;
    let goneAt = now();
    while (now() - stopAt < opts.stopTimeoutMs) {
      if ((await stopClock.stopScan(tracker)) === 0) {
        gone = true;
        goneAt = now();
        break;
      }
      await delay(opts.intervalMs);
    }
    result.stopRt = await closeProbe();
    result.scanMs.stop = stopClock.summary();
    const done = await stopping;
    result.stopCmdWhat = done.what;
    if (done.at !== undefined) result.stopCmdS = (done.at - stopAt) / 1000;
    if (!gone) {
      return failed("stop", `${tracker.count} still running after ${opts.stopTimeoutMs / 1000} s`);
    }
    result.stopS = (goneAt - stopAt) / 1000;
    return result;
  } catch (error) {
    const phase = SCALE_PHASES.find((p) => !reached(result, p)) ?? "stop";
    return failed(phase, String(error instanceof Error ? error.message : error));
  } finally {
    await closeProbe();
    rpc?.close();
    await release();
  }
}

/** Whether the run got past `phase` (its figure is there). */
function reached(result: ScaleResult, phase: ScalePhase): boolean {
  switch (phase) {
    case "start":
      return result.startS !== undefined;
    case "settle":
      return result.rssMiB !== undefined;
    case "stats":
      return result.statsS !== undefined || result.killed !== undefined;
    case "kill-100":
      return result.replaceS !== undefined;
    case "stop":
      return result.stopS !== undefined;
  }
}

/** A system's runs as the tables see them: its result, or why it did not run. */
export type ScaleEntry = { system: System; result: ScaleResult } | { system: System; why: string };

/** Where each table's figure comes from, and the phase that produces it. */
interface TableSpec {
  phase: ScalePhase;
  title: string;
  unit: string;
  digits: number;
  figure(result: ScaleResult): number | undefined;
  detail(result: ScaleResult, n: number): string;
}

const fixed = (value: number | undefined, digits: number): string =>
  value === undefined ? "?" : value.toFixed(digits);

/** Detail of a round-trip table: spread, counts, error texts, per call, harness lag. */
function roundTripDetail(rt: RoundTrips | undefined, window: string, failed: boolean): string {
  if (rt === undefined) return "no control interface";
  const parts: string[] = [];
  if (failed) parts.push(`during a ${window} that failed`);
  if (rt.calls === 0) {
    parts.push("no round trip made (the control socket never appeared)");
  } else {
    parts.push(`p50 ${fixed(rt.p50Ms, 1)}, max ${fixed(rt.maxMs, 1)} ms`);
    parts.push(
      `${rt.calls} round trips: ${rt.errors} error replies, ${rt.timeouts} timeouts` +
        (rt.failures > 0 ? `, ${rt.failures} transport failures` : ""),
    );
  }
  if (rt.dropped > 0) parts.push(`${rt.dropped} unanswered when the daemon exited (not counted)`);
  const texts = Object.entries(rt.errorTexts).sort((a, b) => b[1] - a[1]);
  for (const [text, count] of texts.slice(0, 3)) parts.push(`${count} x "${text.slice(0, 100)}"`);
  if (texts.length > 3) parts.push(`${texts.length - 3} more error texts in last-run.json`);
  const perCall = Object.entries(rt.byCommand)
    .filter(([, s]) => s.calls > 0)
    .map(([command, s]) => `${command} ${fixed(s.p50Ms, 1)}/${fixed(s.p99Ms, 1)}`);
  if (perCall.length > 0) parts.push(`p50/p99 ms: ${perCall.join(", ")}`);
  parts.push(`harness loop lag p99 ${rt.harnessLagP99Ms.toFixed(1)} ms`);
  return parts.join("; ");
}

function tableSpecs(opts: ScaleOptions): TableSpec[] {
  const n = opts.n;
  /** The round trips during the start or the stop. */
  const roundTrips = (phase: "start" | "stop"): TableSpec => ({
    phase,
    title:
      `scale: control round trip p99 during the ${phase} of ${n}, one every ` +
      `${opts.periodMs} ms (> ${opts.rtTimeoutMs / 1000} s = timeout; lower is better)`,
    unit: "ms",
    digits: 1,
    figure: (r) => (phase === "start" ? r.startRt : r.stopRt)?.p99Ms,
    detail: (r) =>
      roundTripDetail(phase === "start" ? r.startRt : r.stopRt, phase, r.failed?.phase === phase),
  });
  const scans = (s: { mean: number; max: number } | undefined): string =>
    s === undefined ? "" : `; harness /proc scan ${s.mean} ms mean, ${s.max} max`;
  return [
    {
      phase: "start",
      title: `scale: launch -> all ${n} \`sleep\` children running (lower is better)`,
      unit: "s",
      digits: 3,
      figure: (r) => r.startS,
      detail: (r) =>
        `first child at ${fixed(r.firstS, 3)} s; daemon CPU ${fixed(r.daemonCpuS, 2)} s` +
        scans(r.scanMs?.start),
    },
    roundTrips("start"),
    {
      phase: "settle",
      title: `scale: daemon VmRSS ${opts.settleMs / 1000} s after all ${n} are up (lower is better)`,
      unit: "MiB",
      digits: 1,
      figure: (r) => r.rssMiB,
      detail: (r) => `VmHWM ${fixed(r.hwmMiB, 1)} MiB; ${fixed(r.fds, 0)} open fds`,
    },
    {
      phase: "stats",
      title: `scale: one call for the figures of all ${n} processes (lower is better)`,
      unit: "s",
      digits: 3,
      figure: (r) => r.statsS,
      detail: (r) =>
        r.statsCall === undefined
          ? "no such call"
          : `\`${r.statsCall}\` listed ${r.statsItems ?? "?"} processes`,
    },
    {
      phase: "kill-100",
      title:
        `scale: SIGKILL of ${opts.kill} of ${n} at once -> all ${n} running again ` +
        `(lower is better)`,
      unit: "s",
      digits: 3,
      figure: (r) => r.replaceS,
      detail: (r) => {
        const after = r.countAfterKill;
        const slots =
          after === undefined
            ? "?"
            : after === n
              ? "no slot lost"
              : after < n
                ? `${n - after} slots lost`
                : `${after - n} extra`;
        return `${r.killed ?? "?"} killed; ${after ?? "?"} running ${opts.lostAfterMs / 1000} s after (${slots})`;
      },
    },
    {
      phase: "stop",
      title: `scale: stop request -> no managed \`sleep\` left, ${n} running (lower is better)`,
      unit: "s",
      digits: 3,
      figure: (r) => r.stopS,
      detail: (r) =>
        `${r.stopCmdWhat ?? "stop done"} after ${fixed(r.stopCmdS, 3)} s` + scans(r.scanMs?.stop),
    },
    roundTrips("stop"),
  ];
}

/** One table per phase figure, a row per system. */
export function scaleTables(entries: ScaleEntry[], opts: ScaleOptions): Table[] {
  return tableSpecs(opts).map((spec) => ({
    title: spec.title,
    unit: spec.unit,
    digits: spec.digits,
    rows: entries.map((entry): Row => {
      const base = {
        system: entry.system.id,
        isOurs: entry.system.isOurs,
        isRaw: entry.system.isRaw,
      };
      if ("why" in entry) return { ...base, value: undefined, detail: entry.why };
      const r = entry.result;
      const failedAt = r.failed === undefined ? Infinity : SCALE_PHASES.indexOf(r.failed.phase);
      const figure = spec.figure(r);
      // A failed start or stop still has the round trips made during it.
      if (failedAt <= SCALE_PHASES.indexOf(spec.phase) && figure === undefined) {
        return {
          ...base,
          value: undefined,
          detail: `failed at ${r.failed?.phase}: ${r.failed?.reason}`,
        };
      }
      return { ...base, value: figure, detail: spec.detail(r, opts.n) };
    }),
  }));
}
