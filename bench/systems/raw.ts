/**
 * The raw limit: bench/raw/spawn.c, compiled at run time, posix_spawn's the
 * sleeps in a loop and forwards SIGTERM to them.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { launch, run, within } from "../lib/exec.js";
import { LineLog } from "../lib/log.js";
import { BENCH_DIR, freshWorkDir, WORK_DIR } from "../lib/paths.js";
import { killTree, now, signalPid } from "../lib/proc.js";
import type { Instance, System } from "../lib/types.js";

const SOURCE = join(BENCH_DIR, "raw", "spawn.c");
const BINARY = join(WORK_DIR, "spawn");

let compiled: string | undefined;

/**
 * Compiles spawn.c into bench/work/spawn (once per harness run); returns an
 * error message on failure.
 */
async function compile(): Promise<string | undefined> {
  if (compiled === BINARY) return undefined;
  mkdirSync(WORK_DIR, { recursive: true });
  const result = await run(["gcc", "-O2", "-Wall", "-o", BINARY, SOURCE], { timeoutMs: 60_000 });
  if (result.code !== 0) return `gcc failed: ${result.stderr.trim() || String(result.code)}`;
  compiled = BINARY;
  return undefined;
}

/** posix_spawn loop in C: the lower bound for start, stop and RSS. */
export const raw: System = {
  id: "raw",
  isRaw: true,
  isOurs: false,
  stopPattern: /^stopping/,

  unavailable: compile,

  async version() {
    const result = await run(["gcc", "-dumpfullversion"], { timeoutMs: 10_000 });
    return `bench/raw/spawn.c, gcc ${result.stdout.trim()} -O2`;
  },

  async launch(n: number): Promise<Instance> {
    const failure = await compile();
    if (failure !== undefined) throw new Error(failure);
    const dir = freshWorkDir("raw");
    const log = new LineLog(join(dir, "spawn.log"));
    const t0 = now();
    const daemon = launch([BINARY, String(n), "sleep", "100000"], { log, cwd: dir });
    const daemonExit = async (timeoutMs: number): Promise<number | undefined> =>
      (await within(daemon.exited, timeoutMs, undefined))?.at;
    return {
      t0,
      log,
      daemonPid: () => daemon.pid,
      launchSettled: async () => {},
      async stop(timeoutMs) {
        signalPid(daemon.pid, "SIGTERM");
        return { at: await daemonExit(timeoutMs), what: "spawn exited" };
      },
      terminate: () => void signalPid(daemon.pid, "SIGTERM"),
      daemonExit,
      async cleanup() {
        if (!daemon.hasExited()) {
          signalPid(daemon.pid, "SIGTERM");
          await daemonExit(10_000);
        }
        if (!daemon.hasExited()) killTree(daemon.pid);
        await daemonExit(5_000);
        log.close();
      },
    };
  },
};
