/** The types a watcher shares with its arbiter and the layers above. */
import type { WatcherConfig } from "../config/types.js";
import type { ProcessTable } from "../sys/process-table.js";
import type { Process } from "./process.js";
import type { SignalOptions } from "./watcher-signals.js";

export type WatcherStatus = "stopped" | "starting" | "active" | "stopping";

/** An event of a watcher, published later as `watcher.NAME.TOPIC`. */
export interface WatcherEvent {
  watcher: string;
  topic: string;
  data: Record<string, unknown>;
}

/** What a watcher emits: its events for the publisher, and its own state turns. */
export interface WatcherEvents {
  event: [WatcherEvent];
  starting: [];
  stopped: [];
  /** Its processes' readiness changed (see Watcher.isReady). */
  readiness: [];
  /**
   * It gave up, with why: max_retry spawns failed in a row, or the Flapping plugin stopped
   * it for good (a `stop` with `gave_up`). An essential watcher's makes circusd leave.
   */
  gaveUp: [string];
}

/**
 * The arbiter that owns a watcher, as the watcher sees it: the queue its state changes go
 * through, and what its hooks receive as `arbiter`.
 */
export interface WatcherHost {
  /** Runs a state change in the owner's one queue, after those before it. */
  exclusive<T>(job: () => Promise<T> | T): Promise<T>;
}

/**
 * A watcher's state changes, run at once, without queueing: handed to the arbiter that takes
 * the watcher, for the changes running in its queue (which must not queue their own steps).
 * The watcher's public methods of the same names queue them.
 */
export interface WatcherChanges {
  start(): Promise<boolean>;
  stop(): Promise<void>;
  restart(): Promise<boolean>;
  reload(graceful?: boolean, sequential?: boolean): Promise<void>;
  setNumprocesses(count: number): Promise<number>;
  applyConfig(config: WatcherConfig, updates?: number): Promise<void>;
  manage(): Promise<void>;
  spawnProcesses(): Promise<boolean>;
  spawnProcess(wid?: number): Promise<Process | null>;
  killProcess(p: Process, signum?: number, gracefulTimeout?: number): Promise<void>;
  sendSignal(signum: number, options?: SignalOptions): Promise<number[]>;
}

/** How a watcher is built beyond its config. */
export interface WatcherOptions {
  /** Where its processes run: the OS's table unless a test gives a fake one. */
  processTable?: ProcessTable;
}
