import { spawn, type ChildProcess, type StdioOptions } from "node:child_process";
import { accessSync, constants, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { userEntry } from "./users.js";

/** Linux resource names that `rlimit_*` may name (lower case, without `rlimit_`). */
export const RLIMIT_NAMES = [
  "as",
  "core",
  "cpu",
  "data",
  "fsize",
  "locks",
  "memlock",
  "msgqueue",
  "nice",
  "nofile",
  "nproc",
  "rss",
  "rtprio",
  "rttime",
  "sigpending",
  "stack",
] as const;

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
  /** name -> value (null: unlimited), set as both soft and hard limit before exec. */
  rlimits?: Record<string, number | null>;
  stdio: StdioOptions;
}

const PRLIMIT = "/usr/bin/prlimit";
const SETPRIV = "/usr/bin/setpriv";
const DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin";

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * Finds the program the way execvp would, but in the parent, so that a command that cannot
 * run is a spawn failure (counted by max_retry) even when a wrapper execs it.
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

/**
 * "Unlimited" as the kernel allows it: RLIMIT_NOFILE cannot be infinite, so, as Circus does,
 * it becomes circusd's own hard limit.
 */
function unlimitedValue(name: string): string {
  if (name !== "nofile") return "unlimited";
  const row = /^Max open files\s+\S+\s+(\S+)/m.exec(readFileSync("/proc/self/limits", "utf8"));
  return row?.[1] ?? "unlimited";
}

function limitsPrefix(rlimits: Record<string, number | null>): string[] {
  const entries = Object.entries(rlimits);
  if (entries.length === 0) return [];
  const args = entries.map(([name, value]) => {
    const v = value === null ? unlimitedValue(name) : String(value);
    return `--${name}=${v}:${v}`;
  });
  return [PRLIMIT, ...args, "--"];
}

function userPrefix(uid: number | undefined, gid: number | undefined): string[] {
  if (uid === undefined) return [];
  const args = [SETPRIV, `--reuid=${uid}`];
  if (gid !== undefined) args.push(`--regid=${gid}`);
  // As Circus's initgroups: the user's supplementary groups, when it has a passwd entry.
  args.push(userEntry(uid) ? "--init-groups" : "--clear-groups", "--");
  return args;
}

/**
 * Starts a child. Resource limits go through util-linux's `prlimit`, which sets them and then
 * execs the program: Node has no setrlimit, and a limit must be in force from the child's
 * first instruction. `setpriv` switches user after the limits are raised (an unprivileged user
 * could not raise a hard limit) and sets the user's supplementary groups, which Node cannot.
 * Every child gets its own session, so that a Ctrl-C or a hangup of circusd's terminal reaches
 * circusd only, which then stops the children gracefully.
 */
export function spawnChild(spec: SpawnSpec): ChildProcess {
  const cwd = spec.cwd ?? process.cwd();
  try {
    if (!statSync(cwd).isDirectory()) throw new Error();
  } catch {
    throw new SpawnError(`working_dir ${cwd}: no such directory`, "ENOENT");
  }
  const [argv0, ...rest] = spec.argv;
  if (argv0 === undefined) throw new SpawnError("empty command");
  const searchPath = spec.env.PATH ?? process.env.PATH ?? DEFAULT_PATH;
  const program = resolveProgram(spec.executable ?? argv0, cwd, searchPath);
  const options = { cwd, env: spec.env, stdio: spec.stdio, detached: true };
  const wrapper = [...limitsPrefix(spec.rlimits ?? {}), ...userPrefix(spec.uid, spec.gid)];
  if (wrapper.length === 0) return spawn(program, rest, { ...options, argv0, gid: spec.gid });
  // The wrappers exec the program: argv0 cannot be chosen, the pid stays the same.
  const gid = spec.uid === undefined ? spec.gid : undefined;
  return spawn(wrapper[0] as string, [...wrapper.slice(1), program, ...rest], { ...options, gid });
}
