import { accessSync, constants, statSync } from "node:fs";
import path from "node:path";
import { openFilesLimit } from "./fd-budget.js";
import { native, type StdioMode } from "./native.js";
import { listenForExits, waitForExit, type ChildExit } from "./reaper.js";

/** A spawn that failed before the program ran (bad command, folder, user...). */
export class SpawnError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = "SpawnError";
  }
}

/** Everything needed to start one child. */
export interface SpawnSpec {
  /** argv[0] is what the program sees as its name. */
  argv: string[];
  /** The program to execute; argv[0] when not given (`executable` option). */
  executable?: string;
  cwd?: string;
  env: Record<string, string>;
  uid?: number;
  gid?: number;
  /**
   * Supplementary groups to set, every one (up to the kernel's NGROUPS_MAX, 65536 on Linux);
   * resolved once per watcher, not per spawn. With a uid and no groups, the child gets none
   * rather than circusd's.
   */
  groups?: number[];
  /**
   * name -> value (null: unlimited), set as both soft and hard limit before exec; a name
   * Linux has no RLIMIT_ for is refused.
   */
  rlimits?: Record<string, number | null>;
  stdin: StdioMode;
  stdout: StdioMode;
  stderr: StdioMode;
  /**
   * [fd in the child, fd in circusd], every one handed over; a child fd given twice or at or
   * above the child's open-files limit (rlimit nofile, else circusd's) is refused.
   */
  fds?: [number, number][];
}

/**
 * The output of a child that is not circusd's own (the process kernel hosts it): its pieces,
 * with the time they were read, handed to whoever follows; a promise holds the next ones.
 */
export interface HostedOutput {
  follow(
    sink: (stream: "stdout" | "stderr", data: Buffer, time: number) => void | Promise<void>,
  ): void;
}

/** A running child started by {@link spawnChild} (or hosted by the process kernel). */
export interface Child {
  pid: number;
  /** The read end of the child's stdout pipe, for readPipe (pipe-reader.ts); null when not piped. */
  stdout: number | null;
  stderr: number | null;
  /** Resolves once the child has exited and been reaped. */
  exited: Promise<ChildExit>;
  /** Its output, when it does not come through pipes of circusd's. */
  output?: HostedOutput;
}

const DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin";

// The native helper reserves its spawn slots (low fd numbers, see native/spawn-slots.c) as it
// loads: now, while circusd's fd table is small and before anything counts its open files.
native();

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * Finds the program the way execvp would, in the parent, so that the error names the
 * command rather than a system call.
 */
export function resolveProgram(program: string, cwd: string, searchPath: string): string {
  if (program.includes("/")) {
    const file = path.resolve(cwd, program);
    if (isExecutableFile(file)) return file;
    throw new SpawnError(`${program}: not found or not executable`, "ENOENT");
  }
  for (const dir of searchPath.split(":")) {
    const file = path.resolve(cwd, dir || ".", program);
    if (isExecutableFile(file)) return file;
  }
  throw new SpawnError(`${program}: command not found`, "ENOENT");
}

/** Program lookups, since a watcher spawns the same program again and again. */
const resolved = new Map<string, string>();

/**
 * resolveProgram, remembered: when the file goes away later, execve fails with ENOENT and the
 * cache is cleared, so a stale entry costs one failed spawn at most.
 */
function cachedProgram(program: string, cwd: string, searchPath: string): string {
  const key = `${program}\0${cwd}\0${searchPath}`;
  let file = resolved.get(key);
  if (file === undefined) {
    file = resolveProgram(program, cwd, searchPath);
    if (resolved.size > 1000) resolved.clear();
    resolved.set(key, file);
  }
  return file;
}

/**
 * "Unlimited" as the kernel allows it: RLIMIT_NOFILE cannot be infinite, so, as Circus does,
 * it becomes circusd's own hard limit. -1 is RLIM_INFINITY for the native spawner.
 */
function limitValue(name: string, value: number | null): number {
  if (value !== null) return value;
  if (name !== "nofile") return -1;
  const { hard } = openFilesLimit();
  return Number.isFinite(hard) ? hard : -1;
}

/**
 * The SpawnError for a failed native spawn, pointing at the option to change where the
 * native message alone would not.
 */
function spawnFailure(
  err: NodeJS.ErrnoException,
  spec: SpawnSpec,
  argv0: string,
  cwd: string,
): SpawnError {
  if (err.syscall === "chdir")
    return new SpawnError(`working_dir ${cwd}: ${err.message}`, err.code);
  // An fd beyond the child's limit: the sockets' numbers are circusd's, the limit the config's.
  const hint =
    err.syscall === "dup2" && err.code === "EBADF" && spec.rlimits?.nofile != null
      ? "; raise rlimit_nofile"
      : "";
  return new SpawnError(`${argv0}: ${err.message}${hint}`, err.code);
}

/**
 * Starts a child with the native spawner: its own session (a Ctrl-C in circusd's terminal
 * reaches circusd only, which then stops the children gracefully), rlimits in force from its
 * first instruction, the user's supplementary groups as Circus's initgroups gives them, and
 * no fd beyond 0-2 but the ones asked for. Every group, rlimit and fd asked for is applied:
 * throws a SpawnError when one cannot be (saying which, and the limit) or the program
 * cannot run.
 */
export function spawnChild(spec: SpawnSpec): Child {
  const cwd = spec.cwd ?? process.cwd();
  const [argv0] = spec.argv;
  if (argv0 === undefined) throw new SpawnError("empty command");
  const file = cachedProgram(
    spec.executable ?? argv0,
    cwd,
    spec.env.PATH ?? process.env.PATH ?? DEFAULT_PATH,
  );
  listenForExits();
  let started;
  try {
    started = native().spawn({
      file,
      argv: spec.argv,
      env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
      cwd,
      uid: spec.uid,
      gid: spec.gid,
      // Dropping root's groups when the uid changes is what keeps them from leaking.
      groups: spec.groups ?? (spec.uid === undefined ? undefined : []),
      rlimits: Object.entries(spec.rlimits ?? {}).map(([name, value]) => [
        name,
        limitValue(name, value),
      ]),
      stdin: spec.stdin,
      stdout: spec.stdout,
      stderr: spec.stderr,
      fds: spec.fds,
    });
  } catch (error) {
    resolved.clear();
    throw spawnFailure(error as NodeJS.ErrnoException, spec, argv0, cwd);
  }
  return {
    pid: started.pid,
    stdout: started.stdout < 0 ? null : started.stdout,
    stderr: started.stderr < 0 ? null : started.stderr,
    exited: waitForExit(started.pid),
  };
}
