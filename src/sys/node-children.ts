/**
 * The children that Node's child_process starts in circusd (the process kernel, an ssh
 * tunnel, the --daemon re-run): libuv reaps them itself, with waitpid(pid), when they exit.
 * The orphan reaper of container mode (sys/reaper.ts) reaps any exited child that is neither
 * one of the native spawner's nor one of these, so every use of child_process in circusd must
 * register its child here, or the reaper could take its exit status before Node does.
 */
import type { ChildProcess } from "node:child_process";

const pids = new Set<number>();

/**
 * Registers a child just started by child_process (call it at once, before any await: the
 * pid is known synchronously); it leaves the registry when Node has reaped it.
 */
export function trackNodeChild(child: ChildProcess): ChildProcess {
  const pid = child.pid;
  if (pid === undefined) return child;
  pids.add(pid);
  // 'exit' comes after libuv's waitpid: from then on the pid may be anyone's.
  child.once("exit", () => pids.delete(pid));
  return child;
}

/** Whether `pid` is a child of child_process that Node has not reaped yet. */
export function isNodeChild(pid: number): boolean {
  return pids.has(pid);
}
