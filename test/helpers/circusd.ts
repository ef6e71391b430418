/**
 * Test helpers that run the real, built circusd on real INI files and look at the real
 * processes through /proc. Every circusd and temp folder hands its cleanup to
 * {@link defer} (helpers/cleanup.ts): circusd and every process it started are killed, the
 * folder removed, even after a failed assertion.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { defer } from "./cleanup.js";

const here = path.dirname(fileURLToPath(import.meta.url));

/** The project root (where package.json lives). */
export const ROOT = path.resolve(here, "../..");
/** The built circusd entry point. */
export const CIRCUSD = path.join(ROOT, "dist/cli/circusd.js");
/** The configurable child process used by every test. */
export const WORKER = path.join(ROOT, "test/fixtures/worker.mjs");
/** `node worker.mjs`: the absolute node path, since children may get no PATH at all. */
export const NODE_WORKER = `${process.execPath} ${WORKER}`;

// ---------------------------------------------------------------------------------------------
// Polling

/** Options of {@link waitFor}. */
export interface WaitOptions {
  /** Milliseconds before giving up (generous: these waits bound, they do not measure). */
  timeout?: number;
  /** Milliseconds between two polls. */
  interval?: number;
  /** Said in the error when the condition never held; a function is called at that time. */
  message?: string | (() => string);
}

/**
 * Polls `predicate` until it returns a truthy value, and returns that value. Throws after
 * `timeout` ms, with `message` and the last error the predicate threw, if any.
 */
export async function waitFor<T>(
  predicate: () => T | Promise<T>,
  { timeout = 15_000, interval = 50, message = "condition" }: WaitOptions = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeout;
  let lastError: unknown = null;
  for (;;) {
    try {
      const value = await predicate();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const cause = lastError ? ` (last error: ${String(lastError)})` : "";
      const what = typeof message === "function" ? message() : message;
      throw new Error(`timed out after ${timeout} ms waiting for ${what}${cause}`);
    }
    await sleep(interval);
  }
}

// ---------------------------------------------------------------------------------------------
// /proc

/** The fields of /proc/PID/stat the tests use. */
export interface ProcEntry {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
  pgid: number;
  sid: number;
}

/** /proc/PID/stat, or null when the process does not exist. */
export function procStat(pid: number): ProcEntry | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "latin1");
  } catch {
    return null;
  }
  // comm may hold spaces and parentheses: it ends at the last ")".
  const close = text.lastIndexOf(")");
  const rest = text.slice(close + 2).split(" ");
  return {
    pid,
    comm: text.slice(text.indexOf("(") + 1, close),
    state: rest[0] ?? "?",
    ppid: Number(rest[1]),
    pgid: Number(rest[2]),
    sid: Number(rest[3]),
  };
}

/**
 * fd number -> what it points to (/proc/PID/fd), of a live process. A process may close an
 * fd while it is read: one listed and then closed is left out.
 */
export function openFds(pid: number): Map<number, string> {
  const dir = `/proc/${pid}/fd`;
  const fds = new Map<number, string>();
  for (const fd of readdirSync(dir)) {
    try {
      fds.set(Number(fd), readlinkSync(`${dir}/${fd}`));
    } catch {
      // closed since readdir
    }
  }
  return fds;
}

/** Every process on the machine, from /proc/ * /stat. */
export function processTable(): ProcEntry[] {
  const entries: ProcEntry[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const entry = procStat(Number(name));
    if (entry) entries.push(entry);
  }
  return entries;
}

/** True when the process exists and is neither a zombie nor dead. */
export function isAlive(pid: number): boolean {
  const stat = procStat(pid);
  return stat !== null && stat.state !== "Z" && stat.state !== "X";
}

/** True when the pid names no process at all, not even a zombie. */
export function isGone(pid: number): boolean {
  return procStat(pid) === null;
}

/** The live (non-zombie) children of a pid. */
export function liveChildren(ppid: number): ProcEntry[] {
  return processTable().filter((p) => p.ppid === ppid && p.state !== "Z" && p.state !== "X");
}

/** The zombie children of a pid (exited, not yet reaped by it). */
export function zombieChildren(ppid: number): ProcEntry[] {
  return processTable().filter((p) => p.ppid === ppid && p.state === "Z");
}

/** /proc/PID/cmdline as argv. */
export function procArgv(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "latin1").split("\0").slice(0, -1);
  } catch {
    return [];
  }
}

/** One `Name:` field of /proc/PID/status, split on blanks (e.g. Uid gives 4 ids). */
export function procStatusField(pid: number, field: string): string[] | null {
  try {
    const text = readFileSync(`/proc/${pid}/status`, "latin1");
    const match = new RegExp(`^${field}:\\s*(.*)$`, "m").exec(text);
    return match ? (match[1] ?? "").trim().split(/\s+/) : null;
  } catch {
    return null;
  }
}

/** A row of /proc/PID/limits: soft and hard limits as text ("unlimited" or a number). */
export function procLimit(pid: number, label: string): { soft: string; hard: string } | null {
  try {
    const text = readFileSync(`/proc/${pid}/limits`, "latin1");
    const line = text.split("\n").find((l) => l.startsWith(label));
    if (!line) return null;
    const [soft, hard] = line.slice(label.length).trim().split(/\s+/);
    return { soft: soft ?? "", hard: hard ?? "" };
  } catch {
    return null;
  }
}

/**
 * Live processes whose command line or environment holds `marker` (a test's temp folder):
 * circusd itself, the workers (their --out file is in the folder) and the workers' own
 * children (which carry it in CIRCUS_IT_MARKER).
 */
export function markedProcesses(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of processTable()) {
    if (entry.pid === process.pid || entry.state === "Z" || entry.state === "X") continue;
    for (const file of ["cmdline", "environ"]) {
      let text = "";
      try {
        text = readFileSync(`/proc/${entry.pid}/${file}`, "latin1");
      } catch {
        continue;
      }
      if (text.includes(marker)) {
        pids.push(entry.pid);
        break;
      }
    }
  }
  return pids;
}

/** SIGKILLs every live process carrying `marker`, until none is left. */
export async function killMarked(marker: string): Promise<void> {
  for (let round = 0; round < 20; round++) {
    const pids = markedProcesses(marker);
    if (pids.length === 0) return;
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    await sleep(50);
  }
}

// ---------------------------------------------------------------------------------------------
// Temp folders and worker records

/**
 * A fresh folder under the OS temp dir, world-writable so that workers running as another
 * user (uid = nobody) can write their records into it. Removed at cleanup, once every
 * process carrying its path is killed.
 */
export function makeTempDir(prefix = "circus-it-"): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  chmodSync(dir, 0o777);
  defer(async () => {
    await killMarked(dir);
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** One JSON line written by worker.mjs. */
export interface WorkerRecord {
  pid: number;
  /** Date.now() in the worker when it wrote the record. */
  time: number;
  /** Seconds since boot when it wrote the record. */
  uptime: number;
  /** Seconds since boot when the process was forked (start records). */
  startedAt?: number;
  event: "start" | "signal" | "exit" | "stdin";
  ppid?: number;
  wid?: string | null;
  tag?: string | null;
  argv?: string[];
  env?: Record<string, string>;
  cwd?: string;
  uid?: number;
  gid?: number;
  umask?: string | null;
  limits?: Record<string, { soft: string; hard: string }>;
  grandchild?: number | null;
  pgid?: number;
  sid?: number;
  signal?: string;
  code?: number;
  data?: string;
}

/** Every record of a worker output file (none when the file does not exist yet). */
export function readRecords(file: string): WorkerRecord[] {
  let text = "";
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as WorkerRecord);
}

/** The "start" records of a worker output file. */
export function starts(file: string): WorkerRecord[] {
  return readRecords(file).filter((r) => r.event === "start");
}

/** Waits until the file holds at least `count` start records, and returns them. */
export async function waitForStarts(
  file: string,
  count: number,
  options: WaitOptions = {},
): Promise<WorkerRecord[]> {
  return waitFor(
    () => {
      const list = starts(file);
      return list.length >= count ? list : null;
    },
    { message: `${count} worker start record(s) in ${file}`, ...options },
  );
}

// ---------------------------------------------------------------------------------------------
// circusd

/** How circusd ended. */
export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Options of {@link startCircusd}. */
export interface StartOptions {
  /** The folder to write the config into (a new temp folder by default). */
  dir?: string;
  /** The config file name inside the folder. */
  file?: string;
  /** Extra command-line arguments, placed before the config path. */
  args?: string[];
  /** circusd's environment (the test's own by default). */
  env?: NodeJS.ProcessEnv;
  /** circusd's current folder (the temp folder by default). */
  cwd?: string;
  /** circusd's open-files limit (soft and hard), set by running it through `prlimit`. */
  nofile?: number;
  /** A network namespace to run circusd in (`ip netns exec NS`, which execs: same pid). */
  netns?: string;
  /**
   * Runs circusd as PID 1 of a new PID namespace (`unshare --pid --fork --mount-proc`, root
   * only): `pid` is then unshare's, circusd its one child, and killing circusd at cleanup
   * takes the whole namespace down.
   */
  pidns?: boolean;
}

/** A running (or finished) circusd started by a test; killed at cleanup. */
export class Circusd {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Every complete stdout line so far. */
  readonly lines: string[] = [];
  /** Everything written to stderr so far. */
  stderr = "";
  /** Set once circusd has exited. */
  exitStatus: ExitStatus | null = null;
  readonly exited: Promise<ExitStatus>;
  private partial = "";

  constructor(
    readonly dir: string,
    readonly configPath: string,
    args: string[],
    env: NodeJS.ProcessEnv,
    cwd: string = dir,
    nofile?: number,
    netns?: string,
    pidns = false,
  ) {
    // prlimit and ip netns exec exec node, so that the pid is circusd's (unshare forks).
    const argv = [process.execPath, CIRCUSD, ...args, configPath];
    if (pidns) argv.unshift("unshare", "--pid", "--fork", "--mount-proc");
    if (nofile !== undefined) argv.unshift("prlimit", `--nofile=${nofile}:${nofile}`, "--");
    if (netns !== undefined) argv.unshift("ip", "netns", "exec", netns);
    this.child = spawn(argv[0] as string, argv.slice(1), {
      cwd,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.pid = this.child.pid as number;
    this.child.stdout?.setEncoding("utf8");
    this.child.stderr?.setEncoding("utf8");
    this.child.stdout?.on("data", (chunk: string) => this.addOutput(chunk));
    this.child.stderr?.on("data", (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) => {
      this.child.once("close", (code, signal) => {
        this.exitStatus = { code, signal };
        resolve(this.exitStatus);
      });
    });
    defer(() => this.cleanup());
  }

  private addOutput(chunk: string): void {
    const parts = (this.partial + chunk).split("\n");
    this.partial = parts.pop() ?? "";
    this.lines.push(...parts);
  }

  /** The whole stdout log so far, for assertion messages. */
  get log(): string {
    return this.lines.join("\n") + (this.partial ? `\n${this.partial}` : "");
  }

  /** A path inside the test folder. */
  path(name: string): string {
    return path.join(this.dir, name);
  }

  /** Waits for a log line matching `regex` and returns it. */
  async waitForLog(regex: RegExp, options: WaitOptions = {}): Promise<string> {
    return waitFor(() => this.lines.find((line) => regex.test(line)), {
      message: () =>
        `a circusd log line matching ${regex}; log so far:\n${this.log}\nstderr:\n${this.stderr}`,
      ...options,
    });
  }

  /** Live processes whose parent is circusd. */
  children(): ProcEntry[] {
    return liveChildren(this.pid);
  }

  /** Waits until circusd has exactly `count` live children, and returns them. */
  async waitForChildren(count: number, options: WaitOptions = {}): Promise<ProcEntry[]> {
    return waitFor(
      () => {
        const list = this.children();
        return list.length === count ? list : null;
      },
      { message: `circusd to have ${count} live children`, ...options },
    );
  }

  /** Sends a signal to circusd. */
  kill(signal: NodeJS.Signals): void {
    if (this.exitStatus === null) this.child.kill(signal);
  }

  /** Sends `signal` (SIGTERM by default) and waits for circusd to exit. */
  async stop(signal: NodeJS.Signals = "SIGTERM", timeout = 30_000): Promise<ExitStatus> {
    this.kill(signal);
    return this.waitExit(timeout);
  }

  /** Waits for circusd to exit by itself. */
  async waitExit(timeout = 30_000): Promise<ExitStatus> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`circusd did not exit within ${timeout} ms`)),
        timeout,
      );
    });
    try {
      return await Promise.race([this.exited, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * SIGKILLs circusd, its children (a watcher's processes need carry no marker), and every
   * process carrying this test's folder in its argv or env.
   */
  async cleanup(): Promise<void> {
    if (this.exitStatus === null) {
      // Before circusd: once it is gone, its children are init's and cannot be told apart.
      for (const child of liveChildren(this.pid)) {
        try {
          process.kill(child.pid, "SIGKILL");
        } catch {
          // gone already
        }
      }
      this.child.kill("SIGKILL");
    }
    await killMarked(this.dir);
    // "close" also waits for circusd's stdout to close: bounded, should a child hold it.
    await this.waitExit(5000).catch(() => undefined);
  }
}

/** Copies a file of test/fixtures into `dir` and returns the copy's path. */
export function copyFixture(dir: string, name: string): string {
  const target = path.join(dir, name);
  copyFileSync(path.join(ROOT, "test/fixtures", name), target);
  return target;
}

/**
 * The control and pub/sub endpoints of a test's circusd: ipc sockets in its own folder, so
 * that tests running side by side never fight over the default tcp ports.
 */
export function testEndpoints(dir: string, file = "circus.ini"): Record<string, string> {
  const stem = path.basename(file, path.extname(file));
  return {
    endpoint: `ipc://${path.join(dir, `${stem}-ctl.sock`)}`,
    pubsub_endpoint: `ipc://${path.join(dir, `${stem}-pub.sock`)}`,
  };
}

/**
 * Adds {@link testEndpoints} to a config that names no endpoint of its own: after its
 * `[circus]` header, or as a `[circus]` section at the end (so that line numbers in error
 * messages stay those of the text).
 */
export function withTestEndpoints(text: string, dir: string, file = "circus.ini"): string {
  if (/^\s*(endpoint|pubsub_endpoint)\s*=/m.test(text)) return text;
  const lines = Object.entries(testEndpoints(dir, file))
    .map(([key, value]) => `${key} = ${value}`)
    .join("\n");
  const header = /^\[circus\][^\n]*\n/m;
  if (header.test(text)) return text.replace(header, (h) => `${h}${lines}\n`);
  return `${text}${text.endsWith("\n") || text === "" ? "" : "\n"}\n[circus]\n${lines}\n`;
}

/** Writes `text` (with {@link withTestEndpoints}) as a config file in `dir`; returns its path. */
export function writeConfig(dir: string, text: string, file = "circus.ini"): string {
  const configPath = path.join(dir, file);
  writeFileSync(configPath, withTestEndpoints(text, dir, file));
  return configPath;
}

/**
 * Starts the built circusd on a config written into a (new) temp folder; `config` may be a
 * function of that folder, so that the text can name files inside it.
 */
export function startCircusd(
  config: string | ((dir: string) => string),
  options: StartOptions = {},
): Circusd {
  if (!existsSync(CIRCUSD)) throw new Error(`${CIRCUSD} is missing: run npm run build`);
  const dir = options.dir ?? makeTempDir();
  const text = typeof config === "function" ? config(dir) : config;
  const configPath = writeConfig(dir, text, options.file);
  return new Circusd(
    dir,
    configPath,
    options.args ?? [],
    options.env ?? process.env,
    options.cwd,
    options.nofile,
    options.netns,
    options.pidns,
  );
}

/** Runs circusd to completion (for configs and flags that make it exit at once). */
export async function runCircusd(
  args: string[],
  options: { cwd?: string; timeout?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<ExitStatus & { stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CIRCUSD, ...args], {
    cwd: options.cwd ?? os.tmpdir(),
    env: options.env ?? process.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
  child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
  const timeout = options.timeout ?? 30_000;
  const timer = setTimeout(() => child.kill("SIGKILL"), timeout);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.once("close", (c, s) => resolve([c, s])),
  );
  clearTimeout(timer);
  return { code, signal, stdout, stderr };
}

/**
 * Runs circusd on a config it must refuse, and returns the one line it says why: it exits
 * non-zero, before starting anything, with exactly one line on stderr.
 */
export async function refusal(configPath: string, cwd?: string): Promise<string> {
  const result = await runCircusd([configPath], cwd === undefined ? {} : { cwd });
  assert.notEqual(result.code, 0, `circusd accepted ${configPath}`);
  const lines = result.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, `one line expected:\n${result.stderr}`);
  return lines[0] as string;
}

/** Option values as a config section takes them. */
export type SectionOptions = Record<string, string | number | boolean>;

/** `[header]`, then `lines`, then `options` as `key = value` lines; ends with one newline. */
export function iniSection(header: string, lines: string[], options: SectionOptions = {}): string {
  const settings = Object.entries(options).map(([key, value]) => `${key} = ${String(value)}`);
  return [`[${header}]`, ...lines, ...settings].join("\n") + "\n";
}

/** A `[watcher:NAME]` section running worker.mjs, recording into DIR/NAME.jsonl. */
export function workerSection(
  dir: string,
  name: string,
  options: SectionOptions = {},
  workerArgs = "",
): string {
  const out = path.join(dir, `${name}.jsonl`);
  const cmd = `cmd = ${NODE_WORKER} --out ${out} --wid $(circus.wid) ${workerArgs}`.trimEnd();
  // Short by default, so that a stop never waits long on a worker that ignores its signal.
  return iniSection(`watcher:${name}`, [cmd], { graceful_timeout: 2, ...options });
}
