/** The contract between scenarios and the systems they compare. */
import type { RunResult } from "./exec.js";
import type { LineLog } from "./log.js";
import type { ControlRpc } from "./rpc.js";

/** How a normal stop ended, as far as the system's own command tells. */
export interface StopDone {
  /** now() when the stop command returned / the daemon exited; undefined on timeout. */
  at: number | undefined;
  /** What `at` is, e.g. "daemon exited" or "`supervisorctl stop all` returned". */
  what: string;
}

/** One running instance of a system under test. */
export interface Instance {
  /** now() just before the first command was spawned. */
  readonly t0: number;
  /** The daemon's pid (the root of the managed processes), once known. */
  daemonPid(): number | undefined;
  /** Everything the daemon logged, with arrival times. */
  readonly log: LineLog;
  /** Resolves once the launch command itself is done (e.g. `pm2 start` returned). */
  launchSettled(timeoutMs: number): Promise<void>;
  /** The system's normal way to stop everything; resolves when that is done. */
  stop(timeoutMs: number): Promise<StopDone>;
  /** Sends SIGTERM to the daemon. */
  terminate(): void;
  /** now() when the daemon exited, or undefined if still running after `timeoutMs`. */
  daemonExit(timeoutMs: number): Promise<number | undefined>;
  /** Runs the system's own "status of everything" command once (none for raw). */
  status?(timeoutMs: number): Promise<RunResult>;
  /** The control endpoint, for systems that have one (ours, Python Circus). */
  readonly endpoint?: string;
  /** A new persistent client of the daemon's own control interface (none for raw). */
  rpc?(): ControlRpc;
  /** Stops and kills whatever is left; never throws, may be called twice. */
  cleanup(): Promise<void>;
}

/** A system under test. */
export interface System {
  /** Short id used on the command line and in tables. */
  readonly id: string;
  /** True for the raw C baseline (ratios "to raw" divide by it). */
  readonly isRaw: boolean;
  /** True for this project (ratios "to ours" divide by it). */
  readonly isOurs: boolean;
  /** First log line pattern that shows the daemon reacting to SIGTERM. */
  readonly stopPattern: RegExp;
  /** undefined if usable, otherwise why not (e.g. "dist/cli/circusd.js not built"). */
  unavailable(): Promise<string | undefined>;
  /** Version string for the report header. */
  version(): Promise<string>;
  /** Starts the daemon managing `n` × `sleep 100000`; the clock starts inside. */
  launch(n: number): Promise<Instance>;
}
