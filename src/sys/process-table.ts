/**
 * What the core asks of the operating system about the processes it runs: start one, signal
 * one, list one's children. The real table is the OS's; a test hands a watcher a fake one to
 * run the watcher's logic (back-off, max_age, wids, escalation) in milliseconds.
 */
import { childrenOf } from "./proc.js";
import { sendSignalTo } from "./signals.js";
import { spawnChild, type Child, type SpawnSpec } from "./spawn.js";

/** What a process is to its watcher, kept with it where it is hosted (the process kernel). */
export interface ProcessTag {
  watcher: string;
  wid: number;
}

/** The processes of the machine, as the core sees them. */
export interface ProcessTable {
  /**
   * Starts a child; throws (or rejects with) a SpawnError when the program cannot run.
   * `tag` says whose it is, for a table that keeps processes across circusd's restarts.
   */
  spawn(spec: SpawnSpec, tag?: ProcessTag): Child | Promise<Child>;
  /**
   * Whether its processes live outside circusd (the process kernel): their output comes with
   * them, never through pipes of circusd's, and they outlive circusd.
   */
  readonly hosted?: boolean;
  /** Sends a signal; false when the process is gone. */
  signal(pid: number, signum: number): boolean;
  /** Pids of a process's children (every descendant when recursive). */
  children(pid: number, recursive: boolean): number[];
}

/** The operating system's process table. */
export const osProcessTable: ProcessTable = {
  spawn: spawnChild,
  signal: sendSignalTo,
  children: (pid, recursive) => childrenOf(pid, recursive),
};
