/**
 * stdout throughput: one process (bench/raw/writer.c) writes BYTES bytes of numbered lines (128
 * bytes, or --line) to its stdout in 64 KiB writes, and each system puts them in a file: the pipe limit (`writer | cat >
 * file`), Supervisor's stdout_logfile, PM2's out_file and our FileStream, with and without
 * rotation. Timed from the writer's first instruction (its own CLOCK_MONOTONIC stamp, so that
 * the daemons' start-up is not counted) to the poll that finds all the bytes in the output
 * file(s) with the writer exited. Each run gets a fresh output folder and a `sync` before and
 * after; rounds interleave the setups so that a busy period of the machine hits all of them.
 */
import { mkdirSync, openSync, readdirSync, readFileSync, readSync } from "node:fs";
import { closeSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { onCleanup } from "../lib/cleanup.js";
import { launch, run, within, type Launched, type RunResult } from "../lib/exec.js";
import { LineLog } from "../lib/log.js";
import { BENCH_DIR, freshWorkDir, REPO_DIR, WORK_DIR } from "../lib/paths.js";
import { CLOCK_TICKS, delay, descendants, isRunning, killTree } from "../lib/proc.js";
import { readMem, readStat } from "../lib/proc.js";
import type { Row, Table } from "../lib/table.js";
import { median } from "../lib/table.js";
import { PM2_BIN, killStale, pm2Env, writeEcosystem } from "../systems/pm2.js";

const WRITER_SOURCE = join(BENCH_DIR, "raw", "writer.c");
const WRITER = join(WORK_DIR, "writer");
const CIRCUSD = join(REPO_DIR, "dist", "cli", "circusd.js");
const CIRCUSCTL = join(REPO_DIR, "dist", "cli", "circusctl.js");
/** Counter digits at the start of each of writer.c's lines (then a space, filler, newline). */
const DIGITS = 16;
/** Rotation of the rotating variants: 100 MiB per file, 20 backups (2 GiB kept). */
const ROTATE_BYTES = 104_857_600;
const ROTATE_BACKUPS = 20;
const MB = 1e6;
const MIB = 1024;

/** Options of {@link runThroughput}. */
export interface ThroughputOptions {
  /** Bytes the writer writes (default 1 GiB). */
  bytes: number;
  /** Length of the writer's lines (default 128; one that does not divide 64 KiB makes lines
   * straddle two writes). */
  line: number;
  /** Runs per setup; figures are medians. */
  rounds: number;
  /** Pause between two polls of the output size, ms. */
  intervalMs: number;
  /** Pause between the daemon being ready and the idle RSS reading, ms. */
  idleMs: number;
  /** Bound of one run (writer start to all bytes), ms. */
  timeoutMs: number;
  /** Base system ids to run (circus-ts, pm2, supervisor, raw), with why one cannot run. */
  systems: Map<string, string | undefined>;
}

/** Figures of one run of one setup; undefined when not reached. */
export interface ThroughputRun {
  /** Writer start → all bytes in the file(s) and the writer exited, seconds. */
  seconds?: number;
  /** BYTES / seconds, in MB/s (1 MB = 1e6 bytes). */
  mbps?: number;
  /** Writer start → its last write(2) returned, seconds. */
  writerS?: number;
  /** Bytes found in the output file(s) at the end, minus BYTES (negative: lost). */
  extraBytes?: number;
  /** Output files at the end (more than 1 with rotation). */
  files?: number;
  /** Counter of the last complete line found, and the one expected. */
  lastLine?: number;
  expectedLastLine?: number;
  /** The daemon's VmRSS once ready and idle, the peak seen during the run (max of the
   * samples and VmHWM), and right at the end, KiB. */
  idleKiB?: number;
  peakKiB?: number;
  endKiB?: number;
  /**
   * CPU time (user + system, all threads) the copier used between the writer start and the
   * end, s: the daemon, or `cat` for the pipe (its last sample, up to one poll before it exits).
   */
  copierCpuS?: number;
  /** Ours: when dist/cli/circusd.js was built, to see a rebuild in the middle of a run. */
  build?: string;
  error?: string;
}

/** One line of the table: a setup and its runs. */
export interface ThroughputSetupResult {
  label: string;
  system: string;
  runs: ThroughputRun[];
  /** Why it did not run at all. */
  unavailable?: string;
}

/** What a setup's daemon offers to a run. */
interface Managed {
  /** The daemon that copies the output (undefined for the pipe). */
  daemonPid(): number | undefined;
  /** The process that copies the output if not the daemon: `cat` for the pipe. */
  copierPid?(): number | undefined;
  /** Why the daemon is gone, if it is. */
  died(): string | undefined;
  /** Starts the writer (the pipe starts at launch and does nothing here). */
  startWriter(): Promise<void>;
  /** Stops and kills whatever is left; never throws. */
  cleanup(): Promise<void>;
}

/** What the writer writes: `bytes` bytes of `line`-byte lines. */
interface WriterJob {
  bytes: number;
  line: number;
}

/** The writer's argv for `job`, its stamps into `stamp`. */
function writerCommand(job: WriterJob, stamp: string): string[] {
  return [WRITER, "-l", String(job.line), String(job.bytes), stamp];
}

/** Paths of one run. */
interface RunPaths {
  dir: string;
  outDir: string;
  outFile: string;
  stamp: string;
}

interface Setup {
  label: string;
  system: string;
  isOurs: boolean;
  isRaw: boolean;
  /** What version of the daemon runs, if it can change between runs (ours: dist build). */
  build?(): string | undefined;
  /** Launches the daemon (writer not started yet) and waits until it takes commands. */
  launch(paths: RunPaths, job: WriterJob): Promise<Managed>;
}

/** CLOCK_MONOTONIC in ms: the writer's stamps use the same clock. */
const hrNow = (): number => Number(process.hrtime.bigint()) / 1e6;

let compiled = false;

/** Compiles writer.c into bench/work/writer once per harness run; the error if it fails. */
export async function compileWriter(): Promise<string | undefined> {
  if (compiled) return undefined;
  mkdirSync(WORK_DIR, { recursive: true });
  const r = await run(["gcc", "-O2", "-Wall", "-o", WRITER, WRITER_SOURCE], { timeoutMs: 60_000 });
  if (r.code !== 0) return `gcc failed: ${r.stderr.trim() || String(r.code)}`;
  compiled = true;
  return undefined;
}

const lastLines = (log: LineLog, n = 2): string =>
  log.lines
    .slice(-n)
    .map((l) => l.text.trim())
    .join(" | ");

function exitReason(daemon: Launched, log: LineLog, what: string): string | undefined {
  return daemon.hasExited() ? `${what} exited: ${lastLines(log) || "(no output)"}` : undefined;
}

/** Retries `probe` until it succeeds; throws with `why()` if the daemon dies or time runs out. */
async function waitReady(
  probe: () => Promise<RunResult>,
  died: () => string | undefined,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = hrNow() + timeoutMs;
  let last: RunResult | undefined;
  while (hrNow() < deadline) {
    const why = died();
    if (why !== undefined) throw new Error(why);
    last = await probe();
    if (last.code === 0) return;
    await delay(100);
  }
  throw new Error(`not ready after ${timeoutMs / 1000} s: ${last?.stderr.trim() ?? ""}`);
}

function checked(result: RunResult, what: string): void {
  if (result.code !== 0 || result.timedOut) {
    const out = `${result.stdout.trim()} ${result.stderr.trim()}`.trim();
    throw new Error(`${what} failed (${result.code ?? result.signal}): ${out.slice(0, 300)}`);
  }
}

/** `writer | cat > file`: the physical limit of output that goes through a pipe. */
const pipeSetup: Setup = {
  label: "pipe: writer | cat > file",
  system: "raw",
  isOurs: false,
  isRaw: true,
  async launch(paths, job) {
    const log = new LineLog(join(paths.dir, "sh.log"));
    let sh: Launched | undefined;
    let cat: number | undefined;
    return {
      daemonPid: () => undefined,
      copierPid: () =>
        (cat ??=
          sh === undefined ? undefined : descendants(sh.pid).find((p) => p.comm === "cat")?.pid),
      died: () => undefined,
      async startWriter() {
        sh = launch(
          ["/bin/sh", "-c", 'out=$1; shift; "$@" | cat > "$out"', "sh", paths.outFile].concat(
            writerCommand(job, paths.stamp),
          ),
          { log, cwd: paths.dir },
        );
      },
      async cleanup() {
        if (sh !== undefined && !sh.hasExited()) killTree(sh.pid);
        if (sh !== undefined) await within(sh.exited, 5_000, undefined);
        log.close();
      },
    };
  },
};

/** supervisord.conf with one program, the writer, not autostarted. */
function supervisorConfig(paths: RunPaths, job: WriterJob, rotate: boolean): string {
  return [
    "[unix_http_server]",
    `file=${join(paths.dir, "supervisor.sock")}`,
    "chmod=0700",
    "",
    "[supervisord]",
    "nodaemon=true",
    "user=root",
    `logfile=${join(paths.dir, "supervisord.log")}`,
    "logfile_maxbytes=0",
    `pidfile=${join(paths.dir, "supervisord.pid")}`,
    `childlogdir=${paths.dir}`,
    "loglevel=info",
    "",
    "[rpcinterface:supervisor]",
    "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
    "",
    "[supervisorctl]",
    `serverurl=unix://${join(paths.dir, "supervisor.sock")}`,
    "",
    "[program:writer]",
    `command=${writerCommand(job, paths.stamp).join(" ")}`,
    "autostart=false",
    "autorestart=false",
    "startsecs=0",
    "startretries=0",
    `stdout_logfile=${paths.outFile}`,
    `stdout_logfile_maxbytes=${rotate ? ROTATE_BYTES : 0}`,
    `stdout_logfile_backups=${rotate ? ROTATE_BACKUPS : 0}`,
    "stderr_logfile=NONE",
    "",
  ].join("\n");
}

/**
 * A daemon driven by its control program (supervisorctl, circusctl): ready once `ready`
 * succeeds; the writer started with `start writer`; stopped with SIGTERM, killed if it lingers.
 */
async function controlled(
  daemon: Launched,
  log: LineLog,
  name: string,
  ctl: (...args: string[]) => Promise<RunResult>,
  ready: string,
): Promise<Managed> {
  const died = () => exitReason(daemon, log, name);
  const managed: Managed = {
    daemonPid: () => daemon.pid,
    died,
    async startWriter() {
      checked(await ctl("start", "writer"), `${name}: start writer`);
    },
    async cleanup() {
      if (!daemon.hasExited()) daemon.child.kill("SIGTERM");
      await within(daemon.exited, 30_000, undefined);
      if (!daemon.hasExited()) killTree(daemon.pid);
      await within(daemon.exited, 5_000, undefined);
      log.close();
    },
  };
  await waitReady(() => ctl(ready), died);
  return managed;
}

function supervisorSetup(rotate: boolean): Setup {
  return {
    label: rotate ? "supervisor, rotating" : "supervisor",
    system: "supervisor",
    isOurs: false,
    isRaw: false,
    async launch(paths, job) {
      const config = join(paths.dir, "supervisord.conf");
      writeFileSync(config, supervisorConfig(paths, job, rotate));
      const log = new LineLog(join(paths.dir, "supervisord.stdout"));
      const daemon = launch(["supervisord", "-c", config], { log, cwd: paths.dir });
      const ctl = (...args: string[]) =>
        run(["supervisorctl", "-c", config, ...args], { timeoutMs: 60_000, cwd: paths.dir });
      return controlled(daemon, log, "supervisord", ctl, "pid");
    },
  };
}

function pm2Setup(): Setup {
  return {
    label: "pm2",
    system: "pm2",
    isOurs: false,
    isRaw: false,
    async launch(paths, job) {
      const home = join(WORK_DIR, "pm2", "home");
      await killStale(home);
      const env = pm2Env(home);
      const app = {
        name: "writer",
        script: WRITER,
        args: writerCommand(job, paths.stamp).slice(1),
        interpreter: "none",
        exec_mode: "fork",
        instances: 1,
        autorestart: false,
        merge_logs: true,
        time: false,
        out_file: paths.outFile,
        error_file: "/dev/null",
      };
      const ecosystem = writeEcosystem(paths.dir, app);
      const cli = (...args: string[]) =>
        run([process.execPath, PM2_BIN, ...args], { timeoutMs: 120_000, env, cwd: paths.dir });
      const pidFile = join(home, "pm2.pid");
      const godPid = (): number | undefined => {
        try {
          const pid = Number(readFileSync(pidFile, "utf8").trim());
          return Number.isInteger(pid) && pid > 1 ? pid : undefined;
        } catch {
          return undefined;
        }
      };
      let god: number | undefined;
      // `pm2 ping` starts the God daemon with no app.
      checked(await cli("ping"), "pm2 ping");
      god = godPid();
      return {
        daemonPid: () => (god ??= godPid()),
        died: () => (god !== undefined && !isRunning(god) ? "PM2 God daemon exited" : undefined),
        async startWriter() {
          checked(await cli("start", ecosystem), "pm2 start");
        },
        async cleanup() {
          await cli("kill");
          const pid = god ?? godPid();
          if (pid !== undefined && isRunning(pid)) killTree(pid);
        },
      };
    },
  };
}

/** circusd INI: one watcher, the writer, not autostarted, stdout into a FileStream. */
export function circusThroughputConfig(paths: RunPaths, job: WriterJob, rotate: boolean): string {
  return [
    "[circus]",
    `endpoint = ipc://${join(paths.dir, "control.sock")}`,
    `pubsub_endpoint = ipc://${join(paths.dir, "pubsub.sock")}`,
    "",
    "[watcher:writer]",
    `cmd = ${writerCommand(job, paths.stamp).join(" ")}`,
    "numprocesses = 1",
    "autostart = false",
    "respawn = False",
    "stdout_stream.class = FileStream",
    `stdout_stream.filename = ${paths.outFile}`,
    ...(rotate
      ? [
          `stdout_stream.max_bytes = ${ROTATE_BYTES}`,
          `stdout_stream.backup_count = ${ROTATE_BACKUPS}`,
        ]
      : []),
    "",
  ].join("\n");
}

function circusSetup(rotate: boolean): Setup {
  return {
    label: rotate ? "circus-ts, rotating" : "circus-ts",
    system: "circus-ts",
    isOurs: !rotate,
    isRaw: false,
    build() {
      try {
        return statSync(CIRCUSD)
          .mtime.toISOString()
          .replace(/\.\d+Z$/, "Z");
      } catch {
        return undefined;
      }
    },
    async launch(paths, job) {
      const config = join(paths.dir, "writer.ini");
      writeFileSync(config, circusThroughputConfig(paths, job, rotate));
      const log = new LineLog(join(paths.dir, "circusd.log"));
      const daemon = launch([process.execPath, CIRCUSD, config], { log, cwd: paths.dir });
      const endpoint = `ipc://${join(paths.dir, "control.sock")}`;
      const ctl = (...args: string[]) =>
        run([process.execPath, CIRCUSCTL, "--endpoint", endpoint, ...args], {
          timeoutMs: 60_000,
          cwd: paths.dir,
        });
      return controlled(daemon, log, "circusd", ctl, "list");
    },
  };
}

/** The setups in table order. */
function setups(): Setup[] {
  return [
    pipeSetup,
    supervisorSetup(false),
    supervisorSetup(true),
    pm2Setup(),
    circusSetup(false),
    circusSetup(true),
  ];
}

/** Output files oldest first: NAME.K (highest K first) ... NAME.1, then NAME and the rest. */
function outputFiles(outDir: string): { path: string; size: number }[] {
  let names: string[];
  try {
    names = readdirSync(outDir);
  } catch {
    return [];
  }
  const rank = (name: string): number => {
    const m = /\.(\d+)$/.exec(name);
    return m === null ? -1 : Number(m[1]);
  };
  names.sort((a, b) => rank(b) - rank(a) || a.localeCompare(b));
  const files: { path: string; size: number }[] = [];
  for (const name of names) {
    try {
      files.push({ path: join(outDir, name), size: statSync(join(outDir, name)).size });
    } catch {
      // renamed by a rotation between readdir and stat: the next poll sees it
    }
  }
  return files;
}

const total = (files: { size: number }[]): number => files.reduce((sum, f) => sum + f.size, 0);

/** The last `length` bytes of the files taken end to end. */
function tailOf(files: { path: string; size: number }[], length: number): Buffer {
  const parts: Buffer[] = [];
  let wanted = length;
  for (let i = files.length - 1; i >= 0 && wanted > 0; i--) {
    const file = files[i]!;
    const take = Math.min(wanted, file.size);
    if (take === 0) continue;
    const buffer = Buffer.alloc(take);
    const fd = openSync(file.path, "r");
    try {
      readSync(fd, buffer, 0, take, file.size - take);
    } finally {
      closeSync(fd);
    }
    parts.unshift(buffer);
    wanted -= take;
  }
  return Buffer.concat(parts);
}

/** Counter of the last complete line in the output, or undefined if none parses. */
function lastCounter(files: { path: string; size: number }[], line: number): number | undefined {
  const lines = tailOf(files, 3 * line)
    .toString("latin1")
    .split("\n");
  lines.pop(); // after the last newline: empty, or a partial line
  const last = lines.pop();
  if (last === undefined || last.length !== line - 1) return undefined;
  const counter = Number(last.slice(0, DIGITS));
  return Number.isInteger(counter) ? counter : undefined;
}

/** The writer's stamps: start/end in ms on hrNow()'s clock, and its pid. */
function readStamps(path: string): { start?: number; end?: number; pid?: number } {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return {};
  }
  const stamp = (what: string): number | undefined => {
    const m = new RegExp(`^${what} (\\d+)$`, "m").exec(text);
    return m?.[1] === undefined ? undefined : Number(BigInt(m[1])) / 1e6;
  };
  const pid = /^pid (\d+)$/m.exec(text)?.[1];
  return {
    start: stamp("start"),
    end: stamp("end"),
    pid: pid === undefined ? undefined : Number(pid),
  };
}

async function sync(): Promise<void> {
  await run(["sync"], { timeoutMs: 120_000 });
}

/** One run of one setup, from a fresh output folder. */
async function runOnce(setup: Setup, opts: ThroughputOptions): Promise<ThroughputRun> {
  const result: ThroughputRun = {};
  const dir = freshWorkDir(`throughput-${setup.label.replace(/[^a-z0-9]+/gi, "-")}`);
  const paths: RunPaths = {
    dir,
    outDir: join(dir, "out"),
    outFile: join(dir, "out", "writer.log"),
    stamp: join(dir, "writer.stamp"),
  };
  mkdirSync(paths.outDir);
  await sync();
  let managed: Managed | undefined;
  const release = onCleanup(async () => {
    await managed?.cleanup();
  });
  result.build = setup.build?.();
  try {
    managed = await setup.launch(paths, { bytes: opts.bytes, line: opts.line });
    const pid = managed.daemonPid();
    if (pid !== undefined) {
      await delay(opts.idleMs);
      result.idleKiB = readMem(pid)?.rssKiB;
    }
    let peak = 0;
    let cpuLast: number | undefined;
    const sample = (): void => {
      const mem = pid === undefined ? undefined : readMem(pid);
      if (mem !== undefined && Number.isFinite(mem.rssKiB)) peak = Math.max(peak, mem.rssKiB);
      const copier = managed?.copierPid?.() ?? pid;
      const ticks = copier === undefined ? undefined : readStat(copier)?.cpuTicks;
      if (ticks !== undefined) cpuLast = ticks;
    };
    await managed.startWriter();

    // The clock starts at the writer's own stamp; wait for it.
    const startDeadline = hrNow() + 30_000;
    let stamps = readStamps(paths.stamp);
    while (stamps.start === undefined || stamps.pid === undefined) {
      if (hrNow() > startDeadline) throw new Error("the writer did not start within 30 s");
      const why = managed.died();
      if (why !== undefined) throw new Error(why);
      await delay(2);
      stamps = readStamps(paths.stamp);
    }
    const { start, pid: writerPid } = stamps;
    // cat starts with the pipeline: all its CPU time counts.
    const cpuAtStart = pid === undefined ? 0 : readStat(pid)?.cpuTicks;

    let lastSize = -1;
    let lastGrowth = hrNow();
    let doneAt: number | undefined;
    for (;;) {
      sample();
      const size = total(outputFiles(paths.outDir));
      const at = hrNow();
      if (size !== lastSize) {
        lastSize = size;
        lastGrowth = at;
      }
      const writerExited = !isRunning(writerPid);
      const writerDone = writerExited && readStamps(paths.stamp).end !== undefined;
      // A second listing guards against a rotation counted twice between readdir and stat.
      if (size >= opts.bytes && writerDone && total(outputFiles(paths.outDir)) >= opts.bytes) {
        doneAt = at;
        break;
      }
      if (at - start > opts.timeoutMs) {
        result.error = `timeout: ${size} of ${opts.bytes} bytes after ${opts.timeoutMs / 1000} s`;
        break;
      }
      if (writerExited && at - lastGrowth > 5_000) {
        const how = writerDone ? "writer exited" : "writer exited before its last write";
        result.error = `stalled: ${size} of ${opts.bytes} bytes, ${how}, no growth for 5 s`;
        break;
      }
      const why = managed.died();
      if (why !== undefined) {
        result.error = why;
        break;
      }
      await delay(opts.intervalMs);
    }
    const end = readStamps(paths.stamp).end;
    if (end !== undefined) result.writerS = (end - start) / 1000;
    if (doneAt !== undefined) {
      result.seconds = (doneAt - start) / 1000;
      result.mbps = opts.bytes / MB / result.seconds;
    }
    sample();
    if (cpuLast !== undefined && cpuAtStart !== undefined) {
      result.copierCpuS = (cpuLast - cpuAtStart) / CLOCK_TICKS;
    }
    if (pid !== undefined) {
      const mem = readMem(pid);
      result.endKiB = mem?.rssKiB;
      result.peakKiB = Math.max(peak, mem?.hwmKiB ?? 0) || undefined;
    }
    // Late bytes (a copy beyond BYTES) would show up here.
    await delay(300);
    const files = outputFiles(paths.outDir);
    result.files = files.length;
    result.extraBytes = total(files) - opts.bytes;
    result.expectedLastLine = Math.floor(opts.bytes / opts.line) - 1;
    result.lastLine = lastCounter(files, opts.line);
    return result;
  } catch (error) {
    result.error = String(error instanceof Error ? error.message : error);
    return result;
  } finally {
    await release();
    rmSync(paths.outDir, { recursive: true, force: true });
    await sync();
  }
}

/** Runs every available setup `rounds` times, interleaved. */
export async function runThroughput(
  opts: ThroughputOptions,
  progress: (message: string) => void,
): Promise<ThroughputSetupResult[]> {
  const results: ThroughputSetupResult[] = [];
  const todo: [Setup, ThroughputSetupResult][] = [];
  const writerError = await compileWriter();
  for (const setup of setups()) {
    if (!opts.systems.has(setup.system)) continue;
    const why = opts.systems.get(setup.system) ?? writerError;
    const entry: ThroughputSetupResult = { label: setup.label, system: setup.system, runs: [] };
    if (why !== undefined) entry.unavailable = why;
    else todo.push([setup, entry]);
    results.push(entry);
  }
  for (let round = 1; round <= opts.rounds; round++) {
    for (const [setup, entry] of todo) {
      progress(`throughput: ${setup.label} ${round}/${opts.rounds}`);
      const r = await runOnce(setup, opts);
      progress(`throughput: ${setup.label}: ${JSON.stringify(r)}`);
      entry.runs.push(r);
      await delay(1_000);
    }
  }
  return results;
}

/** Is the run's output complete and in order? */
function intact(r: ThroughputRun): boolean {
  return r.extraBytes === 0 && r.lastLine === r.expectedLastLine;
}

/** The table: MB/s, ratio to ours and to the pipe limit ("raw"). */
export function throughputTable(results: ThroughputSetupResult[], opts: ThroughputOptions): Table {
  const fmtMiB = (kib: number | undefined): string =>
    kib === undefined ? "?" : (kib / MIB).toFixed(1);
  const rows: Row[] = results.map((entry) => {
    const setup = setups().find((s) => s.label === entry.label)!;
    const base = { system: entry.label, isOurs: setup.isOurs, isRaw: setup.isRaw };
    if (entry.unavailable !== undefined) {
      return { ...base, value: undefined, detail: `unavailable: ${entry.unavailable}` };
    }
    const runs = entry.runs;
    const parts: string[] = [];
    const secs = median(runs.map((r) => r.seconds));
    if (secs !== undefined) parts.push(`${secs.toFixed(3)} s`);
    const writer = median(runs.map((r) => r.writerS));
    if (writer !== undefined) parts.push(`writer done at ${writer.toFixed(3)} s`);
    const checkedRuns = runs.filter((r) => r.extraBytes !== undefined);
    const broken = runs
      .map((r, i) => ({ r, i }))
      .filter(({ r }) => r.extraBytes !== undefined && !intact(r));
    if (checkedRuns.length > 0 && broken.length === 0) parts.push("bytes and last line exact");
    for (const { r, i } of broken) {
      parts.push(
        `run ${i + 1}: ${r.extraBytes! < 0 ? "lost" : "extra"} ${Math.abs(r.extraBytes!)} bytes, ` +
          `last line ${r.lastLine ?? "?"} (want ${r.expectedLastLine})`,
      );
    }
    const files = median(runs.map((r) => r.files));
    if (files !== undefined && files > 1) parts.push(`${files} files`);
    if (!setup.isRaw) {
      const idle = median(runs.map((r) => r.idleKiB));
      const peak = median(runs.map((r) => r.peakKiB));
      const growth = idle === undefined || peak === undefined ? undefined : peak - idle;
      parts.push(
        `RSS idle ${fmtMiB(idle)}, peak ${fmtMiB(peak)} (+${fmtMiB(growth)}), ` +
          `end ${fmtMiB(median(runs.map((r) => r.endKiB)))} MiB`,
      );
    }
    const cpu = median(runs.map((r) => r.copierCpuS));
    if (cpu !== undefined) parts.push(`${setup.isRaw ? "cat" : "daemon"} CPU ${cpu.toFixed(2)} s`);
    const mbps = runs.map((r) => r.mbps).filter((v): v is number => v !== undefined);
    if (mbps.length > 1) {
      parts.push(
        `median of ${mbps.length}: ${Math.min(...mbps).toFixed(0)}..${Math.max(...mbps).toFixed(0)}`,
      );
    }
    const builds = [...new Set(runs.map((r) => r.build).filter((b) => b !== undefined))];
    if (builds.length > 1) parts.push(`dist rebuilt during the run: runs on ${builds.join(", ")}`);
    runs.forEach((r, i) => {
      if (r.error !== undefined) parts.push(`run ${i + 1}: ${r.error}`);
    });
    return { ...base, value: median(runs.map((r) => r.mbps)), detail: parts.join("; ") };
  });
  const gib = opts.bytes / 2 ** 30;
  const size = Number.isInteger(gib)
    ? `${gib} GiB`
    : opts.bytes % 1e6 === 0
      ? `${opts.bytes / 1e6} MB`
      : `${opts.bytes} bytes`;
  return {
    title:
      `throughput: one process writing ${size} of ${opts.line}-byte lines to stdout -> ` +
      `file(s), MB/s (1 MB = 1e6 bytes; ` +
      `higher is better; target: ours >= 70% of the pipe)`,
    unit: "MB/s",
    digits: 0,
    rows,
  };
}

/** The target line: ours / the pipe limit. */
export function throughputTarget(results: ThroughputSetupResult[]): string {
  const fig = (pick: (s: Setup) => boolean): number | undefined => {
    const label = setups().find(pick)?.label;
    const entry = results.find((r) => r.label === label);
    return entry === undefined ? undefined : median(entry.runs.map((r) => r.mbps));
  };
  const ours = fig((s) => s.isOurs);
  const pipe = fig((s) => s.isRaw);
  if (ours === undefined || pipe === undefined) {
    return "target throughput (ours >= 70% of the pipe limit): not measured";
  }
  const ratio = ours / pipe;
  return (
    `target throughput (ours >= 70% of the pipe limit): ${(100 * ratio).toFixed(0)}% -> ` +
    `${ratio >= 0.7 ? "met" : "NOT met"}`
  );
}
