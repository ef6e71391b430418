import { native } from "./native.js";
import { isNodeChild } from "./node-children.js";
import { signalName } from "./signals.js";

/** How a child ended: an exit code, or the signal that killed it. */
export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const waiting = new Map<number, (exit: ChildExit) => void>();
let listening = false;
let scheduled = false;

/** The first and the longest wait before looking again past an exited child of Node's. */
const RETRY_MIN_MS = 10;
const RETRY_MAX_MS = 1000;

/** A reaped status as a ChildExit. */
function exitOf(code: number, signum: number): ChildExit {
  return {
    code: code >= 0 ? code : null,
    signal: signum > 0 ? (signalName(signum) as NodeJS.Signals) : null,
  };
}

/** Reaps `pid` (an exited child of ours) and resolves its waiter. */
function settle(pid: number, code: number, signum: number): void {
  const resolve = waiting.get(pid);
  waiting.delete(pid);
  resolve?.(exitOf(code, signum));
}

/**
 * Container mode (sys/container.ts): orphans reparented to circusd (it is PID 1, or a child
 * subreaper) are reaped too, and told here. Null: only our own pids are reaped.
 */
let orphans: ((pid: number, exit: ChildExit) => void) | null = null;
/** A later sweep, while an exited child of Node's hides the exited orphans behind it. */
let retry: NodeJS.Timeout | null = null;
let retryDelay = RETRY_MIN_MS;

/**
 * One sweep per burst of SIGCHLD: signals coalesce, so every exited child is reaped. The
 * kernel names them one by one, so a sweep costs what exited, not what runs (10,000 waitpid
 * calls per SIGCHLD made a stop of 10,000 quadratic). Only our own pids are reaped, never
 * -1, so the children that Node's child_process starts stay Node's: when the exited child
 * the kernel names is one of those, each of ours is asked in turn instead.
 *
 * In container mode, an exited child that is neither ours nor Node's (sys/node-children.ts)
 * is an orphan: it is reaped by its pid too. The kernel names the exited children oldest
 * first and leaves them unreaped (WNOWAIT), so one of Node's, until libuv reaps it, hides the
 * orphans behind it: a later sweep looks again.
 */
function sweep(): void {
  scheduled = false;
  const n = native();
  let blocked = false;
  while (waiting.size > 0 || orphans !== null) {
    const pid = n.exitedChild();
    if (pid <= 0) break;
    if (waiting.has(pid)) {
      for (const [reaped, code, signum] of n.reap(Int32Array.of(pid))) settle(reaped, code, signum);
      continue;
    }
    if (orphans !== null && !isNodeChild(pid)) {
      for (const [reaped, code, signum] of n.reap(Int32Array.of(pid)))
        orphans(reaped, exitOf(code, signum));
      continue;
    }
    blocked = true;
    break;
  }
  if (!blocked) {
    retryDelay = RETRY_MIN_MS;
    return;
  }
  if (waiting.size > 0)
    for (const [pid, code, signum] of n.reap(Int32Array.from(waiting.keys())))
      settle(pid, code, signum);
  if (orphans !== null && retry === null) {
    retry = setTimeout(() => {
      retry = null;
      sweep();
    }, retryDelay);
    retry.unref();
    retryDelay = Math.min(retryDelay * 2, RETRY_MAX_MS);
  }
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

/**
 * Container mode: from now on every exited child that is neither the native spawner's nor
 * Node's child_process's (an orphan reparented to circusd) is reaped, and `onOrphan` told.
 * Sweeps once at once, for the orphans that exited before.
 */
export function reapOrphans(onOrphan: (pid: number, exit: ChildExit) => void): void {
  orphans = onOrphan;
  listenForExits();
  onSigchld();
}
