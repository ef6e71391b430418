/**
 * A watcher's readiness: one tracker per process (see readiness.ts), the NOTIFY_SOCKET of a
 * `readiness = notify` watcher, and what the watcher waits on (all ready, some ready).
 */
import { mkdirSync, rmdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { WatcherConfig } from "../config/types.js";
import { logger } from "../log/logger.js";
import { readStat, readUid } from "../sys/proc.js";
import { NotifySocket } from "../sys/notify-socket.js";
import type { Process } from "./process.js";
import { ReadinessTracker } from "./readiness.js";

/** What the watcher gives its readiness: how to reach it back. */
export interface ReadinessHost {
  readonly name: string;
  /** The watcher's config as it is now (`set` and reloads change it). */
  settings(): WatcherConfig;
  /** The probe of one process, its `$(circus.*)` filled. */
  probeFor(p: Process): string;
  /** Publishes an event of the watcher (`ready`, `unready`). */
  notify(topic: string, data: Record<string, unknown>): void;
  /** The process did not become ready in time: the watcher replaces it. */
  replace(p: Process, reason: string): void;
  /** Ready counts changed (the arbiter's depends_on waits on it). */
  changed(): void;
}

/** Where the NOTIFY_SOCKETs of this circusd live: reachable by every user, listable by none. */
function notifyDir(): string {
  const dir = path.join(os.tmpdir(), `circus-notify-${process.pid}`);
  mkdirSync(dir, { recursive: true, mode: 0o711 });
  return dir;
}

export class WatcherReadiness {
  private readonly trackers = new Map<Process, ReadinessTracker>();
  private socket: NotifySocket | null = null;
  private readonly waiters = new Set<() => void>();

  constructor(private readonly host: ReadinessHost) {}

  /** Whether the watcher has a probe at all (without one, a running process is ready). */
  get probed(): boolean {
    return this.host.settings().readiness !== null;
  }

  /**
   * The environment of its processes: NOTIFY_SOCKET set for `notify` (and the socket opened),
   * removed otherwise, so that no process talks to circusd's own supervisor (systemd).
   */
  environment(env: Record<string, string>): Record<string, string> {
    const { NOTIFY_SOCKET: _inherited, ...rest } = env;
    if (this.host.settings().readiness !== "notify") {
      this.closeSocket();
      return rest;
    }
    if (!this.socket) {
      this.socket = new NotifySocket(
        path.join(notifyDir(), `${this.host.name.replace(/[^\w.-]/g, "_")}.sock`),
      );
      this.socket.open((sender, fields) => {
        if (fields.get("READY") === "1") this.readyFrom(sender, fields.get("MAINPID"));
      });
    }
    return { ...rest, NOTIFY_SOCKET: this.socket.path };
  }

  /**
   * READY=1 from a sender: for its process, or the process it descends from (a helper such as
   * `systemd-notify`). A helper may be gone (and reaped) by the time the message is read: then
   * `MAINPID=N` names the process, believed when the sender runs as N's user (or root).
   */
  private readyFrom(sender: { pid: number; uid: number }, mainPid: string | undefined): void {
    const trackerOf = (pid: number) => {
      for (const [p, tracker] of this.trackers) if (p.pid === pid) return tracker;
      return undefined;
    };
    for (let hop = 0, at: number | undefined = sender.pid; hop < 8 && at && at > 1; hop++) {
      const tracker = trackerOf(at);
      if (tracker) return tracker.markReady();
      at = readStat(at)?.ppid;
    }
    const named = mainPid === undefined ? NaN : Number(mainPid);
    const tracker = Number.isInteger(named) ? trackerOf(named) : undefined;
    if (tracker && (sender.uid === 0 || sender.uid === readUid(named))) tracker.markReady();
  }

  /**
   * Follows a new process. `recovered`: taken back from the process kernel, where a notify
   * process said READY=1 long ago: it counts as ready.
   */
  track(p: Process, recovered = false): void {
    const spec = this.host.settings().readiness;
    if (spec === null) return;
    const probe = spec === "notify" ? spec : this.host.probeFor(p);
    const tracker = new ReadinessTracker(probe, this.host.settings(), {
      ready: () => {
        this.host.notify("ready", { process_pid: p.pid });
        this.settle();
      },
      unready: (reason) => {
        logger.warning(`${this.host.name}: process ${p.pid} is not ready any more: ${reason}`);
        this.host.notify("unready", { process_pid: p.pid, reason });
        this.settle();
      },
      late: (reason) => {
        logger.warning(`${this.host.name}: process ${p.pid} ${reason}; restarting it`);
        this.host.notify("unready", { process_pid: p.pid, reason });
        this.host.replace(p, reason);
      },
    });
    this.trackers.set(p, tracker);
    if (recovered && spec === "notify") tracker.markReady();
    p.once("exit", () => {
      tracker.stop();
      this.trackers.delete(p);
      this.settle();
    });
  }

  /** Whether a process is ready (one of a watcher without a probe: once it runs). */
  isReady(p: Process): boolean {
    if (!this.probed) return p.exit === null;
    return this.trackers.get(p)?.ready ?? false;
  }

  /** Ready processes among `processes`. */
  countReady(processes: Iterable<Process>): number {
    let n = 0;
    for (const p of processes) if (this.isReady(p)) n++;
    return n;
  }

  private settle(): void {
    for (const wake of [...this.waiters]) wake();
    this.host.changed();
  }

  /**
   * Resolves true once every one of `processes` is ready, false as soon as one of them ends
   * (or is given up on for lateness, which ends it).
   */
  waitReady(processes: Process[]): Promise<boolean> {
    return new Promise((resolve) => {
      const check = () => {
        if (processes.some((p) => p.exit !== null)) return done(false);
        if (processes.every((p) => this.isReady(p))) return done(true);
      };
      const done = (ok: boolean) => {
        this.waiters.delete(check);
        resolve(ok);
      };
      this.waiters.add(check);
      check();
    });
  }

  /** A stop: no probe keeps running (the processes' exits end their trackers too). */
  stopAll(): void {
    for (const tracker of this.trackers.values()) tracker.stop();
  }

  private closeSocket(): void {
    if (!this.socket) return;
    this.socket.close();
    this.socket = null;
    // The folder goes with the last watcher's socket.
    try {
      rmdirSync(notifyDir());
    } catch {
      // another watcher's socket is still in it
    }
  }

  /** The watcher is gone: its NOTIFY_SOCKET too. */
  close(): void {
    this.stopAll();
    this.closeSocket();
  }
}
