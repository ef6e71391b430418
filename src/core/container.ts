/**
 * Container mode (beyond Circus): circusd as a container's PID 1, or told so (`--container`,
 * `[circus] container = true`), does an init's duties. It reaps every orphan reparented to it
 * (PID 1 of its PID namespace gets them all; otherwise it makes itself the child subreaper of
 * its descendants), never the children that Node's child_process or the native spawner
 * wait for (sys/reaper.ts). At the end, what is left of the namespace (or of its
 * descendants) is ended too, so that a container's stop leaves nothing behind.
 *
 * Also here: what makes circusd leave on its own, an essential watcher that gave up, and the
 * exit codes that say why it left.
 */
import { readFileSync, readdirSync } from "node:fs";
import { logger } from "../log/logger.js";
import { native } from "../sys/native.js";
import { isNodeChild } from "../sys/node-children.js";
import { reapOrphans } from "../sys/reaper.js";
import type { Arbiter } from "./arbiter.js";
import type { Watcher } from "./watcher.js";

/**
 * circusd's exit codes. 2 is left out: it is argparse's usage error in Circus, and a wrapper
 * could take it for one.
 */
export const EXIT_CODES = {
  /** Stopped on request: SIGTERM, SIGINT or SIGQUIT, or the `quit` command, all gracefully. */
  stopped: 0,
  /** Did not start: a bad config or command line, an endpoint or socket that cannot bind. */
  startupError: 1,
  /** An essential watcher gave up (max_retry failed spawns, or Flapping's last stop). */
  essentialGaveUp: 3,
  /** A second SIGTERM or SIGINT cut the graceful stop short: what was left got SIGKILL. */
  forced: 4,
} as const;

/**
 * Container mode, at exit: how long the processes left after the watchers stopped (orphans
 * and what they started) have between SIGTERM and SIGKILL.
 */
export const LEFTOVER_GRACE_SECONDS = 5;

/** How circusd does its init's duties. */
export interface ContainerMode {
  /** circusd is PID 1 of its PID namespace. */
  pid1: boolean;
  /** circusd made itself its descendants' child subreaper (not PID 1). */
  subreaper: boolean;
}

/**
 * Turns container mode on: a subreaper unless PID 1, and the orphans reaped from now on.
 *
 * @throws the prctl error when the kernel refuses to make circusd a subreaper.
 */
export function enterContainerMode(): ContainerMode {
  const pid1 = process.pid === 1;
  if (!pid1) native().setChildSubreaper();
  reapOrphans((pid, exit) => {
    const how = exit.signal !== null ? `signal ${exit.signal}` : `exit code ${exit.code}`;
    logger.debug(`reaped orphan ${pid} (${how})`);
  });
  logger.info(
    pid1
      ? "container mode: circusd is PID 1; it reaps every orphan of the namespace"
      : "container mode: circusd is the child subreaper of its descendants; it reaps their orphans",
  );
  return { pid1, subreaper: !pid1 };
}

/**
 * Calls `onGiveUp` when an essential watcher (`essential = true`) gives up: its spawns
 * failed max_retry times in a row, or the Flapping plugin stopped it for good. Returns the
 * function that stops listening.
 */
export function watchEssentials(
  arbiter: Arbiter,
  onGiveUp: (watcher: Watcher, reason: string) => void,
): () => void {
  const listener = (watcher: Watcher, reason: string): void => {
    if (watcher.config.essential) onGiveUp(watcher, reason);
  };
  arbiter.on("gave-up", listener);
  return () => arbiter.off("gave-up", listener);
}

/**
 * A second SIGTERM or SIGINT: SIGKILL to every process of every watcher now (and as PID 1,
 * to every process of the namespace), so that the stop under way ends at once.
 */
export function killEverything(arbiter: Arbiter, mode: ContainerMode | null): void {
  for (const watcher of arbiter.watchers)
    for (const p of watcher.processes.values()) p.sendSignal(9);
  if (mode?.pid1) signalAll("SIGKILL");
}

/**
 * After the watchers stopped: ends what is left, the orphans and the processes they started.
 * As PID 1, every other process of the namespace (kill -1); as a subreaper, circusd's
 * children that are neither a watcher's nor Node's, again as their own children are
 * reparented to it. SIGTERM first, SIGKILL after `graceSeconds`. Resolves with how many
 * processes it signalled.
 */
export async function endLeftovers(mode: ContainerMode, graceSeconds: number): Promise<number> {
  const deadline = Date.now() + graceSeconds * 1000;
  let signalled = 0;
  let killing = false;
  for (let round = 0; ; round++) {
    const left = mode.pid1 ? (signalAll(0) ? -1 : 0) : leftoverChildren().length;
    if (left === 0) return signalled;
    if (!killing && Date.now() >= deadline) {
      killing = true;
      logger.warning("container mode: processes left after the grace period: SIGKILL");
    }
    const signal = killing ? "SIGKILL" : "SIGTERM";
    if (mode.pid1) {
      if (round === 0 || (killing && round % 20 === 0)) signalAll(signal);
    } else {
      for (const pid of leftoverChildren()) {
        try {
          process.kill(pid, signal);
          signalled++;
        } catch {
          // Gone meanwhile.
        }
      }
    }
    if (round === 0 && mode.pid1) {
      signalled++;
      logger.info("container mode: ending the processes left in the namespace");
    }
    // Their exits are reaped by the orphan reaper, as SIGCHLD comes.
    await new Promise((resolve) => setTimeout(resolve, 50));
    if (killing && Date.now() > deadline + 5000) return signalled;
  }
}

/** kill(-1, signal) as PID 1: false when no other process is left (ESRCH). */
function signalAll(signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-1, signal);
    return true;
  } catch {
    return false;
  }
}

/** circusd's children that no watcher and no child_process owns: orphans reparented to it. */
function leftoverChildren(): number[] {
  const self = process.pid;
  const found: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, "latin1");
    } catch {
      continue;
    }
    // pid (comm) state ppid ...: comm may hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const pid = Number(name);
    // A zombie is dead already: the orphan reaper takes it as its SIGCHLD comes.
    if (fields[0] !== "Z" && Number(fields[1]) === self && !isNodeChild(pid)) found.push(pid);
  }
  return found;
}
