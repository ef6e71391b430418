/** Launching a system with its `sleep` children tracked, and cleaned up whatever happens. */
import { onCleanup } from "./cleanup.js";
import { WORK_DIR } from "./paths.js";
import { ChildTracker, killStrays } from "./proc.js";
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
