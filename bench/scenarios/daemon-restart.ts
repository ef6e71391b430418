/**
 * What users lose when the process manager itself dies and is restarted under live HTTP load:
 * 4 × test/fixtures/graceful-http-worker.mjs serve one 127.0.0.1 port, a load of concurrent
 * clients (no keep-alive) runs for a fixed time, and a few seconds in the daemon is SIGKILLed,
 * then started again the way that system restarts (PM2 also: `pm2 kill` + `pm2 resurrect`).
 * Figures: requests served and failed, the longest gap between two completed responses, and
 * which worker processes run before and after. Plus `kernel-rss`: the RSS of our process
 * kernel (`circus-papa`) hosting 100 sleeps.
 *
 * The load is our own loop (autocannon gives no gap): `http.request` with `agent: false`, one
 * request at a time per client, only against 127.0.0.1, bounded in time.
 */
import { existsSync, writeFileSync } from "node:fs";
import http from "node:http";
import { join } from "node:path";
import { freePort, launch, run, type Launched, type RunResult } from "../lib/exec.js";
import { onCleanup } from "../lib/cleanup.js";
import { LineLog } from "../lib/log.js";
import { PM2_BIN, readPid, writeEcosystem } from "../systems/pm2.js";
import { supervisordConf } from "../systems/supervisor.js";
import { freshWorkDir, REPO_DIR } from "../lib/paths.js";
import {
  cmdline,
  delay,
  descendants,
  isRunning,
  killStrays,
  killTree,
  listPids,
  now,
  readMem,
  readStat,
  signalPid,
  waitNotRunning,
} from "../lib/proc.js";
import type { Row, Table } from "../lib/table.js";

const WORKER = join(REPO_DIR, "test", "fixtures", "graceful-http-worker.mjs");
const CIRCUSD = join(REPO_DIR, "dist", "cli", "circusd.js");
const CIRCUSCTL = join(REPO_DIR, "dist", "cli", "circusctl.js");
/** A request that has not completed after this long counts as failed ("timeout"). */
const REQUEST_TIMEOUT_MS = 3_000;
/** A client pauses this long after a failed request (no busy loop on refused connections). */
const PAUSE_AFTER_FAILURE_MS = 10;
/** The kernel's argv holds this. */
const KERNEL_MARK = "circus-papa";

/** Options of {@link runDaemonRestart}. */
export interface DaemonRestartOptions {
  /** Seconds of load per system. */
  durationS: number;
  /** Seconds into the load when the daemon is killed. */
  killAtS: number;
  /** Seconds between the kill (or `pm2 kill` returning) and the restart. */
  pauseS: number;
  /** Concurrent clients of the load. */
  clients: number;
  /** Worker processes per system. */
  workers: number;
  /** Sleeps the kernel hosts for `kernel-rss`. */
  kernelN: number;
  /** Rows to run, by system id (circus-ts, pm2, supervisor): undefined = usable, else why not. */
  systems: Map<string, string | undefined>;
}

/** What one load saw (shared with reload-gap). */
export interface LoadFigures {
  served?: number;
  failed?: number;
  /** Failed requests by kind (ECONNREFUSED, ECONNRESET, timeout, HTTP 502, ...). */
  failKinds?: Record<string, number>;
  /** Longest time between two completed responses (load start and end count as bounds). */
  gapMs?: number;
  /** Where the longest gap was, in s since the load started. */
  gapFromS?: number;
  gapToS?: number;
  /** The longest gap runs until the end of the load: no reply came after it. */
  gapOpen?: boolean;
}

/** One system's run. */
export interface RestartFigure extends LoadFigures {
  /** Worker pids just before the kill. */
  before?: number[];
  /** What became of them 1 s after the kill, before the restart (e.g. "4 alive, ppid 1"). */
  orphans?: string;
  /** Worker processes running at the end of the load, with their parent. */
  after?: { pid: number; ppid: number }[];
  /** The restarted daemon's pid (PM2: the new God daemon), if it runs at the end. */
  daemonAfter?: number;
  /** Worker pids the restarted daemon reports as its own at the end (its own status command). */
  managed?: number[];
  /** Of `before`, how many still run at the end. */
  kept?: number;
  /** Pids that answered in the second before the kill, and in the last 2 s of the load. */
  answeredBefore?: number[];
  answeredEnd?: number[];
  /** Responses per second from the load's start to the kill, and in its last 2 s. */
  rateBefore?: number;
  rateEnd?: number;
  /** s after the restart command when a pid not in `before` first answered. */
  firstNewS?: number;
  /** What the restart did: "circusd running", "circusd exited 1: ...EADDRINUSE...", ... */
  restart?: string;
  /** Seconds the stop/restart commands took (PM2). */
  commands?: string;
  error?: string;
}

/** The kernel's RSS with `kernelN` sleeps hosted. */
export interface KernelRssFigure {
  rssMiB?: number;
  hwmMiB?: number;
  hosted?: number;
  circusdRssMiB?: number;
  note?: string;
  error?: string;
}

/** Figures of the scenario, by row label. */
export interface DaemonRestartResult {
  rows: Record<string, RestartFigure>;
  kernelRss?: KernelRssFigure;
}

/** A system that could not run: the row shows n/a and why. */
export class Unavailable extends Error {}

// ---------------------------------------------------------------------------------------------
// The load

export interface LoadRecord {
  t0: number;
  end: number;
  /** Completed 200 responses: now() and the pid in the body. */
  ok: { at: number; pid: number }[];
  failed: number;
  kinds: Record<string, number>;
}

type Outcome = { ok: true; pid: number } | { ok: false; kind: string };

function errorKind(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : String(error instanceof Error ? error.message : error);
}

function oneRequest(port: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = http.request(
      { host: "127.0.0.1", port, path: "/", agent: false, timeout: REQUEST_TIMEOUT_MS },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (body += chunk));
        res.on("end", () =>
          resolve(
            res.statusCode === 200
              ? { ok: true, pid: Number(body) }
              : { ok: false, kind: `HTTP ${res.statusCode}` },
          ),
        );
        res.on("error", (error) => resolve({ ok: false, kind: errorKind(error) }));
        res.on("close", () => {
          if (!res.complete) resolve({ ok: false, kind: "aborted" });
        });
      },
    );
    req.on("timeout", () => req.destroy(Object.assign(new Error("timeout"), { code: "timeout" })));
    req.on("error", (error) => resolve({ ok: false, kind: errorKind(error) }));
    req.end();
  });
}

/**
 * `clients` loops of one request at a time for `durationMs`, and longer while `hold` (if given)
 * is pending; a request in flight at the end is waited for (at most {@link REQUEST_TIMEOUT_MS})
 * and counted.
 */
export async function httpLoad(
  port: number,
  durationMs: number,
  clients: number,
  hold?: Promise<unknown>,
): Promise<LoadRecord> {
  const record: LoadRecord = { t0: now(), end: 0, ok: [], failed: 0, kinds: {} };
  const deadline = record.t0 + durationMs;
  let held = hold !== undefined;
  void hold?.finally(() => (held = false)).catch(() => {});
  const client = async (): Promise<void> => {
    while (now() < deadline || held) {
      const outcome = await oneRequest(port);
      if (outcome.ok) record.ok.push({ at: now(), pid: outcome.pid });
      else {
        record.failed++;
        record.kinds[outcome.kind] = (record.kinds[outcome.kind] ?? 0) + 1;
        await delay(PAUSE_AFTER_FAILURE_MS);
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  record.end = Math.max(deadline, now());
  return record;
}

/** The longest gap between completed responses, the load's start and end counting as bounds. */
export function longestGap(
  record: LoadRecord,
): Pick<RestartFigure, "gapMs" | "gapFromS" | "gapToS" | "gapOpen"> {
  const times = [record.t0, ...record.ok.map((r) => r.at), record.end];
  let best = 0;
  let at = 0;
  for (let i = 1; i < times.length; i++) {
    const gap = times[i]! - times[i - 1]!;
    if (gap > best) [best, at] = [gap, i];
  }
  return {
    gapMs: best,
    gapFromS: (times[at - 1]! - record.t0) / 1000,
    gapToS: (times[at]! - record.t0) / 1000,
    gapOpen: at === times.length - 1,
  };
}

const uniq = (pids: number[]): number[] => [...new Set(pids)].sort((a, b) => a - b);

/** Waits until something answers HTTP on the port. */
export async function waitServing(port: number, timeoutMs = 30_000): Promise<void> {
  const deadline = now() + timeoutMs;
  while (now() < deadline) {
    if ((await oneRequest(port)).ok) return;
    await delay(50);
  }
  throw new Error(`nothing serves 127.0.0.1:${port}`);
}

// ---------------------------------------------------------------------------------------------
// Processes

/** Running workers of this run: the worker script with `marker` among its arguments. */
export function markedWorkers(marker: string): { pid: number; ppid: number }[] {
  const found: { pid: number; ppid: number }[] = [];
  for (const pid of listPids()) {
    const args = cmdline(pid).split("\0");
    if (!args.includes(WORKER) || !args.includes(marker)) continue;
    const stat = readStat(pid);
    if (stat !== undefined && stat.state !== "Z") found.push({ pid, ppid: stat.ppid });
  }
  return found.sort((a, b) => a.pid - b.pid);
}

function uniqueWorkers(list: { pid: number; ppid: number }[]): { pid: number; ppid: number }[] {
  return [...new Map(list.map((w) => [w.pid, w])).values()].sort((a, b) => a.pid - b.pid);
}

/** SIGKILLs every process (not the harness) whose command line contains `text`. */
export function killMarked(text: string): number {
  let killed = 0;
  for (const pid of listPids()) {
    if (pid === process.pid || !cmdline(pid).includes(text)) continue;
    if (signalPid(pid, "SIGKILL")) killed++;
  }
  return killed;
}

/** Pids whose argv holds {@link KERNEL_MARK}. */
function kernelPids(): number[] {
  return listPids().filter((pid) =>
    cmdline(pid)
      .split("\0")
      .some((a) => a.includes(KERNEL_MARK)),
  );
}

/** "4 alive (ppid 1)" / "gone" for the pids of before the kill. */
function fate(pids: number[]): string {
  const alive = pids.map((pid) => readStat(pid)).filter((s) => s !== undefined && s.state !== "Z");
  if (alive.length === 0) return `all ${pids.length} gone`;
  const parents = uniq(alive.map((s) => s!.ppid)).join(",");
  const gone = pids.length - alive.length;
  return `${alive.length} alive (ppid ${parents})${gone > 0 ? `, ${gone} gone` : ""}`;
}

/** Polls `count` until it reaches `want` (bounded); the last count. */
async function waitCount(count: () => Promise<number> | number, want: number, timeoutMs: number) {
  const deadline = now() + timeoutMs;
  let last = await count();
  while (last < want && now() < deadline) {
    await delay(100);
    last = await count();
  }
  return last;
}

/** The pids in a status command's output ("1,2,3", "pid 1234, uptime ..."). */
function pidsIn(text: string): number[] {
  return uniq([...text.matchAll(/\b(\d{2,})\b/g)].map((m) => Number(m[1])).filter(isRunning));
}

/** The last lines of a log that look like an error (or the last line). */
export function logError(log: LineLog): string {
  const lines = log.lines.map((l) => l.text.trim()).filter((t) => t !== "");
  const error = lines.filter((t) => /error|EADDRINUSE|refus|not supported|cannot|fail/i.test(t));
  return (error.at(-1) ?? lines.at(-1) ?? "no output").slice(0, 160);
}

// ---------------------------------------------------------------------------------------------
// One run: a system's setup, the load with the kill and the restart, its figures

/** What a system provides to {@link underLoad}. */
interface Setup {
  port: number;
  /** Worker pids right now. */
  workers(): Promise<number[]>;
  /** Kills the daemon (or stops it, for `pm2 kill`). */
  kill(): Promise<void>;
  /** Starts it again. */
  restart(): Promise<void>;
  /** After the load: what the restart did, the new daemon, the workers running. */
  outcome(): Promise<
    Pick<RestartFigure, "restart" | "daemonAfter" | "after" | "managed" | "commands">
  >;
}

async function underLoad(setup: Setup, opts: DaemonRestartOptions): Promise<RestartFigure> {
  await httpLoad(setup.port, 1_000, opts.clients); // warm-up: the workers' first second is slow
  const pending = httpLoad(setup.port, opts.durationS * 1000, opts.clients);
  const t0 = now();
  await delay(opts.killAtS * 1000 - 300);
  const before = await setup.workers();
  await delay(Math.max(0, t0 + opts.killAtS * 1000 - now()));
  const killAt = now();
  await setup.kill();
  await delay(opts.pauseS * 1000);
  const orphans = fate(before);
  const restartAt = now();
  await setup.restart();
  const record = await pending;
  const out = await setup.outcome();
  const firstNew = record.ok.find((r) => r.at >= restartAt && !before.includes(r.pid));
  const after = out.after ?? [];
  return {
    served: record.ok.length,
    failed: record.failed,
    failKinds: record.kinds,
    ...longestGap(record),
    before,
    orphans,
    ...out,
    kept: before.filter((pid) => after.some((a) => a.pid === pid)).length,
    answeredBefore: uniq(
      record.ok.filter((r) => r.at >= killAt - 1000 && r.at < killAt).map((r) => r.pid),
    ),
    answeredEnd: uniq(record.ok.filter((r) => r.at >= record.end - 2000).map((r) => r.pid)),
    firstNewS: firstNew === undefined ? undefined : (firstNew.at - restartAt) / 1000,
    rateBefore: (record.ok.filter((r) => r.at < killAt).length * 1000) / (killAt - record.t0),
    rateEnd: record.ok.filter((r) => r.at >= record.end - 2000).length / 2,
  };
}

// ---------------------------------------------------------------------------------------------
// circus-ts, with and without the kernel

function circusIni(dir: string, port: number, workers: number, kernel: boolean): string {
  const papa = kernel ? "use_papa = true" : "";
  return [
    "[circus]",
    `endpoint = ipc://${join(dir, "ctl.sock")}`,
    `pubsub_endpoint = ipc://${join(dir, "pubsub.sock")}`,
    kernel ? `papa_endpoint = ipc://${join(dir, "papa.sock")}` : "",
    "[socket:web]",
    "host = 127.0.0.1",
    `port = ${port}`,
    papa,
    "[watcher:web]",
    // The folder rides along as a marker, for cleanup to find the workers.
    `cmd = ${process.execPath} ${WORKER} $(circus.sockets.web) ${dir}`,
    "use_sockets = true",
    `numprocesses = ${workers}`,
    "graceful_timeout = 10",
    papa,
    "",
  ]
    .filter((line, i, all) => line !== "" || i === all.length - 1)
    .join("\n");
}

/** circusctl against the run's endpoint. */
function circusctl(dir: string, ...args: string[]): Promise<RunResult> {
  const endpoint = `ipc://${join(dir, "ctl.sock")}`;
  return run([process.execPath, CIRCUSCTL, "--endpoint", endpoint, ...args], {
    timeoutMs: 30_000,
  });
}

/**
 * Starts circusd on `ini`; resolves once it serves `port`. Throws {@link Unavailable} if it
 * exits first (a refused config).
 */
async function startCircusd(ini: string, dir: string, log: LineLog, port?: number) {
  const daemon = launch([process.execPath, CIRCUSD, ini], { log, cwd: dir });
  if (port === undefined) return daemon;
  const exited = daemon.exited.then(() => "exited" as const);
  const serving = waitServing(port).then(() => "serving" as const);
  if ((await Promise.race([exited, serving])) === "exited") {
    const { code } = await daemon.exited;
    throw new Unavailable(`circusd exited ${code}: ${logError(log)}`);
  }
  return daemon;
}

/** Gives circusd's state after the restart, from its launch and log. */
function circusdOutcome(daemon: Launched | undefined, log: LineLog): string {
  if (daemon === undefined) return "circusd not restarted";
  if (!daemon.hasExited() && isRunning(daemon.pid)) return `circusd running (pid ${daemon.pid})`;
  const code = daemon.child.exitCode ?? daemon.child.signalCode;
  return `circusd exited ${code}: ${logError(log)}`;
}

async function circusRun(opts: DaemonRestartOptions, kernel: boolean): Promise<RestartFigure> {
  const dir = freshWorkDir(kernel ? "daemon-restart-kernel" : "daemon-restart-circus");
  const port = await freePort();
  const ini = join(dir, "web.ini");
  writeFileSync(ini, circusIni(dir, port, opts.workers, kernel));
  const logs = [new LineLog(join(dir, "circusd-1.log")), new LineLog(join(dir, "circusd-2.log"))];
  const daemons: Launched[] = [];
  const release = onCleanup(async () => {
    if (kernel && daemons.some((d) => !d.hasExited())) {
      // The kernel's contract: stop, quit, then it exits by itself once it hosts nothing.
      const kernels = kernelPids().filter((pid) => cmdline(pid).includes(dir));
      await circusctl(dir, "stop");
      await circusctl(dir, "quit");
      for (const pid of kernels) await waitNotRunning(pid, 5_000, 50);
    }
    for (const d of daemons) killTree(d.pid);
    killMarked(dir);
    await delay(200);
    killMarked(dir);
    for (const log of logs) log.close();
  });
  try {
    daemons.push(await startCircusd(ini, dir, logs[0]!, port));
    const workers = async () => markedWorkers(dir).map((w) => w.pid);
    await waitCount(async () => (await workers()).length, opts.workers, 30_000);
    await delay(500);
    return await underLoad(
      {
        port,
        workers,
        async kill() {
          // Only circusd: its children are left to what happens to them.
          signalPid(daemons[0]!.pid, "SIGKILL");
          await daemons[0]!.exited;
        },
        async restart() {
          daemons.push(await startCircusd(ini, dir, logs[1]!));
        },
        async outcome() {
          const daemon = daemons[1];
          const running = daemon !== undefined && !daemon.hasExited();
          const list = running ? await circusctl(dir, "list", "web") : undefined;
          return {
            restart: circusdOutcome(daemon, logs[1]!),
            daemonAfter: running ? daemon.pid : undefined,
            after: markedWorkers(dir),
            managed: pidsIn(list?.code === 0 ? list.stdout : ""),
          };
        },
      },
      opts,
    );
  } finally {
    await release();
  }
}

// ---------------------------------------------------------------------------------------------
// PM2

async function pm2Run(opts: DaemonRestartOptions, graceful: boolean): Promise<RestartFigure> {
  const dir = freshWorkDir(graceful ? "daemon-restart-pm2-kill" : "daemon-restart-pm2-kill9");
  const home = join(dir, "home");
  const env = { ...process.env, PM2_HOME: home, PM2_DISABLE_VERSION_CHECK: "true" };
  const pm2 = (...args: string[]) =>
    run([process.execPath, PM2_BIN, ...args], { timeoutMs: 60_000, env, cwd: dir });
  const god = (): number | undefined => readPid(join(home, "pm2.pid"));
  const port = await freePort();
  const app = {
    name: "web",
    script: WORKER,
    args: `--port ${port} ${dir}`,
    exec_mode: "cluster",
    instances: opts.workers,
    kill_signal: "SIGTERM",
    kill_timeout: 10_000,
    out_file: "/dev/null",
    error_file: "/dev/null",
  };
  const ecosystem = writeEcosystem(dir, app);
  const gods = new Set<number>();
  const release = onCleanup(async () => {
    await pm2("kill");
    for (const pid of gods) killTree(pid);
    killMarked(dir); // the God daemon's title names PM2_HOME; workers carry the marker
  });
  /** Worker pids per `pm2 jlist` (cluster workers' argv may not show the script). */
  const jlist = async (): Promise<{ pid: number; ppid: number }[]> => {
    const result = await pm2("jlist");
    try {
      const list = JSON.parse(result.stdout) as { pid?: number; pm2_env?: { status?: string } }[];
      return list
        .filter((p) => p.pm2_env?.status === "online" && typeof p.pid === "number" && p.pid > 0)
        .map((p) => ({ pid: p.pid!, ppid: readStat(p.pid!)?.ppid ?? 0 }))
        .sort((a, b) => a.pid - b.pid);
    } catch {
      return [];
    }
  };
  const timings: string[] = [];
  const timed = async (label: string, ...args: string[]): Promise<RunResult> => {
    const t = now();
    const result = await pm2(...args);
    const failed =
      result.code === 0 ? "" : ` (exit ${result.code}: ${result.stderr.trim().slice(0, 80)})`;
    timings.push(`\`${label}\` ${((now() - t) / 1000).toFixed(2)} s${failed}`);
    return result;
  };
  try {
    const started = await pm2("start", ecosystem);
    if (started.code !== 0) throw new Error(`pm2 start: ${started.stderr.trim()}`);
    const first = god();
    if (first !== undefined) gods.add(first);
    await waitServing(port);
    await waitCount(async () => (await jlist()).length, opts.workers, 30_000);
    const saved = await pm2("save");
    if (saved.code !== 0) throw new Error(`pm2 save: ${saved.stderr.trim()}`);
    // The pids do not change until the kill: one jlist now (a CLI call takes ~0.5 s).
    const before = (await jlist()).map((w) => w.pid);
    await delay(500);
    return await underLoad(
      {
        port,
        workers: async () => before,
        async kill() {
          if (graceful) {
            await timed("pm2 kill", "kill");
            return;
          }
          const pid = god();
          if (pid === undefined) throw new Error(`no ${join(home, "pm2.pid")}`);
          signalPid(pid, "SIGKILL");
          await waitNotRunning(pid, 5_000);
        },
        async restart() {
          await timed("pm2 resurrect", "resurrect");
          const pid = god();
          if (pid !== undefined) gods.add(pid);
        },
        async outcome() {
          const pid = god();
          const running = pid !== undefined && isRunning(pid);
          const listed = running ? await jlist() : [];
          return {
            restart: running ? `PM2 daemon running (pid ${pid})` : "no PM2 daemon running",
            daemonAfter: running ? pid : undefined,
            // Cluster workers' argv may not show the script: also the ones PM2 lists.
            after: uniqueWorkers([...markedWorkers(dir), ...listed]),
            managed: listed.map((w) => w.pid),
            commands: timings.join(", "),
          };
        },
      },
      opts,
    );
  } finally {
    await release();
  }
}

// ---------------------------------------------------------------------------------------------
// Supervisor

function supervisorConf(dir: string, port: number, workers: number): string {
  return supervisordConf(dir, [
    // Supervisor binds the socket and hands it to every process on fd 0.
    "[fcgi-program:web]",
    `socket=tcp://127.0.0.1:${port}`,
    `command=${process.execPath} ${WORKER} 0 ${dir}`,
    `numprocs=${workers}`,
    "process_name=%(program_name)s_%(process_num)d",
    "startsecs=0",
    "autostart=true",
    "autorestart=true",
    "stopsignal=TERM",
    "stdout_logfile=NONE",
    "stderr_logfile=NONE",
  ]);
}

async function supervisorRun(opts: DaemonRestartOptions): Promise<RestartFigure> {
  const dir = freshWorkDir("daemon-restart-supervisor");
  const port = await freePort();
  const config = join(dir, "supervisord.conf");
  writeFileSync(config, supervisorConf(dir, port, opts.workers));
  const logs = [
    new LineLog(join(dir, "supervisord-1.stdout")),
    new LineLog(join(dir, "supervisord-2.stdout")),
  ];
  const daemons: Launched[] = [];
  const release = onCleanup(async () => {
    for (const d of daemons) killTree(d.pid);
    killMarked(dir);
    await delay(200);
    killMarked(dir);
    for (const log of logs) log.close();
  });
  const start = (log: LineLog) => launch(["supervisord", "-c", config], { log, cwd: dir });
  try {
    daemons.push(start(logs[0]!));
    const exited = daemons[0]!.exited.then(() => "exited" as const);
    if ((await Promise.race([exited, waitServing(port).then(() => "ok" as const)])) === "exited")
      throw new Error(`supervisord exited: ${logError(logs[0]!)}`);
    const workers = async () => markedWorkers(dir).map((w) => w.pid);
    await waitCount(async () => (await workers()).length, opts.workers, 30_000);
    await delay(500);
    return await underLoad(
      {
        port,
        workers,
        async kill() {
          signalPid(daemons[0]!.pid, "SIGKILL");
          await daemons[0]!.exited;
        },
        async restart() {
          daemons.push(start(logs[1]!));
        },
        async outcome() {
          const daemon = daemons[1]!;
          let restart: string;
          let managed: number[] = [];
          if (daemon.hasExited()) restart = `supervisord exited: ${logError(logs[1]!)}`;
          else {
            const status = await run(["supervisorctl", "-c", config, "status"], {
              timeoutMs: 30_000,
              cwd: dir,
            });
            const states = status.stdout
              .split("\n")
              .map((l) => l.trim().replace(/\s+/g, " "))
              .filter((l) => l !== "");
            managed = uniq(states.flatMap((l) => pidsIn(/pid (\d+)/.exec(l)?.[0] ?? "")));
            restart = `supervisord running (pid ${daemon.pid}); status: ${states.join(" | ").slice(0, 400)}`;
          }
          const daemonAfter = daemon.hasExited() ? undefined : daemon.pid;
          return { restart, daemonAfter, after: markedWorkers(dir), managed };
        },
      },
      opts,
    );
  } finally {
    await release();
  }
}

// ---------------------------------------------------------------------------------------------
// kernel-rss

async function kernelRss(opts: DaemonRestartOptions): Promise<KernelRssFigure> {
  const dir = freshWorkDir("daemon-restart-kernel-rss");
  const ini = join(dir, "sleepers.ini");
  writeFileSync(
    ini,
    [
      "[circus]",
      `endpoint = ipc://${join(dir, "ctl.sock")}`,
      `pubsub_endpoint = ipc://${join(dir, "pubsub.sock")}`,
      `papa_endpoint = ipc://${join(dir, "papa.sock")}`,
      "[watcher:sleepers]",
      "cmd = sleep 100000",
      `numprocesses = ${opts.kernelN}`,
      "use_papa = true",
      "",
    ].join("\n"),
  );
  const log = new LineLog(join(dir, "circusd.log"));
  const earlier = new Set(kernelPids());
  let daemon: Launched | undefined;
  let kernel: number | undefined;
  let note = "";
  const release = onCleanup(async () => {
    if (daemon !== undefined && !daemon.hasExited()) {
      await circusctl(dir, "stop");
      await circusctl(dir, "quit");
    }
    if (kernel !== undefined && (await waitNotRunning(kernel, 10_000, 50)) === undefined) {
      note = "the kernel still ran 10 s after stop + quit (killed)";
      killTree(kernel);
    }
    if (daemon !== undefined) killTree(daemon.pid);
    killMarked(dir);
    killStrays("sleep", dir);
    log.close();
  });
  const measure = async (): Promise<KernelRssFigure> => {
    daemon = launch([process.execPath, CIRCUSD, ini], { log, cwd: dir });
    const hosted = (): number =>
      kernel === undefined
        ? 0
        : descendants(kernel).filter((s) => s.comm === "sleep" && s.state !== "Z").length;
    const deadline = now() + 60_000;
    while (now() < deadline && hosted() < opts.kernelN) {
      if (daemon.hasExited())
        throw new Unavailable(`circusd exited ${daemon.child.exitCode}: ${logError(log)}`);
      const fresh = kernelPids().filter((pid) => !earlier.has(pid));
      kernel ??= fresh.find((pid) => cmdline(pid).includes(dir)) ?? fresh[0];
      await delay(200);
    }
    if (kernel === undefined) throw new Error(`no ${KERNEL_MARK} process within 60 s`);
    const count = hosted();
    if (count < opts.kernelN) throw new Error(`only ${count} sleeps under the kernel after 60 s`);
    await delay(2_000);
    const mem = readMem(kernel);
    const circusd = readMem(daemon.pid);
    if (mem === undefined) throw new Error("the kernel exited");
    return {
      rssMiB: mem.rssKiB / 1024,
      hwmMiB: mem.hwmKiB / 1024,
      hosted: hosted(),
      circusdRssMiB: circusd === undefined ? undefined : circusd.rssKiB / 1024,
    };
  };
  let figure: KernelRssFigure;
  try {
    figure = await measure();
  } finally {
    await release();
  }
  return note === "" ? figure : { ...figure, note };
}

// ---------------------------------------------------------------------------------------------
// The scenario

/** Row label → system id (for --systems) and runner. */
const ROWS: [string, string, (opts: DaemonRestartOptions) => Promise<RestartFigure>][] = [
  ["circus-ts", "circus-ts", (o) => circusRun(o, false)],
  ["circus-ts+kernel", "circus-ts", (o) => circusRun(o, true)],
  ["pm2 (kill -9, resurrect)", "pm2", (o) => pm2Run(o, false)],
  ["pm2 (pm2 kill, resurrect)", "pm2", (o) => pm2Run(o, true)],
  ["supervisor", "supervisor", supervisorRun],
];

async function attempt<T extends { error?: string }>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    const message = String(error instanceof Error ? error.message : error);
    return { error: error instanceof Unavailable ? `unavailable: ${message}` : message } as T;
  }
}

/** Runs every row whose system is asked for, then `kernel-rss` (with circus-ts). */
export async function runDaemonRestart(
  opts: DaemonRestartOptions,
  progress: (message: string) => void,
): Promise<DaemonRestartResult> {
  const result: DaemonRestartResult = { rows: {} };
  for (const [label, id, runner] of ROWS) {
    if (!opts.systems.has(id)) continue;
    const why = opts.systems.get(id);
    if (why !== undefined) {
      result.rows[label] = { error: why };
      continue;
    }
    if (id === "pm2" && !existsSync(PM2_BIN)) {
      result.rows[label] = { error: "unavailable: pm2 not installed (sh bench/setup.sh)" };
      continue;
    }
    progress(`daemon-restart: ${label}`);
    const figure = await attempt(() => runner(opts));
    progress(`daemon-restart: ${label}: ${JSON.stringify(figure)}`);
    result.rows[label] = figure;
    await delay(1_000);
  }
  if (opts.systems.has("circus-ts") && opts.systems.get("circus-ts") === undefined) {
    progress(`daemon-restart: kernel-rss (${opts.kernelN} sleeps)`);
    result.kernelRss = await attempt(() => kernelRss(opts));
    progress(`daemon-restart: kernel-rss: ${JSON.stringify(result.kernelRss)}`);
  }
  return result;
}

/** True if a row could not run for a reason other than the system being unavailable. */
export function daemonRestartFailed(result: DaemonRestartResult): boolean {
  const figures = [...Object.values(result.rows), ...(result.kernelRss ? [result.kernelRss] : [])];
  return figures.some((f) => f.error !== undefined && !f.error.startsWith("unavailable"));
}

/** Whether the managed pids after the restart are the ones of before the kill. */
function sameness(f: RestartFigure): string {
  const managed = f.managed ?? [];
  const old = managed.filter((pid) => f.before?.includes(pid)).length;
  if (old === managed.length) return "the same pids as before the kill";
  return old === 0 ? "all new pids" : `${old} of them from before the kill`;
}

/** Five tables (failed, gap, served, workers managed, workers kept) and the kernel's RSS. */
export function daemonRestartTables(
  result: DaemonRestartResult,
  opts: DaemonRestartOptions,
): Table[] {
  const entries = Object.entries(result.rows);
  const join = (...parts: (string | undefined)[]): string =>
    parts.filter((p): p is string => p !== undefined && p !== "").join("; ");
  const pids = (list: number[] | undefined): string =>
    list === undefined || list.length === 0 ? "none" : list.join(",");
  const table = (
    title: string,
    unit: string,
    digits: number,
    value: (f: RestartFigure) => number | undefined,
    detail: (f: RestartFigure) => string,
  ): Table => ({
    title,
    unit,
    digits,
    rows: entries.map(([label, f]): Row => ({
      system: label,
      isOurs: label === "circus-ts",
      isRaw: false,
      value: f.error === undefined ? value(f) : undefined,
      detail: f.error ?? detail(f),
    })),
  });
  const what =
    `${opts.workers} HTTP workers, ${opts.clients} clients without keep-alive for ` +
    `${opts.durationS} s; daemon SIGKILLed at ${opts.killAtS} s, restarted ${opts.pauseS} s later`;
  const tables: Table[] = [
    table(
      `daemon-restart: failed requests, ${what} (lower is better)`,
      "requests",
      0,
      (f) => f.failed,
      (f) =>
        join(
          Object.entries(f.failKinds ?? {})
            .map(([k, n]) => `${n} ${k}`)
            .join(", "),
          f.commands,
        ),
    ),
    table(
      `daemon-restart: longest gap between two completed responses (lower is better)`,
      "ms",
      0,
      (f) => f.gapMs,
      (f) =>
        join(
          f.gapFromS === undefined
            ? undefined
            : `from ${f.gapFromS.toFixed(2)} s to ${f.gapToS!.toFixed(2)} s` +
                (f.gapOpen === true ? " (no reply until the end of the load)" : ""),
          f.firstNewS === undefined
            ? "no new worker answered"
            : `first reply of a new worker ${f.firstNewS.toFixed(2)} s after the restart`,
        ),
    ),
    table(
      `daemon-restart: requests served (higher is better)`,
      "requests",
      0,
      (f) => f.served,
      (f) =>
        f.rateBefore === undefined
          ? ""
          : `${f.rateBefore.toFixed(0)}/s before the kill, ${f.rateEnd!.toFixed(0)}/s in the last 2 s`,
    ),
    table(
      `daemon-restart: workers the restarted daemon manages at the end, by its own status ` +
        `command (of ${opts.workers}; 0 = the restart failed or lost them)`,
      "processes",
      0,
      (f) => f.managed?.length,
      (f) =>
        join(
          f.restart,
          (f.managed ?? []).length === 0 ? undefined : `${pids(f.managed)} (${sameness(f)})`,
        ),
    ),
    table(
      `daemon-restart: workers of before the kill still running at the end (of ${opts.workers})`,
      "processes",
      0,
      (f) => f.kept,
      (f) =>
        join(
          `before ${pids(f.before)}`,
          `1 s after the kill: ${f.orphans ?? "?"}`,
          `at the end ${
            (f.after ?? []).length === 0
              ? "none"
              : f
                  .after!.map(
                    (w) => `${w.pid}${w.ppid === f.daemonAfter ? "" : `(ppid ${w.ppid})`}`,
                  )
                  .join(",")
          } (new daemon ${f.daemonAfter ?? "none"})`,
          `answering before the kill ${pids(f.answeredBefore)}, in the last 2 s ${pids(f.answeredEnd)}`,
        ),
    ),
  ];
  if (result.kernelRss !== undefined) {
    const k = result.kernelRss;
    tables.push({
      title: `kernel-rss: VmRSS of the process kernel (${KERNEL_MARK}) hosting ${opts.kernelN} × sleep`,
      unit: "MiB",
      digits: 1,
      rows: [
        {
          system: "circus-ts+kernel",
          isOurs: true,
          isRaw: false,
          value: k.rssMiB,
          detail:
            k.error ??
            join(
              `VmHWM ${k.hwmMiB?.toFixed(1)} MiB`,
              `${k.hosted} hosted`,
              k.circusdRssMiB === undefined
                ? undefined
                : `circusd ${k.circusdRssMiB.toFixed(1)} MiB`,
              k.note,
            ),
        },
      ],
    });
  }
  return tables;
}
