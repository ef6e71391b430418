/**
 * Control latency with N processes running: each system's own status command, timed as a
 * user runs it (a fresh process each time), and for ours the median and p99 of `list` and
 * `status` over one persistent client.
 */
import { launchTracked } from "../lib/launch-tracked.js";
import { Client } from "../../src/client/index.ts";
import { delay, now, pollUntil } from "../lib/proc.js";
import type { System } from "../lib/types.js";

export interface ControlOptions {
  n: number;
  /** Fresh status commands per system. */
  runs: number;
  /** Calls per command over the persistent client. */
  calls: number;
  startTimeoutMs: number;
  intervalMs: number;
}

export interface ControlResult {
  /** Wall time of each status command, in seconds. */
  statusS?: number[];
  /** Persistent client latencies in ms, by command. */
  latencyMs?: Record<string, number[]>;
  error?: string;
}

/** Runs the control scenario against one system. */
export async function runControl(system: System, opts: ControlOptions): Promise<ControlResult> {
  const result: ControlResult = {};
  const { instance, tracker, release } = await launchTracked(system, opts.n);
  try {
    const up = await pollUntil(tracker, {
      done: (count) => count >= opts.n,
      recheck: false,
      timeoutMs: opts.startTimeoutMs,
      intervalMs: opts.intervalMs,
    });
    if (!up.ok) {
      result.error = `start: only ${tracker.count}/${opts.n} running`;
      return result;
    }
    await instance.launchSettled(opts.startTimeoutMs);
    await delay(1000);
    if (instance.status) {
      result.statusS = [];
      for (let i = 0; i < opts.runs; i++) {
        const t0 = now();
        const run = await instance.status(60_000);
        if (run.timedOut || run.code !== 0) {
          result.error = `status command failed: ${run.stderr.trim() || run.code}`;
          return result;
        }
        result.statusS.push((run.at - t0) / 1000);
      }
    }
    if (instance.endpoint) {
      const client = new Client({ endpoint: instance.endpoint, timeout: 10 });
      try {
        result.latencyMs = {};
        for (const command of ["list", "status"]) {
          const samples: number[] = [];
          for (let i = 0; i < opts.calls + 50; i++) {
            const t0 = performance.now();
            await client.call(command, {});
            if (i >= 50) samples.push(performance.now() - t0);
          }
          result.latencyMs[command] = samples;
        }
      } finally {
        client.close();
      }
    }
    return result;
  } catch (error) {
    result.error = String(error);
    return result;
  } finally {
    await release();
  }
}
