/**
 * The daemon and tools a scenario runs against: ours (the built circusd and circusctl), or
 * any other given by command lines (the recorder passes the reference's).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { childrenOf } from "../../src/sys/proc.js";
import { CIRCUSD } from "../helpers/circusd.js";
import { CIRCUSCTL } from "../helpers/ctl.js";

/** What a scenario runs against. */
export interface Target {
  /** A name for messages: "ours", "reference". */
  name: string;
  /** The daemon's command line, before the config path. */
  circusd: string[];
  /** circusctl's command line, before `--endpoint E`. */
  circusctl: string[];
  /** A hook's reference in a config: `./circus_hooks.mjs:ok` here, `circus_hooks.ok` in Python. */
  hook(fn: string): string;
  /**
   * A command line that reads JSON requests on stdin and calls them with another client
   * library, one JSON reply per line (the recorder's Python client); raw zeromq otherwise.
   */
  client?: string[];
}

/** Our circusd and circusctl, as built by `npm run build`. */
export const OURS: Target = {
  name: "ours",
  circusd: [process.execPath, CIRCUSD],
  circusctl: [process.execPath, CIRCUSCTL],
  hook: (fn) => `./circus_hooks.mjs:${fn}`,
};

/** A daemon started for a scenario. */
export class Daemon {
  readonly child: ChildProcess;
  readonly pid: number;
  output = "";
  exited = false;
  private readonly done: Promise<void>;

  constructor(target: Target, configPath: string, cwd: string) {
    const [command, ...args] = target.circusd as [string, ...string[]];
    this.child = spawn(command, [...args, configPath], { cwd, stdio: ["ignore", "pipe", "pipe"] });
    this.pid = this.child.pid as number;
    for (const stream of [this.child.stdout, this.child.stderr])
      stream?.setEncoding("utf8").on("data", (chunk: string) => (this.output += chunk));
    this.done = new Promise((resolve) =>
      this.child.once("exit", () => {
        this.exited = true;
        resolve();
      }),
    );
  }

  /** Stops the daemon (SIGTERM, then SIGKILL) and kills whatever of its tree is left. */
  async stop(): Promise<void> {
    const tree = childrenOf(this.pid, true);
    if (!this.exited) this.child.kill("SIGTERM");
    const timeout = new AbortController();
    const stopped = await Promise.race([
      this.done.then(() => true),
      sleep(15_000, false, { signal: timeout.signal }).catch(() => false),
    ]);
    timeout.abort();
    if (!stopped) this.child.kill("SIGKILL");
    for (const pid of [...tree, ...childrenOf(this.pid, true)]) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    await this.done;
  }
}

/** What a command printed and how it ended. */
export interface RunResult {
  stdout: string;
  stderr: string;
  code: number | null;
}

/** A command started in the background; `done` settles when it has ended. */
export interface Running {
  child: ChildProcess;
  done: Promise<RunResult>;
}

/** Starts a command (Python unbuffered, so that what it printed is there when it ends). */
export function start(argv: string[], options: { cwd?: string; timeout?: number } = {}): Running {
  const [command, ...args] = argv as [string, ...string[]];
  const child = spawn(command, args, {
    cwd: options.cwd,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, PYTHONUNBUFFERED: "1" },
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (c: string) => (stdout += c));
  child.stderr?.setEncoding("utf8").on("data", (c: string) => (stderr += c));
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeout ?? 30_000);
  const done = new Promise<RunResult>((resolve) =>
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code });
    }),
  );
  return { child, done };
}
