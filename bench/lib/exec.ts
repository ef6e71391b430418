/** Running the systems' commands: one-shot commands and long-lived daemons. */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { now } from "./proc.js";
import type { LineLog } from "./log.js";

/** Result of {@link run}. */
export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** now() when the command exited (or was killed at the timeout). */
  at: number;
  timedOut: boolean;
}

/** The open-files limits (RLIMIT_NOFILE) of a process. */
export interface OpenFilesLimits {
  soft: number;
  hard: number;
}

let limits: OpenFilesLimits | undefined;

/**
 * The harness's open-files limits, from /proc/self/limits ("unlimited" reads as Infinity).
 * Every launched command inherits them and raises its soft limit to the hard one.
 */
export function openFilesLimits(): OpenFilesLimits {
  if (limits !== undefined) return limits;
  const line = /^Max open files\s+(\S+)\s+(\S+)/m.exec(readFileSync("/proc/self/limits", "latin1"));
  const value = (text: string | undefined): number =>
    text === undefined || text === "unlimited" ? Infinity : Number(text);
  limits = { soft: value(line?.[1]), hard: value(line?.[2]) };
  return limits;
}

/**
 * argv that runs `argv` through `sh` after raising the soft open-files limit to the hard one
 * (1000 children with pipes need more than 1024 descriptors). Only root may raise a hard
 * limit, and not always (a container's own limit): asking for more than the hard limit would
 * fail and leave the soft one where it was. `exec` keeps the pid, so the returned child's pid
 * is the command's own.
 */
export function withLimits(argv: readonly string[]): string[] {
  const { hard } = openFilesLimits();
  const raise = Number.isFinite(hard) ? `ulimit -Sn ${hard} 2>/dev/null; ` : "";
  return ["/bin/sh", "-c", `${raise}exec "$@"`, "bench-launch", ...argv];
}

/**
 * Runs a command to completion, capturing its output; SIGKILLs it after
 * `timeoutMs`. Never rejects.
 */
export function run(
  argv: readonly string[],
  opts: { timeoutMs: number; env?: NodeJS.ProcessEnv; cwd?: string },
): Promise<RunResult> {
  const [cmd, ...args] = withLimits(argv);
  return new Promise((resolve) => {
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    const child = spawn(cmd ?? "/bin/sh", args, {
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, opts.timeoutMs);
    const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, at: now(), timedOut });
    };
    child.on("error", (error) => {
      stderr += String(error);
      finish(null, null);
    });
    child.on("exit", finish);
  });
}

/** A launched long-lived process. */
export interface Launched {
  child: ChildProcess;
  pid: number;
  /** Resolves with now() at exit (exit code and signal alongside). */
  exited: Promise<{ at: number; code: number | null; signal: NodeJS.Signals | null }>;
  /** True once the process has exited. */
  hasExited(): boolean;
}

/**
 * Starts `argv` (with raised limits) in its own process group, its stdout and
 * stderr captured into `log`. Throws if it cannot be spawned.
 */
export function launch(
  argv: readonly string[],
  opts: { log: LineLog; env?: NodeJS.ProcessEnv; cwd?: string },
): Launched {
  const [cmd, ...args] = withLimits(argv);
  const child = spawn(cmd ?? "/bin/sh", args, {
    env: opts.env ?? process.env,
    cwd: opts.cwd,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  if (child.pid === undefined) throw new Error(`could not spawn ${argv.join(" ")}`);
  let done = false;
  const exited = new Promise<{ at: number; code: number | null; signal: NodeJS.Signals | null }>(
    (resolve) => {
      child.on("exit", (code, signal) => {
        done = true;
        resolve({ at: now(), code, signal });
      });
    },
  );
  opts.log.attach(child.stdout);
  opts.log.attach(child.stderr);
  return { child, pid: child.pid, exited, hasExited: () => done };
}

/**
 * Resolves with `promise`'s value, or with `fallback` after `timeoutMs`.
 */
export function within<T, F>(promise: Promise<T>, timeoutMs: number, fallback: F): Promise<T | F> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(fallback), timeoutMs);
    void promise.then((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

/** A free TCP port on 127.0.0.1 (bound then released: the systems bind it themselves). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address
          ? resolve(address.port)
          : reject(new Error("no port")),
      );
    });
  });
}
