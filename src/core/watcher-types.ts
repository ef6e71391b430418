/** The types a watcher shares with its arbiter and the layers above. */
import type { ProcessTable } from "../sys/process-table.js";

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
}

/**
 * The arbiter that owns a watcher, as the watcher sees it: the queue its state changes go
 * through, and what its hooks receive as `arbiter`.
 */
export interface WatcherHost {
  /** Runs a state change in the owner's one queue (at once when called from inside it). */
  exclusive<T>(job: () => Promise<T> | T): Promise<T>;
}

/** How a watcher is built beyond its config. */
export interface WatcherOptions {
  /** Where its processes run: the OS's table unless a test gives a fake one. */
  processTable?: ProcessTable;
}
