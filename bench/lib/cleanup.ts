/**
 * Cleanup registry: whatever a scenario must undo is registered here, so it
 * also runs when the harness is interrupted (SIGINT/SIGTERM) or fails.
 */

type Cleanup = () => Promise<void> | void;

const pending = new Set<Cleanup>();

/**
 * Registers `fn` and returns a function that runs it (once) and unregisters
 * it. Use it in a `finally`.
 */
export function onCleanup(fn: Cleanup): () => Promise<void> {
  let done = false;
  const run = async (): Promise<void> => {
    if (done) return;
    done = true;
    pending.delete(run);
    try {
      await fn();
    } catch (error) {
      console.error(`cleanup failed: ${String(error)}`);
    }
  };
  pending.add(run);
  return run;
}

/** Runs every registered cleanup, newest first. */
export async function runAllCleanups(): Promise<void> {
  for (const run of [...pending].reverse()) await run();
}

/**
 * On SIGINT/SIGTERM/SIGHUP to the harness: run the cleanups, then exit with
 * 128 + signal number.
 */
export function installSignalCleanup(): void {
  const codes: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };
  for (const [signal, code] of Object.entries(codes)) {
    process.once(signal as NodeJS.Signals, () => {
      console.error(`\nbench: ${signal}, cleaning up...`);
      void runAllCleanups().finally(() => process.exit(128 + code));
    });
  }
}
