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

/**
 * One sweep per burst of SIGCHLD: signals coalesce, so every pid we wait for is checked with
 * a non-blocking waitpid. Only our own pids are waited for, never -1, so the children that
 * Node's child_process starts stay Node's.
 */
function sweep(): void {
  scheduled = false;
  if (waiting.size === 0) return;
  for (const [pid, code, signum] of native().reap(Int32Array.from(waiting.keys()))) {
    const resolve = waiting.get(pid);
    waiting.delete(pid);
    resolve?.({
      code: code >= 0 ? code : null,
      signal: signum > 0 ? (signalName(signum) as NodeJS.Signals) : null,
    });
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
