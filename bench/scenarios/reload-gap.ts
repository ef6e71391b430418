/**
 * What users lose during rolling reloads under steady HTTP load: 4 ×
 * test/fixtures/graceful-http-worker.mjs serve one 127.0.0.1 port, 16 clients without keep-alive
 * (the load loop of daemon-restart.ts) run for a fixed time, and 3 reloads, spaced out, run
 * during it, each the system's own command, waited for: ours `circusctl reload web --waiting`
 * (without and with `readiness = notify`), Circus 0.19's the same, `pm2 reload web` (cluster
 * mode). Figures: failed requests, the longest gap between two completed responses, requests
 * served, and the wall time of each reload command.
 */
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, launch, run, within, type Launched, type RunResult } from "../lib/exec.js";
import { onCleanup } from "../lib/cleanup.js";
import { LineLog } from "../lib/log.js";
import { freshWorkDir, REPO_DIR } from "../lib/paths.js";
import { delay, isRunning, killTree, now, signalPid, waitNotRunning } from "../lib/proc.js";
import { median, type Row, type Table } from "../lib/table.js";
import { findCircusRef, findPythonCircusd } from "../systems/circus-py.js";
import { PM2_BIN, pm2Env, writeEcosystem } from "../systems/pm2.js";
import {
  httpLoad,
  killMarked,
  logError,
  longestGap,
  markedWorkers,
  Unavailable,
  waitServing,
  type LoadRecord,
  type LoadFigures,
} from "./daemon-restart.js";

const WORKER = join(REPO_DIR, "test", "fixtures", "graceful-http-worker.mjs");
const CIRCUSD = join(REPO_DIR, "dist", "cli", "circusd.js");
const CIRCUSCTL = join(REPO_DIR, "dist", "cli", "circusctl.js");
/** Bound of one reload command (its own --timeout for circusctl). */
const RELOAD_TIMEOUT_S = 60;
/** The load goes on at least this long after the last reload returned. */
const TAIL_MS = 1_000;

/** Options of {@link runReloadGap}. */
export interface ReloadGapOptions {
  /** Seconds of load per run. */
  durationS: number;
  /** Concurrent clients of the load. */
  clients: number;
  /** Worker processes per system. */
  workers: number;
  /** Reloads during the load. */
  reloads: number;
  /** Seconds into the load when the first reload starts. */
  firstAtS: number;
  /** Seconds between two reload starts (a reload starts late if the previous one still runs). */
  everyS: number;
  /** Runs per row, interleaved (figures are medians). */
  rounds: number;
  /** Rows to run, by system id (circus-ts, circus-py, pm2): undefined = usable, else why not. */
  systems: Map<string, string | undefined>;
}

/** One run of one row. */
export interface GapRun extends LoadFigures {
  /** Seconds the load ran: durationS, longer if the last reload returned late. */
  loadS?: number;
  /** Each reload: start and end in s since the load started, and the command's wall time. */
  reloads?: { fromS: number; toS: number; s: number; error?: string }[];
  /** Worker pids answering in the load's first second and in its last second. */
  pidsFirst?: number[];
  pidsLast?: number[];
  error?: string;
}

/** Figures of the scenario, by row label. */
export interface ReloadGapResult {
  rows: Record<string, GapRun[]>;
}

/** What a system provides to {@link underReloads}. */
interface Setup {
  port: number;
  /** One reload, waited for. */
  reload(): Promise<RunResult>;
}

const uniq = (pids: number[]): number[] => [...new Set(pids)].sort((a, b) => a - b);

/** Waits until `want` workers carrying `marker` run (bounded). */
async function waitWorkers(marker: string, want: number, timeoutMs = 30_000): Promise<void> {
  const deadline = now() + timeoutMs;
  while (markedWorkers(marker).length < want) {
    if (now() > deadline) throw new Error(`only ${markedWorkers(marker).length} workers run`);
    await delay(100);
  }
}

async function underReloads(setup: Setup, opts: ReloadGapOptions): Promise<GapRun> {
  await httpLoad(setup.port, 1_000, opts.clients); // warm-up: the workers' first second is slow
  const reloads: NonNullable<GapRun["reloads"]> = [];
  let t0 = now();
  const reloading = (async () => {
    for (let i = 0; i < opts.reloads; i++) {
      await delay(Math.max(0, t0 + (opts.firstAtS + i * opts.everyS) * 1000 - now()));
      const from = now();
      const result = await setup.reload();
      const to = now();
      const error =
        result.code === 0
          ? undefined
          : `exit ${result.code ?? result.signal}: ${(result.stderr.trim() || result.stdout.trim()).slice(0, 120)}`;
      reloads.push({
        fromS: (from - t0) / 1000,
        toS: (to - t0) / 1000,
        s: (to - from) / 1000,
        error,
      });
    }
    await delay(TAIL_MS); // the load goes on a little after the last reload, however late
  })();
  t0 = now();
  const record: LoadRecord = await httpLoad(
    setup.port,
    opts.durationS * 1000,
    opts.clients,
    reloading,
  );
  await reloading;
  const pidsIn = (from: number, to: number) =>
    uniq(record.ok.filter((r) => r.at >= from && r.at < to).map((r) => r.pid));
  return {
    served: record.ok.length,
    failed: record.failed,
    failKinds: record.kinds,
    ...longestGap(record),
    loadS: (record.end - record.t0) / 1000,
    reloads,
    pidsFirst: pidsIn(record.t0, record.t0 + 1000),
    pidsLast: pidsIn(record.end - 1000, record.end),
  };
}

// ---------------------------------------------------------------------------------------------
// Circus: ours and 0.19, the same INI (readiness only for ours)

function circusIni(dir: string, port: number, workers: number, notify: boolean): string {
  return [
    "[circus]",
    `endpoint = ipc://${join(dir, "ctl.sock")}`,
    `pubsub_endpoint = ipc://${join(dir, "pubsub.sock")}`,
    "[socket:web]",
    "host = 127.0.0.1",
    `port = ${port}`,
    "[watcher:web]",
    // The folder rides along as a marker, for cleanup to find the workers.
    `cmd = ${process.execPath} ${WORKER} $(circus.sockets.web) ${dir}`,
    "use_sockets = true",
    `numprocesses = ${workers}`,
    "graceful_timeout = 5",
    ...(notify ? ["readiness = notify", "[env:web]", "READY_AFTER_MS = 0"] : []),
    "",
  ].join("\n");
}

async function circusRun(
  opts: ReloadGapOptions,
  flavour: "ts" | "ts-notify" | "py",
): Promise<GapRun> {
  const dir = freshWorkDir(`reload-gap-circus-${flavour}`);
  const port = await freePort();
  const ini = join(dir, "web.ini");
  writeFileSync(ini, circusIni(dir, port, opts.workers, flavour === "ts-notify"));
  const endpoint = `ipc://${join(dir, "ctl.sock")}`;
  const log = new LineLog(join(dir, "circusd.log"));
  const ref = findCircusRef();
  if (flavour === "py" && ref === undefined) throw new Unavailable("circus-ref not found");
  const argv = flavour === "py" ? [ref!, "circusd", ini] : [process.execPath, CIRCUSD, ini];
  const ctl = flavour === "py" ? [ref!, "circusctl"] : [process.execPath, CIRCUSCTL];
  let daemon: Launched | undefined;
  const daemonPid = (): number | undefined =>
    daemon === undefined ? undefined : (findPythonCircusd(daemon.pid) ?? daemon.pid);
  const release = onCleanup(async () => {
    const pid = daemonPid();
    if (pid !== undefined && isRunning(pid)) {
      signalPid(pid, "SIGTERM");
      if ((await waitNotRunning(pid, 15_000, 50)) === undefined) killTree(pid);
    }
    if (daemon !== undefined) {
      killTree(daemon.pid);
      await within(daemon.exited, 5_000, undefined);
    }
    killMarked(dir);
    await delay(200);
    killMarked(dir);
    log.close();
  });
  try {
    daemon = launch(argv, { log, cwd: dir });
    const exited = daemon.exited.then(() => "exited" as const);
    if ((await Promise.race([exited, waitServing(port).then(() => "ok" as const)])) === "exited")
      throw new Unavailable(`circusd exited: ${logError(log)}`);
    await waitWorkers(dir, opts.workers);
    await delay(500);
    return await underReloads(
      {
        port,
        reload: () =>
          run(
            [
              ...ctl,
              "--endpoint",
              endpoint,
              "--timeout",
              String(RELOAD_TIMEOUT_S),
              "reload",
              "web",
              "--waiting",
            ],
            { timeoutMs: (RELOAD_TIMEOUT_S + 10) * 1000, cwd: dir },
          ),
      },
      opts,
    );
  } finally {
    await release();
  }
}

// ---------------------------------------------------------------------------------------------
// PM2, cluster mode

async function pm2Run(opts: ReloadGapOptions): Promise<GapRun> {
  const dir = freshWorkDir("reload-gap-pm2");
  const home = join(dir, "home");
  const env = pm2Env(home);
  const pm2 = (...args: string[]) =>
    run([process.execPath, PM2_BIN, ...args], { timeoutMs: 120_000, env, cwd: dir });
  const port = await freePort();
  const app = {
    name: "web",
    script: WORKER,
    args: `--port ${port} ${dir}`,
    exec_mode: "cluster",
    instances: opts.workers,
    // The worker drains on SIGTERM; PM2 sends SIGINT by default, which would kill it at once.
    kill_signal: "SIGTERM",
    kill_timeout: 5_000,
    out_file: "/dev/null",
    error_file: "/dev/null",
  };
  const ecosystem = writeEcosystem(dir, app);
  const release = onCleanup(async () => {
    await pm2("kill");
    killMarked(dir); // the God daemon's title names PM2_HOME; workers carry the marker
  });
  try {
    const started = await pm2("start", ecosystem);
    if (started.code !== 0) throw new Error(`pm2 start: ${started.stderr.trim()}`);
    await waitServing(port);
    // Cluster workers' argv may not show the script: the online ones `pm2 jlist` gives.
    const online = async (): Promise<number> => {
      try {
        const list = JSON.parse((await pm2("jlist")).stdout) as { pm2_env?: { status?: string } }[];
        return list.filter((p) => p.pm2_env?.status === "online").length;
      } catch {
        return 0;
      }
    };
    const deadline = now() + 30_000;
    while ((await online()) < opts.workers) {
      if (now() > deadline) throw new Error(`fewer than ${opts.workers} online after 30 s`);
      await delay(200);
    }
    await delay(500);
    return await underReloads({ port, reload: () => pm2("reload", "web") }, opts);
  } finally {
    await release();
  }
}

// ---------------------------------------------------------------------------------------------
// The scenario

/** Row label → system id (for --systems) and runner. */
const ROWS: [string, string, (opts: ReloadGapOptions) => Promise<GapRun>][] = [
  ["circus-ts reload", "circus-ts", (o) => circusRun(o, "ts")],
  ["circus-ts reload, readiness = notify", "circus-ts", (o) => circusRun(o, "ts-notify")],
  ["circus-py reload", "circus-py", (o) => circusRun(o, "py")],
  ["pm2 reload", "pm2", pm2Run],
];

async function attempt(fn: () => Promise<GapRun>): Promise<GapRun> {
  try {
    return await fn();
  } catch (error) {
    const message = String(error instanceof Error ? error.message : error);
    return { error: error instanceof Unavailable ? `unavailable: ${message}` : message };
  }
}

/** Runs every row whose system is asked for, `rounds` times, the rows interleaved. */
export async function runReloadGap(
  opts: ReloadGapOptions,
  progress: (message: string) => void,
): Promise<ReloadGapResult> {
  const result: ReloadGapResult = { rows: {} };
  const rows = ROWS.filter(([, id]) => opts.systems.has(id));
  for (const [label, id] of rows) {
    const why = opts.systems.get(id);
    if (why !== undefined) result.rows[label] = [{ error: why }];
    else if (id === "pm2" && !existsSync(PM2_BIN))
      result.rows[label] = [{ error: "unavailable: pm2 not installed (sh bench/setup.sh)" }];
    else result.rows[label] = [];
  }
  for (let round = 1; round <= opts.rounds; round++) {
    for (const [label, id, runner] of rows) {
      const runs = result.rows[label]!;
      if (runs.some((r) => r.error?.startsWith("unavailable") === true)) continue;
      if (opts.systems.get(id) !== undefined) continue;
      progress(`reload-gap: ${label} ${round}/${opts.rounds}`);
      const figure = await attempt(() => runner(opts));
      progress(`reload-gap: ${label}: ${JSON.stringify(figure)}`);
      runs.push(figure);
      await delay(1_000);
    }
  }
  return result;
}

/** True if a run failed for a reason other than its system being unavailable. */
export function reloadGapFailed(result: ReloadGapResult): boolean {
  return Object.values(result.rows).some((runs) =>
    runs.some(
      (r) =>
        (r.error !== undefined && !r.error.startsWith("unavailable")) ||
        (r.reloads ?? []).some((x) => x.error !== undefined),
    ),
  );
}

/** Four tables: failed requests, longest gap, requests served, reload time. */
export function reloadGapTables(result: ReloadGapResult, opts: ReloadGapOptions): Table[] {
  const entries = Object.entries(result.rows);
  const join = (...parts: (string | undefined)[]): string =>
    parts.filter((p): p is string => p !== undefined && p !== "").join("; ");
  /** The run whose figure is the median one (for its detail). */
  const medianRun = (runs: GapRun[], value: (r: GapRun) => number | undefined) => {
    const ok = runs.filter((r) => value(r) !== undefined).sort((a, b) => value(a)! - value(b)!);
    return ok[Math.floor((ok.length - 1) / 2)];
  };
  const spread = (runs: GapRun[], value: (r: GapRun) => number | undefined, digits: number) => {
    const values = runs.map(value).filter((v): v is number => v !== undefined);
    return values.length < 2 ? "" : `runs ${values.map((v) => v.toFixed(digits)).join(", ")}`;
  };
  const errors = (runs: GapRun[]): string =>
    join(
      ...new Set(
        runs.flatMap((r) => [
          r.error,
          ...(r.reloads ?? []).map((x) =>
            x.error === undefined ? undefined : `reload ${x.error}`,
          ),
        ]),
      ),
    );
  const table = (
    title: string,
    unit: string,
    digits: number,
    value: (r: GapRun) => number | undefined,
    detail: (r: GapRun) => string,
  ): Table => ({
    title,
    unit,
    digits,
    rows: entries.map(([label, runs]): Row => {
      const mid = medianRun(runs, value);
      return {
        system: label,
        isOurs: label === "circus-ts reload",
        isRaw: false,
        value: median(runs.map(value)),
        detail: join(
          mid === undefined ? undefined : detail(mid),
          spread(runs, value, digits),
          errors(runs),
        ),
      };
    }),
  });
  const reloadsAt = (r: GapRun): string =>
    (r.reloads ?? []).map((x) => `${x.fromS.toFixed(1)}-${x.toS.toFixed(1)} s`).join(", ");
  const gapWhere = (r: GapRun): string => {
    if (r.gapFromS === undefined) return "";
    const i = (r.reloads ?? []).findIndex((x) => r.gapToS! >= x.fromS && r.gapFromS! <= x.toS);
    const where =
      r.gapOpen === true
        ? "no reply until the end of the load"
        : i < 0
          ? "outside the reloads"
          : `during reload ${i + 1}`;
    return `from ${r.gapFromS.toFixed(2)} s to ${r.gapToS!.toFixed(2)} s (${where})`;
  };
  const pidTurnover = (r: GapRun): string => {
    const first = r.pidsFirst ?? [];
    const last = r.pidsLast ?? [];
    const common = first.filter((pid) => last.includes(pid)).length;
    return `${first.length} pids answered in the first s, ${last.length} in the last s, ${common} in common`;
  };
  const what =
    `${opts.workers} HTTP workers, ${opts.clients} clients without keep-alive for ${opts.durationS} s ` +
    `(or until ${TAIL_MS / 1000} s after the last reload), ${opts.reloads} reloads from ` +
    `${opts.firstAtS} s every ${opts.everyS} s (or once the previous one returned)`;
  const kinds = (r: GapRun): string =>
    Object.entries(r.failKinds ?? {})
      .map(([k, n]) => `${n} ${k}`)
      .join(", ");
  const reloadMedian = (r: GapRun): number | undefined => median((r.reloads ?? []).map((x) => x.s));
  return [
    table(
      `reload-gap: failed requests, ${what} (lower is better)`,
      "requests",
      0,
      (r) => r.failed,
      (r) => join(kinds(r), `reloads at ${reloadsAt(r)}`, `load ${r.loadS?.toFixed(1)} s`),
    ),
    table(
      `reload-gap: longest gap between two completed responses (lower is better)`,
      "ms",
      0,
      (r) => r.gapMs,
      gapWhere,
    ),
    table(
      `reload-gap: requests served (higher is better)`,
      "requests",
      0,
      (r) => r.served,
      pidTurnover,
    ),
    table(
      `reload-gap: wall time of one reload command, waited for (median of the ${opts.reloads}; ` +
        `CLI start included)`,
      "s",
      2,
      reloadMedian,
      (r) => `each ${(r.reloads ?? []).map((x) => x.s.toFixed(2)).join(", ")} s`,
    ),
  ];
}
