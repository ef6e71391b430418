/**
 * circusd's own figures: memory, CPU, event-loop lag, and the control requests it answered
 * (counted and timed through the Controller's observer).
 */
import { monitorEventLoopDelay, type IntervalHistogram } from "node:perf_hooks";
import type { RequestOutcome } from "../controller.js";
import { type Exposition, labelText } from "./exposition.js";
import { Histogram } from "./histogram.js";

/**
 * How often the lag monitor's timer ticks (ms); a tick late by D ms records D plus this. Its
 * wake-ups are all an idle circusd does with metrics on: 0.2% of a CPU at 50 ms, 0.4% at 20,
 * 0.6% at Node's 10 (measured on a loaded machine). A block of the loop longer than a tick is
 * always seen; a shorter one only when a tick falls due during it (a 5 ms block one time in
 * ten), which the quantiles of many blocks still show.
 */
const LAG_RESOLUTION_MS = 50;

/** The lag quantiles written, over the interval since the previous scrape (1 is the maximum). */
const LAG_QUANTILES = [0.5, 0.9, 0.99, 1];

/**
 * Request durations' buckets (s): a read answers in a millisecond or less; a waiting stop may
 * take graceful_timeout (30 s by default).
 */
const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];

/** circusd's own metrics. */
export class DaemonMetrics {
  private readonly lag: IntervalHistogram = monitorEventLoopDelay({
    resolution: LAG_RESOLUTION_MS,
  });
  /** The lag summary's running sum (s) and count, over every interval so far. */
  private lagSum = 0;
  private lagCount = 0;
  /** `command="...",status="..."` -> requests answered. */
  private readonly requests = new Map<string, number>();
  private readonly latency = new Histogram(
    "circus_control_request_duration_seconds",
    "Time from a control request's arrival to its reply, by command.",
    LATENCY_BUCKETS,
  );

  /** Starts measuring the event loop's lag. */
  start(): void {
    this.lag.enable();
  }

  /** Stops the lag monitor's timer. */
  close(): void {
    this.lag.disable();
  }

  /** The Controller's observer: counts and times one answered request. */
  readonly observeRequest = (outcome: RequestOutcome): void => {
    const labels = labelText({ command: outcome.command, status: outcome.status });
    this.requests.set(labels, (this.requests.get(labels) ?? 0) + 1);
    this.latency.observe(labelText({ command: outcome.command }), outcome.seconds);
  };

  /** Writes circusd's families; the lag quantiles start a new interval. */
  write(out: Exposition): void {
    const cpu = process.cpuUsage();
    out
      .family(
        "circus_daemon_cpu_seconds_total",
        "counter",
        "CPU time circusd used (user + system).",
      )
      .sample("circus_daemon_cpu_seconds_total", "", (cpu.user + cpu.system) / 1e6)
      .family("circus_daemon_resident_memory_bytes", "gauge", "circusd's resident memory.")
      .sample("circus_daemon_resident_memory_bytes", "", process.memoryUsage.rss())
      .family(
        "circus_daemon_start_time_seconds",
        "gauge",
        "When circusd started, in seconds since the epoch.",
      )
      .sample("circus_daemon_start_time_seconds", "", Math.round(performance.timeOrigin) / 1000);
    this.writeLag(out);
    out.family(
      "circus_control_requests_total",
      "counter",
      "Control requests answered, by command and status (casts included).",
    );
    for (const [labels, count] of this.requests)
      out.sample("circus_control_requests_total", labels, count);
    this.latency.write(out);
  }

  /**
   * The lag as a summary: quantiles over the interval since the previous scrape (NaN when no
   * tick fell in it), sum and count over circusd's life. The monitor's resolution is taken off
   * each reading, so that an idle loop reads 0.
   */
  private writeLag(out: Exposition): void {
    const name = "circus_daemon_event_loop_lag_seconds";
    const h = this.lag;
    const lagOf = (ns: number) => Math.max(0, ns / 1e9 - LAG_RESOLUTION_MS / 1000);
    if (h.count > 0) {
      this.lagSum += lagOf(h.mean) * h.count;
      this.lagCount += h.count;
    }
    out.family(name, "summary", "How late circusd's event loop ran its timers.");
    for (const q of LAG_QUANTILES) {
      const value = h.count > 0 ? lagOf(q === 1 ? h.max : h.percentile(q * 100)) : NaN;
      out.sample(name, labelText({ quantile: String(q) }), value);
    }
    out.sample(`${name}_sum`, "", this.lagSum).sample(`${name}_count`, "", this.lagCount);
    h.reset();
  }
}
