/**
 * The cost of the live statistics (`[circus] statsd = true`): the CPU of circusd-stats and of
 * circusd while the streamer samples N `sleep` processes every second, ours against Circus
 * 0.19, with a subscriber to `stat.` and without one; the frames the subscriber gets, the
 * streamer's RSS; and how long one sampling round of the N would hold circusd's event loop
 * if it were done in-process.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Subscriber } from "zeromq";
import { getInfo } from "../../src/control/process-stats.ts";
import { wireJson } from "../../src/python/json.ts";
import { sampleContext, type CpuSample } from "../../src/stats/process-info.ts";
import { onCleanup } from "../lib/cleanup.js";
import { launch, within } from "../lib/exec.js";
import { LineLog } from "../lib/log.js";
import { freshWorkDir, REPO_DIR } from "../lib/paths.js";
import * as proc from "../lib/proc.js";
import { median, type Row, type Table } from "../lib/table.js";
import { circusConfig } from "../systems/circus.js";
import { findCircusRef, findPythonCircusd } from "../systems/circus-py.js";

const { CLOCK_TICKS, cmdline, delay, descendants, killStrays, killTree, now, readMem, readStat } =
  proc;
const CIRCUSD = join(REPO_DIR, "dist", "cli", "circusd.js");
/** The two systems that have a circusd-stats, and how to tell their streamer process. */
const SYSTEMS = { "circus-ts": "circusd-stats.js", "circus-py": "stats.main()" } as const;
type SystemId = keyof typeof SYSTEMS;

interface Setup {
  system: SystemId;
  subscriber: boolean;
}

export interface StatsOptions {
  /** `sleep` processes (1000). */
  n: number;
  windowS: number;
  settleS: number;
  /** Runs per setup, interleaved. */
  rounds: number;
  /** In-process sampling rounds timed per run of ours (the median is kept). */
  samplingRounds: number;
  /** Why a system cannot run (undefined: it can); a system left out is not run. */
  systems: Map<string, string | undefined>;
}

/** One run of one setup. */
export interface StatsRun {
  /** CPU (user + system) over the window, % of one core. */
  streamerPct?: number;
  daemonPct?: number;
  /** Frames the harness's subscriber received per second, all and `stat.sleepers.PID`. */
  framesPerS?: number;
  processFramesPerS?: number;
  /** Rounds (`stat.sleepers` aggregates) received in the window. */
  rounds?: number;
  streamerRssMiB?: number;
  /** Ours: one round of getInfo over the N pids in the harness, ms (median of the rounds). */
  roundMs?: number;
  /** The same with each frame serialized as the publisher does. */
  roundJsonMs?: number;
  error?: string;
}

export interface StatsResult {
  setup: Setup;
  runs: StatsRun[];
  /** Set when the system could not run. */
  why?: string;
}

/** The scenarios' INI (ipc:// endpoints in the work folder) with circusd-stats on. */
function config(dir: string, n: number): string {
  const stats = `stats_endpoint = ipc://${join(dir, "stats.sock")}\nstatsd = True\n`;
  return circusConfig(n, dir).replace("[circus]\n", `[circus]\n${stats}`);
}

/** The daemon's running sleeps, and its streamer process. */
function census(daemon: number, system: SystemId): { sleeps: number[]; streamer?: number } {
  const sleeps: number[] = [];
  let streamer: number | undefined;
  for (const stat of descendants(daemon)) {
    if (stat.state === "Z") continue;
    if (stat.comm === "sleep") sleeps.push(stat.pid);
    else if (cmdline(stat.pid).includes(SYSTEMS[system])) streamer = stat.pid;
  }
  return { sleeps, streamer };
}

/** What the subscriber had received when a round's `stat.sleepers` aggregate arrived. */
interface Mark {
  at: number;
  frames: number;
  procs: number;
}

/**
 * A SUB socket on `stat.` that counts what arrives (topics only, bodies never parsed), and
 * marks the end of each round: its `stat.sleepers` aggregate, sent after the round's frames.
 */
function subscribe(endpoint: string): { close(): void; procs(): number; marks: Mark[] } {
  const socket = new Subscriber({ receiveHighWaterMark: 0 });
  socket.connect(endpoint);
  socket.subscribe("stat.");
  const counts = { frames: 0, procs: 0, marks: [] as Mark[] };
  void (async () => {
    try {
      for await (const [topic] of socket) {
        counts.frames += 1;
        const text = topic?.toString("latin1") ?? "";
        if (text.startsWith("stat.sleepers.")) counts.procs += 1;
        else if (text === "stat.sleepers")
          counts.marks.push({ at: now(), frames: counts.frames, procs: counts.procs });
      }
    } catch {
      // closed
    }
  })();
  return { close: () => socket.close(), procs: () => counts.procs, marks: counts.marks };
}

/**
 * Frames per second from the first to the last round that ended within [t0, t1]: whole
 * rounds, so that a 20 s window does not read 19 or 21 rounds as 20.
 */
function rates(marks: Mark[], t0: number, t1: number): Partial<StatsRun> {
  const inside = marks.filter((m) => m.at >= t0 && m.at <= t1);
  const [first, last] = [inside[0], inside.at(-1)];
  if (first === undefined || last === undefined || last.at === first.at) return { rounds: 0 };
  const seconds = (last.at - first.at) / 1000;
  return {
    framesPerS: (last.frames - first.frames) / seconds,
    processFramesPerS: (last.procs - first.procs) / seconds,
    rounds: inside.length,
  };
}

/**
 * What circusd would do each second if it sampled in-process: getInfo of every pid (the
 * streamer's call), then each frame serialized. Median over `rounds`, in ms.
 */
function timeSampling(pids: number[], rounds: number): { roundMs?: number; roundJsonMs?: number } {
  const previous = new Map<number, CpuSample>(pids.map((pid) => [pid, { ticks: 0, at: 0 }]));
  const plain: number[] = [];
  const withJson: number[] = [];
  for (let round = 0; round <= rounds; round++) {
    const t0 = now();
    const ctx = sampleContext(false);
    const infos = pids.map((pid) => getInfo(pid, previous.get(pid), false, ctx));
    const t1 = now();
    for (const info of infos)
      if (info) wireJson({ ...info, subtopic: info.pid, name: null } as Record<string, unknown>);
    const t2 = now();
    if (round === 0) continue; // warm-up: the first reads and the JIT
    plain.push(t1 - t0);
    withJson.push(t2 - t0);
  }
  return { roundMs: median(plain), roundJsonMs: median(withJson) };
}

async function runOnce(setup: Setup, opts: StatsOptions): Promise<StatsRun> {
  const dir = freshWorkDir("stats");
  const path = join(dir, "circus.ini");
  writeFileSync(path, config(dir, opts.n));
  const log = new LineLog(join(dir, "circusd.log"));
  const ref = findCircusRef();
  const argv =
    setup.system === "circus-ts" ? [process.execPath, CIRCUSD, path] : [ref ?? "", "circusd", path];
  const launched = launch(argv, { log, cwd: dir });
  let python: number | undefined;
  const daemon = (): number | undefined =>
    setup.system === "circus-ts" ? launched.pid : (python ??= findPythonCircusd(launched.pid));
  const sub = setup.subscriber ? subscribe(`ipc://${join(dir, "stats.sock")}`) : undefined;
  const cleanup = onCleanup(async () => {
    sub?.close();
    proc.signalPid(daemon() ?? launched.pid, "SIGTERM");
    await within(launched.exited, 20_000, undefined);
    killTree(daemon());
    killTree(launched.pid);
    killStrays("sleep", dir);
    log.close();
  });
  try {
    const deadline = now() + 300_000;
    let seen: ReturnType<typeof census> = { sleeps: [] };
    for (;;) {
      if (launched.hasExited()) return { error: `circusd exited: ${log.lines.at(-1)?.text ?? ""}` };
      const pid = daemon();
      if (pid !== undefined) seen = census(pid, setup.system);
      const streaming = sub === undefined || sub.procs() > 0;
      if (seen.sleeps.length >= opts.n && seen.streamer !== undefined && streaming) break;
      if (now() > deadline)
        return {
          error:
            `not up: ${seen.sleeps.length}/${opts.n} sleeps, streamer ` +
            `${seen.streamer ?? "missing"}, ${sub?.procs() ?? 0} frames`,
        };
      await delay(200);
    }
    await delay(opts.settleS * 1000);
    const pid = daemon() as number;
    const streamer = seen.streamer as number;
    const [d0, s0] = [readStat(pid), readStat(streamer)];
    const t0 = now();
    await delay(opts.windowS * 1000);
    const [d1, s1] = [readStat(pid), readStat(streamer)];
    const t1 = now();
    const seconds = (t1 - t0) / 1000;
    const rss = readMem(streamer)?.rssKiB;
    if (!d0 || !d1 || !s0 || !s1 || s1.starttime !== s0.starttime)
      return { error: "circusd or its streamer gone during the window" };
    const pct = (ticks: number) => (ticks / CLOCK_TICKS / seconds) * 100;
    return {
      streamerPct: pct(s1.cpuTicks - s0.cpuTicks),
      daemonPct: pct(d1.cpuTicks - d0.cpuTicks),
      ...(sub ? rates(sub.marks, t0, t1) : {}),
      streamerRssMiB: rss === undefined ? undefined : rss / 1024,
      // After the window, so that it does not count in the figures above.
      ...(setup.system === "circus-ts" ? timeSampling(seen.sleeps, opts.samplingRounds) : {}),
    };
  } finally {
    await cleanup();
  }
}

/** Runs every setup `rounds` times, interleaved, so that a busy period hits all of them. */
export async function runStats(
  opts: StatsOptions,
  progress: (message: string) => void,
): Promise<StatsResult[]> {
  const results: StatsResult[] = [];
  for (const subscriber of [true, false])
    for (const system of Object.keys(SYSTEMS) as SystemId[])
      if (opts.systems.has(system))
        results.push({ setup: { system, subscriber }, runs: [], why: opts.systems.get(system) });
  for (let round = 1; round <= opts.rounds; round++) {
    for (const result of results) {
      if (result.why !== undefined) continue;
      const { system, subscriber } = result.setup;
      progress(`stats: ${system}, subscriber ${subscriber} ${round}/${opts.rounds}`);
      const run = await runOnce(result.setup, opts);
      progress(`stats: ${JSON.stringify(run)}`);
      result.runs.push(run);
      await delay(2000);
    }
  }
  return results;
}

const sum = (r: StatsRun) =>
  r.streamerPct === undefined || r.daemonPct === undefined
    ? undefined
    : r.streamerPct + r.daemonPct;

/** "median of N: MIN..MAX", when there are several. */
function range(values: number[], digits: number): string | undefined {
  if (values.length < 2) return undefined;
  const [min, max] = [Math.min(...values), Math.max(...values)];
  return `median of ${values.length}: ${min.toFixed(digits)}..${max.toFixed(digits)}`;
}

function fig(runs: StatsRun[], pick: (r: StatsRun) => number | undefined, digits: number) {
  const m = median(runs.map(pick));
  return m === undefined ? "n/a" : m.toFixed(digits);
}

/** The CPU tables (with and without a subscriber), and the in-process sampling round. */
export function statsTables(results: StatsResult[], opts: StatsOptions): Table[] {
  const tables: Table[] = [];
  for (const subscriber of [true, false]) {
    const rows: Row[] = results
      .filter((r) => r.setup.subscriber === subscriber)
      .map(({ setup, runs, why }) => {
        const ok = runs.filter((r) => r.error === undefined);
        const sums = ok.map(sum).filter((v): v is number => v !== undefined);
        const detail = [
          `circusd-stats ${fig(ok, (r) => r.streamerPct, 2)}%, circusd ${fig(ok, (r) => r.daemonPct, 2)}%`,
          subscriber
            ? `${fig(ok, (r) => r.framesPerS, 1)} frames/s (${fig(ok, (r) => r.processFramesPerS, 1)} stat.sleepers.PID), ${fig(ok, (r) => r.rounds, 0)} rounds in the window`
            : undefined,
          `circusd-stats RSS ${fig(ok, (r) => r.streamerRssMiB, 1)} MiB`,
          range(sums, 2),
          why === undefined ? undefined : `unavailable: ${why}`,
          ...runs.map((r) => r.error),
        ].filter((part): part is string => part !== undefined);
        return {
          system: setup.system,
          isOurs: setup.system === "circus-ts",
          isRaw: false,
          value: median(ok.map(sum)),
          detail: detail.join("; "),
        };
      });
    tables.push({
      title:
        `stats: CPU of circusd-stats + circusd over ${opts.windowS} s, ${opts.n} sleeps sampled ` +
        `every second, ${subscriber ? 'a subscriber to "stat."' : "no subscriber"}, ` +
        `% of one core (lower is better)`,
      unit: "%",
      digits: 2,
      rows,
    });
  }
  const runs = results
    .filter((r) => r.setup.system === "circus-ts")
    .flatMap((r) => r.runs.filter((run) => run.roundMs !== undefined));
  const each = runs.map((r) => r.roundMs as number);
  const detail = [
    `${fig(runs, (r) => r.roundJsonMs, 1)} ms with each frame serialized`,
    `each run: median of ${opts.samplingRounds} rounds`,
    range(each, 1),
  ];
  tables.push({
    title:
      `stats: one sampling round of ${opts.n} processes in-process (getInfo of each), ms: ` +
      `how long circusd's loop would be held each second without a separate streamer`,
    unit: "ms",
    digits: 1,
    rows: [
      {
        system: "circus-ts",
        isOurs: true,
        isRaw: false,
        value: median(each),
        detail: runs.length === 0 ? "not run" : detail.filter((d) => d !== undefined).join("; "),
      },
    ],
  });
  return tables;
}

/** The issue's target: ours (streamer + circusd, with a subscriber) <= 0.5 x Circus 0.19's. */
export function statsTarget(results: StatsResult[]): string {
  const cpu = (system: SystemId) =>
    median(
      results
        .find((r) => r.setup.subscriber && r.setup.system === system)
        ?.runs.filter((r) => r.error === undefined)
        .map(sum) ?? [],
    );
  const [ours, theirs] = [cpu("circus-ts"), cpu("circus-py")];
  const goal = "target stats (ours / Circus 0.19, circusd-stats + circusd CPU, <= 0.5)";
  if (ours === undefined || theirs === undefined || theirs === 0) return `${goal}: not measured`;
  const ratio = ours / theirs;
  return `${goal}: ${ratio.toFixed(2)} -> ${ratio <= 0.5 ? "met" : "NOT met"}`;
}
