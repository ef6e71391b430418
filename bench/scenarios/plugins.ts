/**
 * A plugin's overhead on circusd: the CPU circusd uses over a fixed window with 100 `sleep`
 * processes, without plugins and with the Flapping and FullStats plugins (`loop_rate = 1`),
 * idle and while 10 more processes crash-loop (`sh -c 'exit 1'`). Only ours: PM2 and
 * Supervisor have no equivalent plugins.
 */
import { createSocket, type Socket } from "node:dgram";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Subscriber } from "../../src/client/subscriber.ts";
import { onCleanup } from "../lib/cleanup.js";
import { launch, within } from "../lib/exec.js";
import { LineLog } from "../lib/log.js";
import { freshWorkDir, REPO_DIR } from "../lib/paths.js";
import {
  CLOCK_TICKS,
  cmdline,
  delay,
  descendants,
  killTree,
  now,
  readStat,
  signalPid,
} from "../lib/proc.js";
import { median, type Table } from "../lib/table.js";

const CIRCUSD = join(REPO_DIR, "dist", "cli", "circusd.js");
const FLAPPING = join(REPO_DIR, "dist", "plugins", "builtin", "flapping.js");

/** Which plugins a setup runs. */
type PluginSet = "none" | "flapping+fullstats" | "fullstats";

/** One configuration measured. */
interface Setup {
  label: string;
  plugins: PluginSet;
  crashLoop: boolean;
}

export interface PluginsOptions {
  /** `sleep` processes (100). */
  sleepers: number;
  /** Crash-looping processes in the crash-loop setups (10). */
  crashers: number;
  /** Seconds of measurement per run. */
  windowS: number;
  /** Seconds between everything up and the measurement. */
  settleS: number;
  /** Runs per setup, interleaved. */
  rounds: number;
}

/** One run of one setup. */
export interface PluginsRun {
  /** circusd's CPU (user + system) over the window, in % of one core. */
  daemonPct?: number;
  /** The plugin processes' CPU over the window, summed, in % of one core. */
  pluginsPct?: number;
  /** `spawn` events of the crash-looping watcher during the window. */
  spawns?: number;
  /** Datagrams FullStats sent to the harness's statsd socket during the window. */
  datagrams?: number;
  error?: string;
}

export interface PluginsResult {
  setup: Setup;
  runs: PluginsRun[];
}

/** The setups, in table order; Flapping is left out (and said so) when it is not built. */
function setups(): { list: Setup[]; note?: string } {
  const both: PluginSet = existsSync(FLAPPING) ? "flapping+fullstats" : "fullstats";
  const name = both === "fullstats" ? "FullStats" : "Flapping + FullStats";
  const list: Setup[] = [
    { label: "no plugin, idle", plugins: "none", crashLoop: false },
    { label: `${name}, idle`, plugins: both, crashLoop: false },
    { label: "no plugin, crash-loop", plugins: "none", crashLoop: true },
    { label: `${name}, crash-loop`, plugins: both, crashLoop: true },
  ];
  // With Flapping, the crash loop is stopped by the plugin: FullStats alone shows the cost of
  // a plugin that receives every event of an unthrottled crash loop.
  if (both !== "fullstats")
    list.push({ label: "FullStats, crash-loop", plugins: "fullstats", crashLoop: true });
  return {
    list,
    note: both === "fullstats" ? "Flapping not built: FullStats alone" : undefined,
  };
}

function config(setup: Setup, opts: PluginsOptions, dir: string, statsdPort: number): string {
  const lines = [
    "[circus]",
    `endpoint = ipc://${join(dir, "control.sock")}`,
    `pubsub_endpoint = ipc://${join(dir, "pubsub.sock")}`,
    "",
    "[watcher:sleepers]",
    "cmd = sleep 100000",
    `numprocesses = ${opts.sleepers}`,
    "graceful_timeout = 5",
    "",
  ];
  if (setup.crashLoop)
    lines.push("[watcher:crashers]", "cmd = sh -c 'exit 1'", `numprocesses = ${opts.crashers}`, "");
  if (setup.plugins === "flapping+fullstats")
    lines.push("[plugin:flapping]", "use = circus.plugins.flapping.Flapping", "");
  if (setup.plugins !== "none")
    lines.push(
      "[plugin:fullstats]",
      "use = circus.plugins.statsd.FullStats",
      "host = 127.0.0.1",
      `port = ${statsdPort}`,
      "loop_rate = 1",
      "",
    );
  return lines.join("\n");
}

function pluginCount(setup: Setup): number {
  return setup.plugins === "none" ? 0 : setup.plugins === "fullstats" ? 1 : 2;
}

/** The daemon's descendants: running sleeps, and plugin processes with their CPU ticks. */
function census(daemon: number): { sleeps: number; plugins: Map<number, number> } {
  let sleeps = 0;
  const plugins = new Map<number, number>();
  for (const stat of descendants(daemon)) {
    if (stat.state === "Z") continue;
    if (stat.comm === "sleep") sleeps += 1;
    else if (cmdline(stat.pid).includes("circus-plugin")) plugins.set(stat.pid, stat.cpuTicks);
  }
  return { sleeps, plugins };
}

async function udpSink(): Promise<{ socket: Socket; port: number; count: () => number }> {
  const socket = createSocket("udp4");
  let received = 0;
  socket.on("message", () => (received += 1));
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  return { socket, port: socket.address().port, count: () => received };
}

/** One run: start circusd, wait for everything up, settle, measure the window, stop. */
async function runOnce(setup: Setup, opts: PluginsOptions): Promise<PluginsRun> {
  const dir = freshWorkDir("plugins");
  const sink = await udpSink();
  const path = join(dir, "circus.ini");
  writeFileSync(path, config(setup, opts, dir, sink.port));
  const log = new LineLog(join(dir, "circusd.log"));
  const daemon = launch([process.execPath, CIRCUSD, path], { log, cwd: dir });
  let spawns = 0;
  const events = new Subscriber({
    endpoint: `ipc://${join(dir, "pubsub.sock")}`,
    topics: ["watcher.crashers.spawn"],
  });
  void (async () => {
    try {
      for await (const _event of events) spawns += 1;
    } catch {
      // closed
    }
  })();
  const cleanup = onCleanup(async () => {
    events.close();
    sink.socket.close();
    signalPid(daemon.pid, "SIGTERM");
    await within(daemon.exited, 15_000, undefined);
    if (!daemon.hasExited()) killTree(daemon.pid);
    log.close();
  });
  try {
    const deadline = now() + 120_000;
    const wanted = pluginCount(setup);
    for (;;) {
      if (daemon.hasExited()) return { error: `circusd exited: ${log.lines.at(-1)?.text ?? ""}` };
      const { sleeps, plugins } = census(daemon.pid);
      if (sleeps >= opts.sleepers && plugins.size >= wanted) break;
      if (now() > deadline)
        return { error: `not up: ${sleeps}/${opts.sleepers} sleeps, ${plugins.size} plugins` };
      await delay(100);
    }
    await delay(opts.settleS * 1000);
    const before = census(daemon.pid).plugins;
    const ticks0 = readStat(daemon.pid)?.cpuTicks;
    const spawns0 = spawns;
    const datagrams0 = sink.count();
    const t0 = now();
    await delay(opts.windowS * 1000);
    const ticks1 = readStat(daemon.pid)?.cpuTicks;
    const seconds = (now() - t0) / 1000;
    const after = census(daemon.pid).plugins;
    if (ticks0 === undefined || ticks1 === undefined) return { error: "circusd gone" };
    let pluginTicks = 0;
    for (const [pid, ticks] of after) {
      const start = before.get(pid);
      // A plugin process restarted during the window counts from its own start.
      pluginTicks += start === undefined ? ticks : ticks - start;
    }
    const pct = (ticks: number) => (ticks / CLOCK_TICKS / seconds) * 100;
    return {
      daemonPct: pct(ticks1 - ticks0),
      pluginsPct: setup.plugins === "none" ? undefined : pct(pluginTicks),
      spawns: setup.crashLoop ? spawns - spawns0 : undefined,
      datagrams: setup.plugins === "none" ? undefined : sink.count() - datagrams0,
    };
  } finally {
    await cleanup();
  }
}

/** Runs every setup `rounds` times, interleaved, so that a busy period hits all of them. */
export async function runPlugins(
  opts: PluginsOptions,
  progress: (message: string) => void,
): Promise<{ results: PluginsResult[]; note?: string }> {
  const { list, note } = setups();
  if (!existsSync(CIRCUSD)) {
    const error = "dist/cli/circusd.js not built (npm run build)";
    return { results: list.map((setup) => ({ setup, runs: [{ error }] })), note };
  }
  const results = list.map((setup) => ({ setup, runs: [] as PluginsRun[] }));
  for (let round = 1; round <= opts.rounds; round++) {
    for (const result of results) {
      progress(`plugins: ${result.setup.label} ${round}/${opts.rounds}`);
      const run = await runOnce(result.setup, opts);
      progress(`plugins: ${JSON.stringify(run)}`);
      result.runs.push(run);
      await delay(1000);
    }
  }
  return { results, note };
}

const figure = (values: (number | undefined)[], digits: number, unit: string) => {
  const m = median(values);
  return m === undefined ? undefined : `${m.toFixed(digits)}${unit}`;
};

/** The table: circusd's CPU per setup, the plugins' own CPU and what they did in the detail. */
export function pluginsTable(
  { results, note }: { results: PluginsResult[]; note?: string },
  opts: PluginsOptions,
): Table {
  return {
    title:
      `plugins: circusd CPU over ${opts.windowS} s, ${opts.sleepers} sleeps ` +
      `(+ ${opts.crashers} crash-looping), % of one core (lower is better)` +
      (note ? `; ${note}` : ""),
    unit: "%",
    digits: 2,
    rows: results.map(({ setup, runs }) => {
      const ok = runs.filter((r) => r.error === undefined);
      const daemon = ok.map((r) => r.daemonPct);
      const detail = [
        figure(
          ok.map((r) => r.pluginsPct),
          2,
          "% in the plugin processes",
        ),
        figure(
          ok.map((r) => r.spawns),
          0,
          " crasher spawns in the window",
        ),
        figure(
          ok.map((r) => r.datagrams),
          0,
          " statsd datagrams",
        ),
        ok.length > 1
          ? `median of ${ok.length}: ${Math.min(...(daemon as number[])).toFixed(2)}..${Math.max(...(daemon as number[])).toFixed(2)}`
          : undefined,
        ...runs.map((r) => r.error),
      ].filter((part): part is string => part !== undefined);
      return {
        system: setup.label,
        isOurs: false,
        isRaw: false,
        value: median(daemon),
        detail: detail.join("; "),
      };
    }),
  };
}
