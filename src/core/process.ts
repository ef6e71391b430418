import { EventEmitter } from "node:events";
import { constants } from "node:os";
import { readStat } from "../sys/proc.js";
import { osProcessTable, type ProcessTable } from "../sys/process-table.js";
import type { StdioMode } from "../sys/native.js";
import type { Child, HostedOutput } from "../sys/spawn.js";
import {
  sampleProcess,
  type CpuSample,
  type ProcessInfo,
  type SampleContext,
} from "../stats/process-info.js";
import { formatCommand, type FormatValues } from "./format.js";
import { shellQuote, shlexSplit } from "./shlex.js";
import type { ChildExit as ProcessExit } from "../sys/reaper.js";

/** Process status constants, with Circus's values. */
export const RUNNING = 0;
export const DEAD_OR_ZOMBIE = 1;
export const UNEXISTING = 2;
export const OTHER = 3;
export type ProcessStatus =
  typeof RUNNING | typeof DEAD_OR_ZOMBIE | typeof UNEXISTING | typeof OTHER;

/** What one process runs, already resolved (numeric uid/gid, env built). */
export interface ProcessOptions {
  /** The watcher's name. */
  name: string;
  wid: number;
  cmd: string;
  args?: string | string[] | null;
  shell?: boolean;
  shellArgs?: string | null;
  executable?: string | null;
  workingDir?: string | null;
  uid?: number | null;
  gid?: number | null;
  /** Supplementary groups, set with uid. */
  groups?: number[] | null;
  env?: Record<string, string>;
  rlimits?: Record<string, number | null>;
  closeChildStdin?: boolean;
  closeChildStdout?: boolean;
  closeChildStderr?: boolean;
  /**
   * Where stdout and stderr go when not to a pipe of the process's own: the write ends of
   * pipes its watcher's processes share (see WatcherOutput.pipesFor).
   */
  sharedOutput?: SharedPipes | null;
  /** Socket name -> fd number in the child, for `$(circus.sockets.NAME)`. */
  sockets?: Record<string, number>;
  /** [fd in the child, fd in circusd]: the sockets handed over (fd 0 for stdin_socket). */
  fds?: [number, number][];
  /** Other options usable as `$(circus.OPTION)` in cmd and args. */
  formatOptions?: Record<string, string | number | boolean | null>;
}

/** The write ends of the pipes a watcher's processes share, for their stdout and stderr. */
export interface SharedPipes {
  stdout: number;
  stderr: number;
}

/**
 * A child's stdout (fd 1) or stderr (fd 2): closed, a pipe of its own, or the shared pipe,
 * handed over as an fd set after stdio.
 */
function stdioOf(
  fd: 1 | 2,
  closed: boolean | undefined,
  shared: SharedPipes | null | undefined,
  fds: [number, number][],
): StdioMode {
  if (closed) return "null";
  if (!shared) return "pipe";
  fds.push([fd, fd === 1 ? shared.stdout : shared.stderr]);
  return "inherit";
}

/** How a process ended. */
export type { ChildExit as ProcessExit } from "../sys/reaper.js";

/** The exit code as Circus reports it: minus the signal number for a death by signal. */
export function circusExitCode(exit: ProcessExit): number | null {
  return exit.code ?? (exit.signal ? -(constants.signals[exit.signal] ?? 0) : null);
}

/**
 * Fills `$(circus.wid)`, `$(circus.env.X)`, `$(circus.sockets.NAME)` and the other
 * `$(circus.OPTION)`s of `text` for one process (its command line, its readiness probe).
 */
export function formatForProcess(options: ProcessOptions, text: string): string {
  const values: FormatValues = {
    wid: options.wid,
    env: options.env ?? {},
    sockets: options.sockets ?? {},
    options: {
      name: options.name,
      shell: options.shell ?? false,
      working_dir: options.workingDir ?? null,
      uid: options.uid ?? null,
      gid: options.gid ?? null,
      executable: options.executable ?? null,
      ...options.formatOptions,
    },
  };
  // `$WID` is Circus's deprecated spelling, still found in old configs.
  return formatCommand(text, values).replaceAll("$WID", String(options.wid));
}

/**
 * Builds the argv of a process as Circus does: cmd and args formatted and split like a shell;
 * for `shell = true`, one `sh -c` command line followed by shell_args.
 */
export function buildArgv(options: ProcessOptions): string[] {
  const format = (text: string) => formatForProcess(options, text);
  if (options.shell) {
    // Circus quotes every word here, which turns `|`, `;` and `&&` into literal words; users
    // who set shell = true want shell syntax, so the command line goes to sh as written.
    const extra = Array.isArray(options.args) ? options.args.map((a) => shellQuote(format(a))) : [];
    const line = [
      format(options.cmd),
      typeof options.args === "string" ? format(options.args) : "",
      ...extra,
    ]
      .filter(Boolean)
      .join(" ");
    return [
      "/bin/sh",
      "-c",
      line,
      ...(options.shellArgs ? shlexSplit(format(options.shellArgs)) : []),
    ];
  }
  let argv = shlexSplit(format(options.cmd));
  if (typeof options.args === "string") argv = argv.concat(shlexSplit(format(options.args)));
  else if (Array.isArray(options.args)) argv = argv.concat(options.args.map(format));
  return argv;
}

/**
 * One OS process of a watcher. Created by {@link Process.spawn}, which resolves once the
 * program runs (or rejects with a SpawnError when it cannot). Emits `exit` once, with a
 * {@link ProcessExit}.
 */
export class Process extends EventEmitter {
  readonly name: string;
  readonly wid: number;
  readonly pid: number;
  /** Epoch seconds at spawn. */
  readonly started: number;
  readonly argv: string[];
  /** The read end of the process's stdout pipe; null when closed (close_child_stdout). */
  readonly stdout: number | null;
  /** The read end of its stderr pipe; null when closed. */
  readonly stderr: number | null;
  /** Resolves when the process has exited and been reaped. */
  readonly exited: Promise<ProcessExit>;
  /** Set once the process has exited. */
  exit: ProcessExit | null = null;
  /** Set by the watcher when it asked this process to stop, so its exit is no crash. */
  stopping = false;
  private readonly cpu: CpuSample = { ticks: 0, at: 0 };
  private constructor(
    options: ProcessOptions,
    argv: string[],
    private readonly child: Child,
    private readonly table: ProcessTable,
  ) {
    super();
    this.name = options.name;
    this.wid = options.wid;
    this.argv = argv;
    this.pid = child.pid;
    this.started = Date.now() / 1000;
    this.stdout = child.stdout;
    this.stderr = child.stderr;
    this.exited = child.exited.then((exit) => {
      this.exit = exit;
      this.emit("exit", exit);
      return exit;
    });
  }

  /**
   * Starts a process (in `table`, the OS's unless a test gives a fake one); throws a
   * SpawnError when the program cannot run.
   */
  static async spawn(
    options: ProcessOptions,
    table: ProcessTable = osProcessTable,
  ): Promise<Process> {
    const argv = buildArgv(options);
    const fds = [...(options.fds ?? [])];
    const shared = options.sharedOutput;
    const child = await table.spawn(
      {
        argv,
        executable: options.executable ?? undefined,
        cwd: options.workingDir ?? undefined,
        env: options.env ?? {},
        uid: options.uid ?? undefined,
        gid: options.gid ?? undefined,
        groups: options.groups ?? undefined,
        rlimits: options.rlimits,
        stdin: options.closeChildStdin === false ? "inherit" : "null",
        stdout: stdioOf(1, options.closeChildStdout, shared, fds),
        stderr: stdioOf(2, options.closeChildStderr, shared, fds),
        fds,
      },
      { watcher: options.name, wid: options.wid },
    );
    return new Process(options, argv, child, table);
  }

  /**
   * Takes back a process the process kernel kept from an earlier circusd (no hook, no spawn):
   * the same pid, wid, start time and command line.
   */
  static recover(
    options: Pick<ProcessOptions, "name" | "wid">,
    child: Child,
    started: number,
    argv: string[],
    table: ProcessTable,
  ): Process {
    const p = new Process(options as ProcessOptions, argv, child, table);
    (p as { started: number }).started = started;
    return p;
  }

  /** Its output when it does not come through circusd's pipes (the kernel hosts it). */
  get hostedOutput(): HostedOutput | null {
    return this.child.output ?? null;
  }

  /** Seconds since the process started. */
  age(): number {
    return Date.now() / 1000 - this.started;
  }

  /** RUNNING, DEAD_OR_ZOMBIE, UNEXISTING or OTHER, read from /proc. */
  get status(): ProcessStatus {
    if (this.exit) return UNEXISTING;
    const stat = readStat(this.pid);
    if (!stat) return UNEXISTING;
    if (stat.state === "Z" || stat.state === "X") return DEAD_OR_ZOMBIE;
    if ("RSDI".includes(stat.state)) return RUNNING;
    return OTHER;
  }

  /**
   * CPU, memory and identity figures; CPU is measured since the previous call. Pass one
   * SampleContext when sampling many processes at once.
   */
  info(ctx?: SampleContext): ProcessInfo | null {
    if (this.exit) return null;
    return sampleProcess(this.pid, this.cpu, ctx);
  }

  /** Pids of the process's children (every descendant when recursive). */
  children(recursive = false): number[] {
    if (this.exit) return [];
    return this.table.children(this.pid, recursive);
  }

  /** True when pid is a child of this process. */
  isChild(pid: number): boolean {
    return this.children().includes(pid);
  }

  /** Sends a signal to the process; false when it is already gone. */
  sendSignal(signum: number): boolean {
    if (this.exit) return false;
    return this.table.signal(this.pid, signum);
  }

  /**
   * Sends a signal to pids listed earlier as this process's children (or descendants), which
   * may have left it since; returns those that were still there.
   */
  signalPids(pids: number[], signum: number): number[] {
    return pids.filter((pid) => this.table.signal(pid, signum));
  }

  /** Sends a signal to one of the process's children (or descendants when recursive). */
  sendSignalChild(pid: number, signum: number, recursive = false): boolean {
    if (!this.children(recursive).includes(pid)) return false;
    return this.table.signal(pid, signum);
  }

  /** Sends a signal to every child, and to every descendant when recursive. */
  sendSignalChildren(signum: number, recursive = false): number[] {
    return this.signalPids(this.children(recursive), signum);
  }

  /**
   * Stops the process outside a watcher's graceful sequence: SIGTERM, then SIGKILL after
   * one second, as Circus's Process.stop does.
   */
  async stop(): Promise<ProcessExit> {
    if (this.exit) return this.exit;
    this.stopping = true;
    this.sendSignal(15);
    const timer = setTimeout(() => this.sendSignal(9), 1000);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}
