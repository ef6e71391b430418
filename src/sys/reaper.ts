import { native } from "./native.js";
import { signalName } from "./signals.js";

/** How a child ended: an exit code, or the signal that killed it. */
export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const waiting = new Map<number, (exit: ChildExit) => void>();
let listening = false;
let scheduled = false;

/** Reaps `pid` (an exited child of ours) and resolves its waiter. */
function settle(pid: number, code: number, signum: number): void {
  const resolve = waiting.get(pid);
  waiting.delete(pid);
  resolve?.({
    code: code >= 0 ? code : null,
    signal: signum > 0 ? (signalName(signum) as NodeJS.Signals) : null,
  });
}

/**
 * One sweep per burst of SIGCHLD: signals coalesce, so every exited child is reaped. The
 * kernel names them one by one, so a sweep costs what exited, not what runs (10,000 waitpid
 * calls per SIGCHLD made a stop of 10,000 quadratic). Only our own pids are reaped, never
 * -1, so the children that Node's child_process starts stay Node's: when the exited child
 * the kernel names is one of those, each of ours is asked in turn instead.
 */
function sweep(): void {
  scheduled = false;
  const n = native();
  while (waiting.size > 0) {
    const pid = n.exitedChild();
    if (pid <= 0) return;
    if (!waiting.has(pid)) break;
    for (const [reaped, code, signum] of n.reap(Int32Array.of(pid))) settle(reaped, code, signum);
  }
  if (waiting.size === 0) return;
  for (const [pid, code, signum] of n.reap(Int32Array.from(waiting.keys())))
    settle(pid, code, signum);
}

function onSigchld(): void {
  if (scheduled) return;
  scheduled = true;
  setImmediate(sweep);
}

/**
 * Installs the SIGCHLD listener; called before the first spawn, since a SIGCHLD that comes
 * before the listener is lost. It stays: a signal listener does not keep the process alive.
 */
export function listenForExits(): void {
  if (listening) return;
  process.on("SIGCHLD", onSigchld);
  listening = true;
}

/** Resolves when the child `pid` (started by the native spawner) exits, after reaping it. */
export function waitForExit(pid: number): Promise<ChildExit> {
  listenForExits();
  return new Promise((resolve) => waiting.set(pid, resolve));
}
