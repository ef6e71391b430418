/**
 * Readiness (ours, beyond Circus): whether a process does its job yet, not only runs. A
 * watcher's `readiness` probe is tried every `readiness_interval`: `tcp:HOST:PORT` connects,
 * `http://...` wants a 2xx, `exec:COMMAND` wants exit 0; `notify` waits for READY=1 on
 * $NOTIFY_SOCKET (sd_notify). A process is ready at its first success; once ready, it is
 * unready after `readiness_failures` failed probes in a row; a process not ready within
 * `readiness_deadline` of its start is given up on (the watcher restarts it).
 */
import { exec } from "node:child_process";
import http from "node:http";
import net from "node:net";
import type { WatcherConfig } from "../config/types.js";

/** One probe's outcome: null on success, else why it failed. */
export type ProbeResult = string | null;

/** Tries a probe once, within `timeoutMs`. */
export function runProbe(spec: string, timeoutMs: number): Promise<ProbeResult> {
  if (spec.startsWith("tcp:")) return tcpProbe(spec.slice(4), timeoutMs);
  if (spec.startsWith("http://")) return httpProbe(spec, timeoutMs);
  if (spec.startsWith("exec:")) return execProbe(spec.slice(5).trim(), timeoutMs);
  return Promise.resolve(`no probe for ${spec}`);
}

function tcpProbe(address: string, timeoutMs: number): Promise<ProbeResult> {
  const cut = address.lastIndexOf(":");
  const host = address.slice(0, cut).replace(/^\[|\]$/g, "");
  const port = Number(address.slice(cut + 1));
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: timeoutMs });
    socket.once("connect", () => {
      socket.destroy();
      resolve(null);
    });
    socket.once("timeout", () => {
      socket.destroy();
      resolve(`tcp:${address}: no connection within ${timeoutMs} ms`);
    });
    socket.once("error", (error) => resolve(`tcp:${address}: ${error.message}`));
  });
}

function httpProbe(url: string, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      const code = res.statusCode ?? 0;
      resolve(code >= 200 && code < 300 ? null : `${url}: HTTP ${code}`);
    });
    req.once("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.once("error", (error) => resolve(`${url}: ${error.message}`));
  });
}

function execProbe(command: string, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    exec(command, { timeout: timeoutMs, killSignal: "SIGKILL" }, (error) => {
      if (!error) return resolve(null);
      const why = error.killed
        ? `timed out after ${timeoutMs} ms`
        : `exit ${error.code ?? error.signal}`;
      resolve(`exec:${command}: ${why}`);
    });
  });
}

/** What a tracker tells its watcher. */
export interface ReadinessEvents {
  /** The process became ready (again). */
  ready(): void;
  /** A ready process failed `readiness_failures` probes in a row. */
  unready(reason: string): void;
  /** The process was not ready within `readiness_deadline`. */
  late(reason: string): void;
}

/** One process's readiness: probed until it ends, or told by its notify messages. */
export class ReadinessTracker {
  /** null: not yet ready; true: ready; false: was ready, then failed. */
  state: boolean | null = null;
  private failures = 0;
  private lastFailure = "no probe answered yet";
  private timer: NodeJS.Timeout | null = null;
  private deadline: NodeJS.Timeout | null = null;
  private stopped = false;

  /**
   * @param spec the probe, formatted for this process (`notify`: no probing)
   */
  constructor(
    private readonly spec: string,
    private readonly config: Pick<
      WatcherConfig,
      "readinessInterval" | "readinessTimeout" | "readinessFailures" | "readinessDeadline"
    >,
    private readonly events: ReadinessEvents,
  ) {
    if (config.readinessDeadline > 0) {
      this.deadline = setTimeout(() => {
        if (this.state === null && !this.stopped)
          this.events.late(
            `not ready within ${config.readinessDeadline} s (${spec === "notify" ? "no READY=1 on NOTIFY_SOCKET" : this.lastFailure})`,
          );
      }, config.readinessDeadline * 1000);
    }
    // The first probe soon after the start, then every interval.
    if (spec !== "notify") this.schedule(Math.min(100, config.readinessInterval * 1000));
  }

  get ready(): boolean {
    return this.state === true;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.probe(), ms);
  }

  private async probe(): Promise<void> {
    const failure = await runProbe(this.spec, this.config.readinessTimeout * 1000);
    if (this.stopped) return;
    if (failure === null) {
      this.failures = 0;
      if (this.state !== true) this.markReady();
    } else {
      this.lastFailure = failure;
      if (this.state === true && ++this.failures >= this.config.readinessFailures) {
        this.state = false;
        this.events.unready(`${this.failures} failed probes in a row: ${failure}`);
      }
    }
    this.schedule(this.config.readinessInterval * 1000);
  }

  /** READY=1 from the process (notify), or a successful probe. */
  markReady(): void {
    if (this.stopped || this.state === true) return;
    this.state = true;
    if (this.deadline) clearTimeout(this.deadline);
    this.deadline = null;
    this.events.ready();
  }

  /** The process ended (or is being stopped): no more probes or events. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.deadline) clearTimeout(this.deadline);
    this.timer = this.deadline = null;
  }
}
