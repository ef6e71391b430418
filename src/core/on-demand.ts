import { logger } from "../log/logger.js";
import { watchReadable } from "../sys/sockets.js";
import type { Watcher } from "./watcher.js";
import { socketFds } from "./watcher-setup.js";

/**
 * `on_demand = true`: keeps a stopped watcher waiting for the first connection to one of
 * its sockets, then starts it. circusd never accepts that connection: it waits in the
 * kernel backlog until a worker accepts it. Once the watcher stops again (a `stop`, or all
 * its processes gone), the next connection starts it again, as in Circus.
 */
export class OnDemand {
  private enabled = false;
  private unwatch: (() => void) | null = null;

  constructor(private readonly watcher: Watcher) {
    // A start from elsewhere (the `start` command) needs no trigger; a stop re-arms one.
    watcher.on("starting", () => this.disarm());
    watcher.on("stopped", () => this.arm());
  }

  /** Whether the watcher waits for a connection right now. */
  get armed(): boolean {
    return this.unwatch !== null;
  }

  /** Starts waiting (now, if the watcher is stopped, and after every stop). */
  enable(): void {
    this.enabled = true;
    this.arm();
  }

  /** Stops waiting for good (the arbiter stops, the watcher is removed). */
  disable(): void {
    this.enabled = false;
    this.disarm();
  }

  /** Waits on the watcher's current sockets (they changed: a config reload). */
  refresh(): void {
    if (!this.armed) return;
    this.disarm();
    this.arm();
  }

  private arm(): void {
    const w = this.watcher;
    if (!this.enabled || this.unwatch || w.status() !== "stopped") return;
    // The sockets the watcher's processes get; a watcher handed none waits on every
    // socket, as Circus (which watches them all).
    const own = socketFds(w.config, w.sockets).map(([, fd]) => fd);
    const fds = [...new Set(own.length > 0 ? own : Object.values(w.sockets))];
    if (fds.length === 0) {
      logger.warning(`${w.name}: on_demand but there is no socket to wait on`);
      return;
    }
    logger.debug(`${w.name}: waiting for a connection to start (on_demand)`);
    this.unwatch = watchReadable(fds, () => {
      this.disarm();
      logger.info(`${w.name}: connection waiting, starting (on_demand)`);
      void w.start();
    });
  }

  private disarm(): void {
    this.unwatch?.();
    this.unwatch = null;
  }
}
