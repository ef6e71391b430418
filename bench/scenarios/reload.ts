/**
 * HTTP through managed sockets: the request rate of test/fixtures/graceful-http-worker.mjs
 * served through a circusd socket vs the same worker binding 127.0.0.1 itself, and the failed
 * requests during 5 reloads under load: `circusctl reload` vs `pm2 reload` of the same app
 * in PM2's cluster mode. Loads come from autocannon, only against 127.0.0.1, bounded in time.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { freePort, launch, run } from "../lib/exec.js";
import { onCleanup } from "../lib/cleanup.js";
import { LineLog } from "../lib/log.js";
import { BENCH_DIR, freshWorkDir, REPO_DIR, WORK_DIR } from "../lib/paths.js";
import { delay, killTree } from "../lib/proc.js";
import type { Row, Table } from "../lib/table.js";
import { writeEcosystem } from "../systems/pm2.js";

const WORKER = join(REPO_DIR, "test", "fixtures", "graceful-http-worker.mjs");
const CIRCUSD = join(REPO_DIR, "dist", "cli", "circusd.js");
const CIRCUSCTL = join(REPO_DIR, "dist", "cli", "circusctl.js");
const PM2_BIN = join(BENCH_DIR, "node_modules", "pm2", "bin", "pm2");

/** The part of autocannon's result read here (the package ships no types). */
interface LoadResult {
  errors: number;
  timeouts: number;
  non2xx: number;
  "2xx": number;
  requests: { average: number };
}
type Autocannon = (options: Record<string, unknown>) => Promise<LoadResult>;
const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;

/** Options of {@link runReload}. */
export interface ReloadOptions {
  /** Seconds of each throughput load. */
  durationS: number;
  /** Concurrent connections of every load. */
  connections: number;
  /** Reloads done during the failure load. */
  reloads: number;
  /** Request rate runs per setup (figures are medians). */
  rounds: number;
}

/** One measured figure: requests per second, or failed requests, with how many were served. */
export interface ReloadFigure {
  value?: number;
  served?: number;
  /** What the failures were, e.g. "12 errors, 0 timeouts, 0 non-2xx". */
  kinds?: string;
  error?: string;
}

/** Figures of the reload scenario, by label (e.g. "circus-ts 2 workers"). */
export interface ReloadResult {
  rps: Record<string, ReloadFigure>;
  failed: Record<string, ReloadFigure>;
}

function load(port: number, opts: ReloadOptions, durationS = opts.durationS) {
  return autocannon({
    url: `http://127.0.0.1:${port}/`,
    connections: opts.connections,
    duration: durationS,
  });
}

const failures = (r: LoadResult): number => r.errors + r.timeouts + r.non2xx;

/** Waits until something answers HTTP on the port. */
async function waitServing(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/`)).ok) return;
    } catch {
      // not listening yet
    }
    await delay(50);
  }
  throw new Error(`nothing serves 127.0.0.1:${port}`);
}

/** The worker binding the port itself: the baseline of the request rate. */
async function selfBound(opts: ReloadOptions): Promise<ReloadFigure> {
  const port = await freePort();
  const log = new LineLog(join(freshWorkDir("reload-self"), "worker.log"));
  const worker = launch([process.execPath, WORKER, "--port", String(port)], { log });
  const release = onCleanup(() => killTree(worker.pid));
  try {
    await waitServing(port);
    const r = await load(port, opts);
    return { value: r.requests.average, served: r["2xx"] };
  } finally {
    await release();
    log.close();
  }
}

/** A circusd with `n` workers on one `[socket:web]`; `body` gets the port and a circusctl. */
async function withCircus<T>(
  n: number,
  body: (port: number, ctl: (...args: string[]) => ReturnType<typeof run>) => Promise<T>,
): Promise<T> {
  const dir = freshWorkDir(`reload-circus-${n}`);
  const port = await freePort();
  const endpoint = `ipc://${join(dir, "control.sock")}`;
  const ini = join(dir, "web.ini");
  writeFileSync(
    ini,
    [
      "[circus]",
      `endpoint = ${endpoint}`,
      `pubsub_endpoint = ipc://${join(dir, "pubsub.sock")}`,
      "[socket:web]",
      "host = 127.0.0.1",
      `port = ${port}`,
      "[watcher:web]",
      `cmd = ${process.execPath} ${WORKER} $(circus.sockets.web)`,
      "use_sockets = true",
      `numprocesses = ${n}`,
      "graceful_timeout = 10",
      "",
    ].join("\n"),
  );
  const log = new LineLog(join(dir, "circusd.log"));
  const daemon = launch([process.execPath, CIRCUSD, ini], { log });
  const release = onCleanup(() => killTree(daemon.pid));
  try {
    await waitServing(port);
    await delay(500); // every worker up, not only the first
    const ctl = (...args: string[]) =>
      run([process.execPath, CIRCUSCTL, "--endpoint", endpoint, ...args], { timeoutMs: 60_000 });
    return await body(port, ctl);
  } finally {
    daemon.child.kill("SIGTERM");
    await Promise.race([daemon.exited, delay(10_000)]);
    await release();
    log.close();
  }
}

/** Runs `reloads` reloads (one command each) during one load; the failed requests. */
async function reloadsUnderLoad(
  port: number,
  opts: ReloadOptions,
  reload: () => ReturnType<typeof run>,
): Promise<ReloadFigure> {
  const pause = 1.5;
  const pending = load(port, opts, Math.ceil(2 + opts.reloads * (pause + 1.5)));
  await delay(1000);
  for (let i = 0; i < opts.reloads; i++) {
    const result = await reload();
    if (result.code !== 0) return { error: `reload ${i + 1}: ${result.stderr.trim()}` };
    await delay(pause * 1000);
  }
  const r = await pending;
  const kinds = `${r.errors} errors, ${r.timeouts} timeouts, ${r.non2xx} non-2xx`;
  return { value: failures(r), served: r["2xx"], kinds };
}

/** PM2 in cluster mode, 2 instances of the same worker; `body` gets the port and a pm2 CLI. */
async function withPm2<T>(
  body: (port: number, pm2: (...args: string[]) => ReturnType<typeof run>) => Promise<T>,
): Promise<T> {
  const dir = freshWorkDir("reload-pm2");
  const home = join(WORK_DIR, "pm2", "home");
  const env = { ...process.env, PM2_HOME: home, PM2_DISABLE_VERSION_CHECK: "true" };
  const pm2 = (...args: string[]) =>
    run([process.execPath, PM2_BIN, ...args], { timeoutMs: 120_000, env, cwd: dir });
  const port = await freePort();
  const app = {
    name: "web",
    script: WORKER,
    args: `--port ${port}`,
    exec_mode: "cluster",
    instances: 2,
    // The worker drains on SIGTERM; PM2 sends SIGINT by default, which would kill it at once.
    kill_signal: "SIGTERM",
    kill_timeout: 10_000,
    out_file: "/dev/null",
    error_file: "/dev/null",
  };
  const ecosystem = writeEcosystem(dir, app);
  const release = onCleanup(async () => {
    await pm2("kill");
  });
  try {
    const started = await pm2("start", ecosystem);
    if (started.code !== 0) throw new Error(`pm2 start: ${started.stderr.trim()}`);
    await waitServing(port);
    await delay(500);
    return await body(port, pm2);
  } finally {
    await release();
  }
}

async function attempt(fn: () => Promise<ReloadFigure>): Promise<ReloadFigure> {
  try {
    return await fn();
  } catch (error) {
    return { error: String(error instanceof Error ? error.message : error) };
  }
}

/** The median figure of several runs; the spread and any error go to the detail. */
function medianFigure(runs: ReloadFigure[]): ReloadFigure {
  const ok = runs.filter((r) => r.value !== undefined).sort((a, b) => a.value! - b.value!);
  const error = runs.find((r) => r.error !== undefined)?.error;
  const mid = ok[Math.floor((ok.length - 1) / 2)];
  if (mid === undefined) return { error };
  if (ok.length < 2) return { ...mid, error };
  const spread = `median of ${ok.length}: ${ok[0]!.value!.toFixed(0)}..${ok.at(-1)!.value!.toFixed(0)}`;
  return { ...mid, kinds: spread, error };
}

/** Runs the whole scenario; a part that cannot run has an error instead of a value. */
export async function runReload(opts: ReloadOptions): Promise<ReloadResult> {
  const setups: Record<string, () => Promise<ReloadFigure>> = {
    "worker binding the port": () => selfBound(opts),
  };
  for (const n of [1, 2]) {
    setups[`circus-ts ${n} worker(s)`] = () =>
      withCircus(n, async (port) => {
        const r = await load(port, opts);
        return { value: r.requests.average, served: r["2xx"] };
      });
  }
  // Rounds interleave the setups, so that a busy period of the machine hits all of them.
  const runs = new Map(Object.keys(setups).map((label) => [label, [] as ReloadFigure[]]));
  for (let round = 0; round < opts.rounds; round++) {
    for (const [label, setup] of Object.entries(setups))
      runs.get(label)!.push(await attempt(setup));
  }
  const rps = Object.fromEntries([...runs].map(([label, r]) => [label, medianFigure(r)]));
  const failed: Record<string, ReloadFigure> = {};
  failed["circus-ts"] = await attempt(() =>
    withCircus(2, (port, ctl) => reloadsUnderLoad(port, opts, () => ctl("reload", "web"))),
  );
  failed.pm2 = existsSync(PM2_BIN)
    ? await attempt(() =>
        withPm2((port, pm2) => reloadsUnderLoad(port, opts, () => pm2("reload", "web"))),
      )
    : { error: "pm2 not installed (sh bench/setup.sh)" };
  return { rps, failed };
}

/** Versions of autocannon and pm2, for the header. */
export function reloadVersions(): string {
  const version = (file: string): string => {
    try {
      return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
    } catch {
      return "?";
    }
  };
  const autocannonPkg = join(REPO_DIR, "node_modules", "autocannon", "package.json");
  const pm2Pkg = join(BENCH_DIR, "node_modules", "pm2", "package.json");
  return `autocannon ${version(autocannonPkg)}, pm2 ${version(pm2Pkg)}, node ${process.version}`;
}

/**
 * The scenario's tables: in the request rate table the self-bound worker is the "raw" row
 * (target: ours within 5% of it); in the failures table ours is the reference (target 0).
 */
export function reloadTables(result: ReloadResult, opts: ReloadOptions): Table[] {
  const detail = (f: ReloadFigure, extra = ""): string =>
    [f.served === undefined ? "" : `${f.served} requests served`, extra, f.error ?? ""]
      .filter((p) => p !== "")
      .join("; ");
  const row = (label: string, f: ReloadFigure, isOurs: boolean, isRaw: boolean): Row => ({
    system: label,
    isOurs,
    isRaw,
    value: f.value,
    detail: detail(f, f.kinds),
  });
  return [
    {
      title:
        `reload: HTTP requests/s, ${opts.connections} connections, ${opts.durationS} s ` +
        `(higher is better; target: ours within 5% of the self-bound worker)`,
      unit: "req/s",
      digits: 0,
      rows: Object.entries(result.rps).map(([label, f]) =>
        row(label, f, label === "circus-ts 2 worker(s)", label === "worker binding the port"),
      ),
    },
    {
      title:
        `reload: failed requests (errors, timeouts, non-2xx) during ${opts.reloads} reloads ` +
        `under load, 2 workers (target: ours 0)`,
      unit: "requests",
      digits: 0,
      rows: Object.entries(result.failed).map(([label, f]) =>
        row(label, f, label === "circus-ts", false),
      ),
    },
  ];
}
