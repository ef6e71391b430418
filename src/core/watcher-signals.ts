/**
 * How a watcher signals its processes: through the before_signal / after_signal hooks, with
 * a `kill` event for each process signalled, and the graceful stop (stop_signal, then
 * SIGKILL to the whole tree once graceful_timeout has passed).
 */
import type { HookName, WatcherConfig } from "../config/types.js";
import { logger } from "../log/logger.js";
import { signalName } from "../sys/signals.js";
import type { HookExtra } from "./hooks.js";
import type { Process } from "./process.js";

/** Options of a signal sent through the watcher (the `signal` command's properties). */
export interface SignalOptions {
  pid?: number;
  childPid?: number;
  /** Signal the children too (every descendant when recursive). */
  children?: boolean;
  recursive?: boolean;
  /** With children: the children only, not the process itself (the `signal --children`). */
  onlyChildren?: boolean;
}

/** What signalling needs of its watcher. */
export interface SignalSubject {
  readonly name: string;
  readonly config: WatcherConfig;
  hook(name: HookName, extra?: HookExtra): Promise<boolean>;
  /** Publishes a watcher event (`kill`). */
  notify(topic: string, data: Record<string, unknown>): void;
}

/**
 * Stops one process: stop_signal (to its children too with stop_children), then SIGKILL to
 * it and all its descendants once graceful_timeout has passed. Each signal sent is a `kill`
 * event, as in Circus.
 */
export async function killProcess(
  w: SignalSubject,
  p: Process,
  signum: number,
  gracefulTimeout: number,
): Promise<void> {
  if (p.exit) return;
  p.stopping = true;
  await signalTree(w, p, signum, w.config.stopChildren, false);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), gracefulTimeout * 1000);
  });
  const forced = await Promise.race([p.exited.then(() => false), timedOut]);
  clearTimeout(timer);
  if (forced && !p.exit) {
    logger.info(
      `${w.name}: process ${p.pid} still alive after ${gracefulTimeout}s, sending SIGKILL`,
    );
    await signalTree(w, p, 9, true, true);
    await p.exited;
  }
}

/**
 * Circus's `send_signal_process`: the process (through the signal hooks), then its children
 * (every descendant when recursive), with a `kill` event for each one that was there.
 */
async function signalTree(
  w: SignalSubject,
  p: Process,
  signum: number,
  children: boolean,
  recursive: boolean,
): Promise<void> {
  // The children are listed first: once the process dies they are no longer its children.
  const pids = children ? p.children(recursive) : [];
  if (await signalProcess(w, p, signum)) w.notify("kill", { process_pid: p.pid });
  for (const pid of p.signalPids(pids, signum)) w.notify("kill", { process_pid: pid });
}

/**
 * Sends a signal to one process, through the before_signal / after_signal hooks; false
 * when the process was already gone.
 */
export async function signalProcess(
  w: SignalSubject,
  p: Process,
  signum: number,
  options: SignalOptions = {},
): Promise<boolean> {
  if (p.exit) return false;
  const allowed = await w.hook("before_signal", { pid: p.pid, signum });
  let present = !p.exit;
  if (!allowed && signum !== 9) {
    logger.info(`${w.name}: before_signal hook suppressed ${signalName(signum)} to ${p.pid}`);
  } else if (options.childPid !== undefined) {
    p.sendSignalChild(options.childPid, signum, options.recursive);
  } else {
    // The process first, as Circus: a shell whose children died first would exit 0 before
    // its own signal came. Its children are listed before it can die and leave them.
    const children = options.children ? p.children(options.recursive) : [];
    if (!options.onlyChildren) present = p.sendSignal(signum);
    p.signalPids(children, signum);
  }
  await w.hook("after_signal", { pid: p.pid, signum });
  return present;
}

/** The `signal` command: to every process, or the one with `pid`; the pids signalled. */
export async function signalProcesses(
  w: SignalSubject,
  processes: ReadonlyMap<number, Process>,
  signum: number,
  options: SignalOptions,
): Promise<number[]> {
  const targets =
    options.pid === undefined ? [...processes.values()] : [processes.get(options.pid)];
  const found = targets.filter((p): p is Process => p !== undefined);
  await Promise.all(found.map((p) => signalProcess(w, p, signum, options)));
  return found.map((p) => p.pid);
}
