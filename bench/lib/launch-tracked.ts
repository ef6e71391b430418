/** Launching a system with its `sleep` children tracked, and cleaned up whatever happens. */
import { onCleanup } from "./cleanup.js";
import { WORK_DIR } from "./paths.js";
import { ChildTracker, countFds, delay, killStrays, readMem } from "./proc.js";
import type { Instance, System } from "./types.js";

/** A launched system, the tracker of its `sleep` children, and the cleanup to await. */
export interface Tracked {
  instance: Instance;
  tracker: ChildTracker;
  /** Stops the system and SIGKILLs any child left; call it in a `finally`. */
  release: () => Promise<void>;
}

/** Launches `n` sleeps under `system`; cleanup also runs if the harness is interrupted. */
export async function launchTracked(system: System, n: number): Promise<Tracked> {
  const instance = await system.launch(n);
  const tracker = new ChildTracker("sleep", () => instance.daemonPid());
  const release = onCleanup(async () => {
    await instance.cleanup();
    await tracker.scan(true);
    tracker.signalAll("SIGKILL");
    const strays = killStrays("sleep", WORK_DIR);
    if (strays > 0) console.error(`[bench] ${system.id}: killed ${strays} stray children`);
  });
  return { instance, tracker, release };
}

/** What a settled system runs and holds. */
export interface Settled {
  settledCount: number;
  fds?: number;
  rssMiB?: number;
  hwmMiB?: number;
}

/**
 * Once all are up: the system's own settling and `settleMs` more, then the children still
 * running and the daemon's open fds and memory.
 */
export async function settle(
  { instance, tracker }: Tracked,
  daemonPid: number,
  opts: { startTimeoutMs: number; settleMs: number },
): Promise<Settled> {
  await instance.launchSettled(opts.startTimeoutMs);
  await delay(opts.settleMs);
  const settled: Settled = { settledCount: await tracker.scan(true), fds: countFds(daemonPid) };
  const mem = readMem(daemonPid);
  if (mem !== undefined) {
    settled.rssMiB = mem.rssKiB / 1024;
    settled.hwmMiB = mem.hwmKiB / 1024;
  }
  return settled;
}
