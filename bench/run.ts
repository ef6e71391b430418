/**
 * Benchmark harness entry point: `npm run bench -- NAME... [options]`.
 * Runs the named scenarios against this project, PM2, Supervisor and the raw
 * C baseline, one system at a time, and prints one table per scenario.
 */
import { writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { installSignalCleanup, runAllCleanups } from "./lib/cleanup.js";
import { describeMachine } from "./lib/machine.js";
import { WORK_DIR } from "./lib/paths.js";
import { delay } from "./lib/proc.js";
import { formatTable, median, percentile, type Row, type Table } from "./lib/table.js";
import type { System } from "./lib/types.js";
import { runLifecycle, type LifecycleResult } from "./scenarios/lifecycle.js";
import { runResponsive, type ResponsiveResult } from "./scenarios/responsive.js";
import { runControl, type ControlResult } from "./scenarios/control.js";
import { reloadTables, reloadVersions, runReload } from "./scenarios/reload.js";
import { runThroughput, throughputTable, throughputTarget } from "./scenarios/throughput.js";
import { pluginsTable, runPlugins } from "./scenarios/plugins.js";
import { runStats, statsTables, statsTarget } from "./scenarios/stats.js";
import { runWeb, webTables } from "./scenarios/web.js";
import {
  daemonRestartFailed,
  daemonRestartTables,
  runDaemonRestart,
} from "./scenarios/daemon-restart.js";
import { reloadGapFailed, reloadGapTables, runReloadGap } from "./scenarios/reload-gap.js";
import { runScale, scaleTables, type ScaleEntry, type ScaleOptions } from "./scenarios/scale.js";
import { circus } from "./systems/circus.js";
import { circusPy } from "./systems/circus-py.js";
import { pm2 } from "./systems/pm2.js";
import { raw } from "./systems/raw.js";
import { supervisor } from "./systems/supervisor.js";

const ALL_SYSTEMS: readonly System[] = [circus, circusPy, pm2, supervisor, raw];
const LIFECYCLE = ["start1000", "stop1000", "rss1000"] as const;
const SCENARIOS = [
  ...LIFECYCLE,
  "responsive",
  "control",
  "reload",
  "throughput",
  "plugins",
  "stats",
  "web",
  "scale",
  "daemon-restart",
  "reload-gap",
] as const;
type Scenario = (typeof SCENARIOS)[number];

const USAGE = `usage: npm run bench -- SCENARIO... [options]

scenarios:
  start1000    launch -> all N children exist and have exec'd sleep (target: ours <= 2x raw)
  stop1000     stop request -> no such sleep left (target: ours < 1 s)
  rss1000      daemon VmRSS with the N running
  responsive   SIGTERM while starting (at --threshold up) -> "stopping" log line, all gone, exit
  control      with N running: wall time of each system's status command (circusctl status,
               supervisorctl status, pm2 jlist); ours: median/p99 of list and status over
               one persistent client (target: median < 0.5 ms)
  reload       HTTP req/s through a circusd socket vs the worker binding the port itself
               (target: within 5%); failed requests during 5 reloads under load, circusctl
               reload vs pm2 reload in cluster mode (target: ours 0); --repeat gives the rate
               runs per setup; ignores --systems and --n
  throughput   one process writes --bytes (1 GiB) of 128-byte lines to stdout: MB/s into a file
               through the pipe limit (writer | cat > file), Supervisor stdout_logfile, PM2
               out_file and our FileStream, each also rotating where it can (target: ours >= 70%
               of the pipe); --repeat gives the runs per setup; ignores --n
  plugins      circusd's CPU over 20 s with 100 sleeps, without plugins and with Flapping +
               FullStats (loop_rate 1), idle and with 10 more crash-looping; only ours (PM2
               and Supervisor have no such plugins); --repeat gives the runs per setup;
               ignores --n and --systems
  stats        statsd = true, N sleeps sampled every second: CPU of circusd-stats + circusd
               over 20 s with a subscriber to "stat." (frames/s, the streamer's RSS) and
               without one, ours and Circus 0.19 (target: ours <= 0.5x Circus); one sampling
               round of the N done in-process, ms; --repeat gives the runs per setup;
               --systems: circus-ts, circus-py
  web          the web console (httpd = true, statsd = true), N sleeps: CPU and RSS of circusd,
               circushttpd and circusd-stats over 20 s with the console closed, then open in
               headless chromium on the N's watcher page (and the browser's renderer); the
               page's frame times (p50, p99, max) and long tasks over the window; first render
               of the watcher page (median of 5 loads); only ours (no peer has such a
               console); --repeat gives the runs; ignores --systems
  scale        10,000 children (--scale-n, or --n): start (with a control round trip every
               100 ms during it), RSS and fds, one stats of all, SIGKILL of 100 at once until
               all are replaced, stop (round trips during it); a phase that fails ends that
               system's run; ignores --repeat
  daemon-restart
               4 HTTP workers on one port under 16 clients for 10 s; 2 s in the daemon is
               SIGKILLed and started again 1 s later (circusd, circusd with the process kernel,
               PM2 also \`pm2 kill\` + \`pm2 resurrect\`, supervisord): requests served and
               failed, longest gap between two responses, which workers run after; kernel-rss:
               the kernel's VmRSS hosting 100 sleeps; --systems: circus-ts, pm2, supervisor;
               ignores --n and --repeat (about a minute)
  reload-gap   4 HTTP workers on one port under 16 clients for 10 s, 3 reloads during it, each
               waited for (circusctl reload --waiting, also with readiness = notify; Circus
               0.19's; pm2 reload in cluster mode): failed requests, longest gap between two
               responses, requests served, each reload's time; --systems: circus-ts, circus-py,
               pm2; --repeat gives the runs per row (about a minute per run)
  all          every scenario

options:
  --n N             children per system (default 1000; scale: 10000)
  --scale-n N       children of the scale scenario only (default: --n if given, else 10000)
  --repeat R        lifecycle/responsive runs per system, figures are medians (default 1)
  --systems LIST    comma-separated subset of ${ALL_SYSTEMS.map((s) => s.id).join(",")}
  --settle SEC      pause before reading RSS and stopping (default 3)
  --threshold K     children up before the responsive SIGTERM (default 100)
  --interval MS     pause between /proc scans and output size polls (default 10; scale: 100)
  --bytes B         bytes the throughput writer writes (default 1073741824 = 1 GiB)
  --line L          line length of the throughput writer, 18..65536 (default 128; e.g. 100,
                    whose lines straddle the 64 KiB writes)
`;

const PAUSE_BETWEEN_SYSTEMS_MS = 2_000;

interface Options {
  scenarios: Set<Scenario>;
  systems: System[];
  n: number;
  repeat: number;
  settleMs: number;
  threshold: number;
  intervalMs: number;
  bytes: number;
  line: number;
  /** Children of the scale scenario. */
  scaleN: number;
  /** Pause between two /proc scans in the scale scenario. */
  scaleIntervalMs: number;
}

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}`);
  process.exit(2);
}

function positiveInt(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) fail(`--${name} wants a positive integer`);
  return value;
}

function parseOptions(argv: string[]): Options {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        n: { type: "string" },
        repeat: { type: "string" },
        systems: { type: "string" },
        settle: { type: "string" },
        threshold: { type: "string" },
        interval: { type: "string" },
        bytes: { type: "string" },
        line: { type: "string" },
        "scale-n": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    fail(String(error instanceof Error ? error.message : error));
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  if (positionals.length === 0) fail("no scenario given");
  const scenarios = new Set<Scenario>();
  for (const name of positionals) {
    if (name === "all") SCENARIOS.forEach((s) => scenarios.add(s));
    else if ((SCENARIOS as readonly string[]).includes(name)) scenarios.add(name as Scenario);
    else fail(`unknown scenario: ${name}`);
  }
  let systems = [...ALL_SYSTEMS];
  if (values.systems !== undefined) {
    const wanted = values.systems.split(",").map((s) => s.trim());
    for (const id of wanted) {
      if (!ALL_SYSTEMS.some((s) => s.id === id)) fail(`unknown system: ${id}`);
    }
    systems = systems.filter((s) => wanted.includes(s.id));
  }
  const n = positiveInt("n", values.n, 1000);
  const line = positiveInt("line", values.line, 128);
  if (line < 18 || line > 65536)
    fail("--line wants 18..65536 (a 16-digit counter, a space, a newline)");
  return {
    scenarios,
    systems,
    n,
    repeat: positiveInt("repeat", values.repeat, 1),
    settleMs: positiveInt("settle", values.settle, 3) * 1000,
    threshold: Math.min(n, positiveInt("threshold", values.threshold, 100)),
    intervalMs: positiveInt("interval", values.interval, 10),
    bytes: positiveInt("bytes", values.bytes, 2 ** 30),
    line,
    // At 10,000 children a /proc scan takes milliseconds: every 10 ms would compete with
    // the daemon for the CPU; the scale figures are seconds.
    scaleN: positiveInt("scale-n", values["scale-n"], positiveInt("n", values.n, 10_000)),
    scaleIntervalMs: positiveInt("interval", values.interval, 100),
  };
}

function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

const fmt = (value: number | undefined, digits: number, unit: string): string =>
  value === undefined ? "n/a" : `${value.toFixed(digits)} ${unit}`;

function spread(values: (number | undefined)[], digits: number): string {
  const defined = values.filter((v): v is number => v !== undefined);
  if (defined.length < 2) return "";
  return `median of ${defined.length}: ${Math.min(...defined).toFixed(digits)}..${Math.max(...defined).toFixed(digits)}`;
}

function errors(results: { error?: string }[]): string {
  return results
    .map((r) => r.error)
    .filter((e): e is string => e !== undefined)
    .join("; ");
}

function row(system: System, value: number | undefined, detail: string): Row {
  return { system: system.id, isOurs: system.isOurs, isRaw: system.isRaw, value, detail };
}

function lifecycleTables(opts: Options, results: Map<System, LifecycleResult[] | string>): Table[] {
  const n = opts.n;
  const tables: Table[] = [];
  const rows = (make: (system: System, runs: LifecycleResult[]) => Row): Row[] =>
    [...results].map(([system, runs]) =>
      typeof runs === "string" ? row(system, undefined, runs) : make(system, runs),
    );
  const join = (...parts: string[]): string => parts.filter((p) => p !== "").join("; ");
  if (opts.scenarios.has("start1000")) {
    tables.push({
      title: `start1000: launch -> all ${n} \`sleep\` children running (lower is better)`,
      unit: "s",
      digits: 3,
      rows: rows((system, runs) =>
        row(
          system,
          median(runs.map((r) => r.startS)),
          join(
            `first child at ${fmt(median(runs.map((r) => r.firstS)), 3, "s")}`,
            `daemon CPU ${fmt(median(runs.map((r) => r.daemonCpuS)), 2, "s")}`,
            spread(
              runs.map((r) => r.startS),
              3,
            ),
            errors(runs),
          ),
        ),
      ),
    });
  }
  if (opts.scenarios.has("stop1000")) {
    tables.push({
      title: `stop1000: stop request -> no managed \`sleep\` left, ${n} running (lower is better)`,
      unit: "s",
      digits: 3,
      rows: rows((system, runs) => {
        const cmd = median(runs.map((r) => r.stopCmdS));
        const what = runs[0]?.stopCmdWhat ?? "stop done";
        return row(
          system,
          median(runs.map((r) => r.stopS)),
          join(
            `${what} after ${fmt(cmd, 3, "s")}`,
            spread(
              runs.map((r) => r.stopS),
              3,
            ),
            errors(runs),
          ),
        );
      }),
    });
  }
  if (opts.scenarios.has("rss1000")) {
    tables.push({
      title: `rss1000: daemon VmRSS ${opts.settleMs / 1000} s after all ${n} are up (lower is better)`,
      unit: "MiB",
      digits: 1,
      rows: rows((system, runs) => {
        const counts = runs.map((r) => r.settledCount).filter((c) => c !== undefined && c !== n);
        return row(
          system,
          median(runs.map((r) => r.rssMiB)),
          join(
            `VmHWM ${fmt(median(runs.map((r) => r.hwmMiB)), 1, "MiB")}`,
            `at all-up ${fmt(median(runs.map((r) => r.rssUpMiB)), 1, "MiB")}`,
            `${fmt(median(runs.map((r) => r.fds)), 0, "fds")}`,
            counts.length > 0 ? `only ${counts.join(",")} running when read` : "",
            spread(
              runs.map((r) => r.rssMiB),
              1,
            ),
            errors(runs),
          ),
        );
      }),
    });
  }
  return tables;
}

function responsiveTable(opts: Options, results: Map<System, ResponsiveResult[] | string>): Table {
  return {
    title:
      `responsive: SIGTERM once >= ${opts.threshold} of ${opts.n} are up -> ` +
      `first "stopping" log line (lower is better)`,
    unit: "ms",
    digits: 1,
    rows: [...results].map(([system, runs]) => {
      if (typeof runs === "string") return row(system, undefined, runs);
      const first = runs[0];
      const peaks = runs.map((r) => r.peak).filter((p): p is number => p !== undefined);
      const peak = peaks.length === 0 ? undefined : Math.max(...peaks);
      const line =
        first?.logLine === undefined
          ? "no matching line"
          : `"${first.logLine.trim().slice(0, 70)}"`;
      const detail = [
        first?.leftAtTimeout === undefined
          ? `all gone +${fmt(median(runs.map((r) => r.goneMs)), 0, "ms")}`
          : first.ignored === true
            ? `signal ignored: not one child stopped in 30 s, ${first.leftAtTimeout} running`
            : `${first.leftAtTimeout} still running at the time limit`,
        `exit +${fmt(median(runs.map((r) => r.exitMs)), 0, "ms")}`,
        `up at signal ${median(runs.map((r) => r.atSignal)) ?? "?"}, peak ${peak ?? "?"}`,
        line,
        spread(
          runs.map((r) => r.logMs),
          1,
        ),
        errors(runs),
      ]
        .filter((p) => p !== "")
        .join("; ");
      return row(system, median(runs.map((r) => r.logMs)), detail);
    }),
  };
}

function controlTables(opts: Options, results: Map<System, ControlResult>): Table[] {
  const tables: Table[] = [
    {
      title: `control: wall time of one status command, ${opts.n} running (lower is better)`,
      unit: "s",
      digits: 3,
      rows: [...results].map(([system, r]) =>
        row(
          system,
          median(r.statusS ?? []),
          [spread(r.statusS ?? [], 3), r.error ?? ""].filter((p) => p !== "").join("; "),
        ),
      ),
    },
  ];
  // One table per command, a row per system that has a Circus endpoint (ours, Python Circus).
  const commands = new Set([...results.values()].flatMap((r) => Object.keys(r.latencyMs ?? {})));
  for (const command of commands) {
    const rows: Row[] = [];
    for (const [system, r] of results) {
      const samples = r.latencyMs?.[command];
      if (samples === undefined) continue;
      rows.push(
        row(
          system,
          percentile(samples, 50),
          `p99 ${percentile(samples, 99).toFixed(3)} ms; ${samples.length} calls` +
            (system.isOurs ? " (target: median < 0.5 ms)" : ""),
        ),
      );
    }
    tables.push({
      title: `control: \`${command}\` over one persistent client, ${opts.n} running, ms`,
      unit: "ms",
      digits: 3,
      rows,
    });
  }
  return tables;
}

function targets(opts: Options, lifecycle: Map<System, LifecycleResult[] | string>): string[] {
  const lines: string[] = [];
  const fig = (system: System, pick: (r: LifecycleResult) => number | undefined) => {
    const runs = lifecycle.get(system);
    return typeof runs === "string" || runs === undefined ? undefined : median(runs.map(pick));
  };
  const ours = ALL_SYSTEMS.find((s) => s.isOurs);
  const base = ALL_SYSTEMS.find((s) => s.isRaw);
  if (ours === undefined || base === undefined) return lines;
  if (opts.scenarios.has("start1000")) {
    const a = fig(ours, (r) => r.startS);
    const b = fig(base, (r) => r.startS);
    lines.push(
      a === undefined || b === undefined
        ? "target start1000 (ours <= 2x raw): not measured"
        : `target start1000 (ours <= 2x raw): ${(a / b).toFixed(2)}x -> ${a <= 2 * b ? "met" : "NOT met"}`,
    );
  }
  if (opts.scenarios.has("stop1000")) {
    const a = fig(ours, (r) => r.stopS);
    lines.push(
      a === undefined
        ? "target stop1000 (ours < 1 s): not measured"
        : `target stop1000 (ours < 1 s): ${a.toFixed(3)} s -> ${a < 1 ? "met" : "NOT met"}`,
    );
  }
  return lines;
}

async function main(): Promise<number> {
  const opts = parseOptions(process.argv.slice(2));
  installSignalCleanup();
  mkdirSync(WORK_DIR, { recursive: true });

  const usable: System[] = [];
  const unusable = new Map<System, string>();
  for (const system of opts.systems) {
    const why = await system.unavailable();
    if (why === undefined) usable.push(system);
    else unusable.set(system, `unavailable: ${why}`);
  }
  const header = await describeMachine(usable);
  for (const [system, why] of unusable) header.push(`${`${system.id}:`.padEnd(12)}${why}`);
  header.push(
    `run:        n=${opts.n}, repeat=${opts.repeat}, settle=${opts.settleMs / 1000} s, ` +
      `scan interval=${opts.intervalMs} ms, threshold=${opts.threshold}` +
      (opts.scenarios.has("throughput") ? `, bytes=${opts.bytes}, line=${opts.line}` : "") +
      (opts.scenarios.has("scale")
        ? `, scale: n=${opts.scaleN}, scan interval=${opts.scaleIntervalMs} ms`
        : ""),
  );
  console.log(header.join("\n"));

  let failed = false;
  const wantsLifecycle = LIFECYCLE.some((s) => opts.scenarios.has(s));
  const lifecycle = new Map<System, LifecycleResult[] | string>();
  const responsive = new Map<System, ResponsiveResult[] | string>();
  const control = new Map<System, ControlResult>();
  const scale: ScaleEntry[] = [];
  const scaleOpts: ScaleOptions = {
    n: opts.scaleN,
    intervalMs: opts.scaleIntervalMs,
    periodMs: 100,
    rtTimeoutMs: 5_000,
    startTimeoutMs: 300_000,
    stallMs: 30_000,
    settleMs: opts.settleMs,
    statsTimeoutMs: 300_000,
    kill: 100,
    lostAfterMs: 10_000,
    replaceTimeoutMs: 60_000,
    stopTimeoutMs: 120_000,
  };
  for (const system of opts.systems) {
    const why = unusable.get(system);
    if (why !== undefined) {
      if (wantsLifecycle) lifecycle.set(system, why);
      if (opts.scenarios.has("responsive")) responsive.set(system, why);
      if (opts.scenarios.has("scale")) scale.push({ system, why });
      continue;
    }
    if (wantsLifecycle) {
      const runs: LifecycleResult[] = [];
      for (let i = 1; i <= opts.repeat; i++) {
        progress(`${system.id}: lifecycle ${i}/${opts.repeat} (start ${opts.n}, settle, stop)`);
        const result = await runLifecycle(system, {
          n: opts.n,
          settleMs: opts.settleMs,
          startTimeoutMs: 300_000,
          stopTimeoutMs: 120_000,
          intervalMs: opts.intervalMs,
        });
        progress(`${system.id}: ${JSON.stringify(result)}`);
        failed ||= result.error !== undefined;
        runs.push(result);
        await delay(PAUSE_BETWEEN_SYSTEMS_MS);
      }
      lifecycle.set(system, runs);
    }
    if (opts.scenarios.has("responsive")) {
      const runs: ResponsiveResult[] = [];
      for (let i = 1; i <= opts.repeat; i++) {
        progress(`${system.id}: responsive ${i}/${opts.repeat}`);
        const result = await runResponsive(system, {
          n: opts.n,
          threshold: opts.threshold,
          startTimeoutMs: 300_000,
          stopTimeoutMs: 300_000,
          ignoredAfterMs: 30_000,
          intervalMs: opts.intervalMs,
        });
        progress(`${system.id}: ${JSON.stringify(result)}`);
        failed ||= result.error !== undefined;
        runs.push(result);
        await delay(PAUSE_BETWEEN_SYSTEMS_MS);
      }
      responsive.set(system, runs);
    }
    if (opts.scenarios.has("control") && !system.isRaw) {
      progress(`${system.id}: control (start ${opts.n}, status commands, client latency)`);
      const result = await runControl(system, {
        n: opts.n,
        runs: 5,
        calls: 1000,
        startTimeoutMs: 300_000,
        intervalMs: opts.intervalMs,
      });
      failed ||= result.error !== undefined;
      control.set(system, result);
      await delay(PAUSE_BETWEEN_SYSTEMS_MS);
    }
    if (opts.scenarios.has("scale")) {
      progress(`${system.id}: scale (${opts.scaleN} children: start, settle, stats, kill, stop)`);
      const result = await runScale(system, scaleOpts, progress);
      const { startRt, stopRt, ...figures } = result;
      const p99 = { startRtP99Ms: startRt?.p99Ms, stopRtP99Ms: stopRt?.p99Ms };
      progress(`${system.id}: ${JSON.stringify({ ...figures, ...p99 })}`);
      failed ||= result.failed !== undefined;
      scale.push({ system, result });
      await delay(PAUSE_BETWEEN_SYSTEMS_MS);
    }
  }

  const tables = wantsLifecycle ? lifecycleTables(opts, lifecycle) : [];
  if (opts.scenarios.has("responsive")) tables.push(responsiveTable(opts, responsive));
  if (control.size > 0) tables.push(...controlTables(opts, control));
  if (scale.length > 0) tables.push(...scaleTables(scale, scaleOpts));
  // Not per system: it compares HTTP serving setups, with its own processes.
  let reload;
  if (opts.scenarios.has("reload")) {
    const reloadOpts = { durationS: 5, connections: 32, reloads: 5, rounds: opts.repeat };
    progress(`reload (${reloadVersions()})`);
    reload = await runReload(reloadOpts);
    progress(`reload: ${JSON.stringify(reload)}`);
    failed ||= [...Object.values(reload.rps), ...Object.values(reload.failed)].some(
      (f) => f.error !== undefined,
    );
    tables.push(...reloadTables(reload, reloadOpts));
  }
  let throughput;
  const scenarioGoals: string[] = [];
  if (opts.scenarios.has("throughput")) {
    const throughputOpts = {
      bytes: opts.bytes,
      line: opts.line,
      rounds: opts.repeat,
      intervalMs: opts.intervalMs,
      idleMs: 1_000,
      timeoutMs: 300_000,
      systems: new Map(opts.systems.map((s) => [s.id, unusable.get(s)])),
    };
    throughput = await runThroughput(throughputOpts, progress);
    failed ||= throughput.some((e) => e.runs.some((r) => r.error !== undefined));
    tables.push(throughputTable(throughput, throughputOpts));
    scenarioGoals.push(throughputTarget(throughput));
  }
  let plugins;
  if (opts.scenarios.has("plugins")) {
    const pluginsOpts = {
      sleepers: 100,
      crashers: 10,
      windowS: 20,
      settleS: 3,
      rounds: opts.repeat,
    };
    plugins = await runPlugins(pluginsOpts, progress);
    failed ||= plugins.results.some((r) => r.runs.some((run) => run.error !== undefined));
    tables.push(pluginsTable(plugins, pluginsOpts));
  }
  let stats;
  if (opts.scenarios.has("stats")) {
    const statsOpts = {
      n: opts.n,
      windowS: 20,
      settleS: 5,
      rounds: opts.repeat,
      samplingRounds: 10,
      systems: new Map(
        opts.systems
          .filter((s) => s.id === "circus-ts" || s.id === "circus-py")
          .map((s) => [s.id, unusable.get(s)]),
      ),
    };
    stats = await runStats(statsOpts, progress);
    failed ||= stats.some((e) => e.runs.some((r) => r.error !== undefined));
    tables.push(...statsTables(stats, statsOpts));
    scenarioGoals.push(statsTarget(stats));
  }
  let web;
  if (opts.scenarios.has("web")) {
    const webOpts = { n: opts.n, windowS: 20, settleS: 5, loads: 5, rounds: opts.repeat };
    web = await runWeb(webOpts, progress);
    failed ||= web.some((r) => r.error !== undefined);
    tables.push(...webTables(web, webOpts));
  }
  let daemonRestart;
  if (opts.scenarios.has("daemon-restart")) {
    const restartOpts = {
      durationS: 10,
      killAtS: 2,
      pauseS: 1,
      clients: 16,
      workers: 4,
      kernelN: 100,
      systems: new Map(
        opts.systems
          .filter((s) => ["circus-ts", "pm2", "supervisor"].includes(s.id))
          .map((s) => [s.id, unusable.get(s)]),
      ),
    };
    daemonRestart = await runDaemonRestart(restartOpts, progress);
    failed ||= daemonRestartFailed(daemonRestart);
    tables.push(...daemonRestartTables(daemonRestart, restartOpts));
  }
  let reloadGap;
  if (opts.scenarios.has("reload-gap")) {
    const gapOpts = {
      durationS: 10,
      clients: 16,
      workers: 4,
      reloads: 3,
      firstAtS: 1.5,
      everyS: 3,
      rounds: opts.repeat,
      systems: new Map(
        opts.systems
          .filter((s) => ["circus-ts", "circus-py", "pm2"].includes(s.id))
          .map((s) => [s.id, unusable.get(s)]),
      ),
    };
    reloadGap = await runReloadGap(gapOpts, progress);
    failed ||= reloadGapFailed(reloadGap);
    tables.push(...reloadGapTables(reloadGap, gapOpts));
  }
  for (const table of tables) console.log(`\n${formatTable(table)}`);
  const goals = [...targets(opts, lifecycle), ...scenarioGoals];
  if (goals.length > 0) console.log(`\n${goals.join("\n")}`);

  const dump = {
    header,
    lifecycle: Object.fromEntries([...lifecycle].map(([s, r]) => [s.id, r])),
    responsive: Object.fromEntries([...responsive].map(([s, r]) => [s.id, r])),
    control: Object.fromEntries([...control].map(([s, r]) => [s.id, r])),
    scale: Object.fromEntries(
      scale.map((e) => [e.system.id, "why" in e ? { unavailable: e.why } : e.result]),
    ),
    reload,
    throughput,
    plugins,
    stats,
    web,
    daemonRestart,
    reloadGap,
  };
  writeFileSync(join(WORK_DIR, "last-run.json"), `${JSON.stringify(dump, null, 2)}\n`);
  return failed ? 1 : 0;
}

main()
  .then(async (code) => {
    await runAllCleanups();
    process.exit(code);
  })
  .catch(async (error: unknown) => {
    console.error(error);
    await runAllCleanups();
    process.exit(1);
  });
