/**
 * Responsiveness while something else happens (a start, a stop): one control round trip
 * every period over one persistent client, alternating the system's two probe calls, each
 * given up as a timeout after a bound, and the next one started anyway.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { now } from "./proc.js";
import { timedCall, type ControlRpc, type TimedCall } from "./rpc.js";
import { percentile } from "./table.js";

/** Options of a {@link RoundTripProbe}. */
export interface ProbeOptions {
  /** A call starts on each multiple of this period after the probe started, ms. */
  periodMs: number;
  /** A round trip longer than this counts as a timeout, ms. */
  timeoutMs: number;
  /** Whether the daemon still runs: a call left unanswered by a daemon that exited is dropped. */
  daemonAlive: () => boolean;
}

/** Latency figures of some round trips, ms (timeouts count as the timeout). */
export interface LatencySummary {
  calls: number;
  p50Ms?: number;
  p99Ms?: number;
  maxMs?: number;
}

/** What a probe saw over its window. */
export interface RoundTrips extends LatencySummary {
  /** How the calls travelled and which were alternated. */
  transport: string;
  /** Good replies, error replies, timeouts and transport failures (they sum to `calls`). */
  ok: number;
  errors: number;
  timeouts: number;
  failures: number;
  /** Texts of the error replies and failures, with how often each came. */
  errorTexts: Record<string, number>;
  /** Per call name. */
  byCommand: Record<string, LatencySummary>;
  /** Calls left unanswered when the window closed because the daemon had exited (not counted). */
  dropped: number;
  /** The harness's own event-loop delay over the window, p99, ms: what the figures may be off by. */
  harnessLagP99Ms: number;
  /** Every counted call: [start, s after the window opened; call; round trip ms; outcome]. */
  samples: [number, string, number, TimedCall["outcome"]][];
}

/** Longest error text kept (a Python traceback would flood the report). */
const TEXT_MAX = 200;

function summarize(values: number[]): LatencySummary {
  if (values.length === 0) return { calls: 0 };
  return {
    calls: values.length,
    p50Ms: percentile(values, 50),
    p99Ms: percentile(values, 99),
    maxMs: Math.max(...values),
  };
}

/** Calls `rpc` every period from {@link start} until {@link finish}. */
export class RoundTripProbe {
  private readonly samples: RoundTrips["samples"] = [];
  private readonly errorTexts: Record<string, number> = {};
  private dropped = 0;
  private stopped = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private opened = 0;
  private readonly lag = monitorEventLoopDelay({ resolution: 10 });

  constructor(
    private readonly rpc: ControlRpc,
    private readonly opts: ProbeOptions,
  ) {}

  /** Opens the window: calls start once the control socket exists. */
  start(): void {
    this.opened = now();
    this.lag.enable();
    this.loop = this.run();
  }

  /**
   * Closes the window: no new call; the one in flight is waited for (at most the timeout)
   * and counted, unless it went unanswered and the daemon has exited meanwhile.
   */
  async finish(): Promise<RoundTrips> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    this.lag.disable();
    const counted = (o: TimedCall["outcome"]) => this.samples.filter((s) => s[3] === o).length;
    const byCommand: Record<string, LatencySummary> = {};
    for (const command of this.rpc.probeCalls) {
      byCommand[command] = summarize(this.samples.filter((s) => s[1] === command).map((s) => s[2]));
    }
    return {
      transport: `${this.rpc.transport}: ${this.rpc.probeCalls.join(" / ")}`,
      ...summarize(this.samples.map((s) => s[2])),
      ok: counted("ok"),
      errors: counted("error"),
      timeouts: counted("timeout"),
      failures: counted("failed"),
      errorTexts: this.errorTexts,
      byCommand,
      dropped: this.dropped,
      harnessLagP99Ms: this.lag.percentile(99) / 1e6,
      samples: this.samples,
    };
  }

  private async run(): Promise<void> {
    let index = 0;
    while (!this.stopped) {
      if (this.rpc.ready()) {
        const command = this.rpc.probeCalls[index++ % 2] ?? "";
        const startedAt = now();
        const result = await timedCall(this.rpc, command, this.opts.timeoutMs);
        this.record(startedAt, result);
      }
      // The next multiple of the period: a tick that passed during a long call is skipped.
      const elapsed = now() - this.opened;
      await this.sleep(
        (Math.floor(elapsed / this.opts.periodMs) + 1) * this.opts.periodMs - elapsed,
      );
    }
  }

  private record(startedAt: number, result: TimedCall): void {
    const answered = result.outcome === "ok" || result.outcome === "error";
    if (this.stopped && !answered && !this.opts.daemonAlive()) {
      this.dropped++;
      return;
    }
    const at = Math.round(startedAt - this.opened) / 1000;
    this.samples.push([at, result.command, Math.round(result.ms * 1000) / 1000, result.outcome]);
    if (result.outcome === "error" || result.outcome === "failed") {
      const text = (result.text ?? "?").replace(/\s+/g, " ").slice(0, TEXT_MAX);
      this.errorTexts[text] = (this.errorTexts[text] ?? 0) + 1;
    }
  }

  /** Resolves after `ms`, or at once when the window closes. */
  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
