/**
 * A fake process table for the watcher's unit tests: processes that exist only in memory,
 * die when told to (or on the signals they do not ignore), so that back-off, max_age, wids,
 * warmup and escalation run in milliseconds, under mock timers.
 */
import type { ProcessTable } from "../../src/index.js";
import { signalName } from "../../src/sys/signals.js";
import { SpawnError } from "../../src/sys/spawn.js";
import type { SpawnSpec, Child } from "../../src/sys/spawn.js";

/** One fake process. */
export interface FakeProcess {
  pid: number;
  argv: string[];
  alive: boolean;
  /** Signal numbers received, in order. */
  signals: number[];
  /** Makes it exit, as if it ended on its own. */
  exit(code: number | null, signal?: NodeJS.Signals | null): void;
}

/** How spawned processes behave. */
export interface FakeBehaviour {
  /** Signals the process survives (SIGKILL is never ignored). */
  ignores?: number[];
  /** Spawns fail with a SpawnError while this returns true. */
  failSpawn?: (spec: SpawnSpec) => boolean;
}

/** A process table in memory; `processes` lists every process ever spawned, in order. */
export class FakeTable implements ProcessTable {
  readonly processes: FakeProcess[] = [];
  private nextPid = 1000;

  constructor(public behaviour: FakeBehaviour = {}) {}

  spawn(spec: SpawnSpec): Child {
    if (this.behaviour.failSpawn?.(spec)) throw new SpawnError(`${spec.argv[0]}: cannot run`);
    let resolve!: (exit: { code: number | null; signal: NodeJS.Signals | null }) => void;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
      (r) => (resolve = r),
    );
    const fake: FakeProcess = {
      pid: this.nextPid++,
      argv: spec.argv,
      alive: true,
      signals: [],
      exit: (code, signal = null) => {
        if (!fake.alive) return;
        fake.alive = false;
        resolve({ code, signal });
      },
    };
    this.processes.push(fake);
    return { pid: fake.pid, stdout: null, stderr: null, exited };
  }

  signal(pid: number, signum: number): boolean {
    const fake = this.processes.find((p) => p.pid === pid);
    if (!fake?.alive) return false;
    fake.signals.push(signum);
    if (signum === 0) return true;
    if (signum === 9 || !(this.behaviour.ignores ?? []).includes(signum)) {
      // As a real child: the death is seen after the signal call returns.
      setImmediate(() => fake.exit(null, signalName(signum) as NodeJS.Signals));
    }
    return true;
  }

  children(): number[] {
    return [];
  }

  /** The processes alive now. */
  alive(): FakeProcess[] {
    return this.processes.filter((p) => p.alive);
  }
}
