/**
 * What the metrics endpoint costs at scale: the time of a scrape of N processes (1000 by
 * default), the scrapes answered while they start, and what `metrics = true` adds to circusd
 * (its RSS with N running, its idle CPU, the time to bind its endpoints). Not one of `npm run
 * bench`'s scenarios, which compare systems:
 *
 *   npm run build && node --import tsx bench/metrics-scrape.ts [--n 1000] [--scrapes 30]
 */
import { readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { launch, within } from "./lib/exec.js";
import { LineLog } from "./lib/log.js";
import { freshWorkDir, REPO_DIR } from "./lib/paths.js";
import {
  CLOCK_TICKS,
  delay,
  descendants,
  killTree,
  now,
  readMem,
  readStat,
  signalPid,
} from "./lib/proc.js";

const CIRCUSD = join(REPO_DIR, "dist", "cli", "circusd.js");

const { values: args } = parseArgs({
  options: {
    n: { type: "string", default: "1000" },
    scrapes: { type: "string", default: "30" },
    settle: { type: "string", default: "3" },
  },
});
const N = Number(args.n);
const SCRAPES = Number(args.scrapes);
const SETTLE_MS = Number(args.settle) * 1000;

/** One GET; resolves with its duration (ms) and body. */
function get(url: string): Promise<{ ms: number; body: string }> {
  const start = now();
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () =>
          res.statusCode === 200
            ? resolve({ ms: now() - start, body })
            : reject(new Error(`${url}: ${res.statusCode}`)),
        );
      })
      .on("error", reject);
  });
}

/** The running-process count in a scrape. */
function running(body: string): number {
  const match = /^circus_watcher_running_processes\{watcher="sleepers"\} (\d+)$/m.exec(body);
  return match ? Number(match[1]) : -1;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

function summary(ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  const f = (v: number) => v.toFixed(1);
  return `median ${f(quantile(s, 0.5))} ms, p90 ${f(quantile(s, 0.9))} ms, max ${f(s.at(-1) ?? NaN)} ms (${s.length} scrapes)`;
}

/** CPU seconds of a process. */
function cpuSeconds(pid: number): number {
  const stat = readStat(pid);
  return stat ? stat.cpuTicks / CLOCK_TICKS : NaN;
}

interface Figures {
  bindMs: number;
  rssMiB: number;
  idleCpuPercent: number;
  duringStart?: string;
  settled?: string;
  cpuPerScrapeMs?: number;
  rssAfterScrapesMiB?: number;
  bytes?: number;
}

/**
 * One circusd run with N sleeps: `off` without metrics; `on` with metrics, scraped only once
 * they all run; `during`, scraped one request after another from the moment the endpoint
 * listens until they all run.
 */
async function measure(mode: "off" | "on" | "during"): Promise<Figures> {
  const dir = freshWorkDir(`metrics-${mode}`);
  const config = join(dir, "circus.ini");
  writeFileSync(
    config,
    [
      "[circus]",
      `endpoint = ipc://${join(dir, "control.sock")}`,
      `pubsub_endpoint = ipc://${join(dir, "pubsub.sock")}`,
      "multicast_endpoint =",
      ...(mode === "off" ? [] : ["metrics = true", "metrics_port = 0"]),
      "",
      "[watcher:sleepers]",
      "cmd = sleep 100000",
      `numprocesses = ${N}`,
      "graceful_timeout = 5",
      "",
    ].join("\n"),
  );
  const log = new LineLog(join(dir, "circusd.log"));
  const t0 = now();
  const daemon = launch([process.execPath, CIRCUSD, config], { log, cwd: dir });
  try {
    const master = await log.waitFor(/Starting master/, 30_000);
    if (!master) throw new Error(`circusd did not start: ${join(dir, "circusd.log")}`);
    const figures: Figures = { bindMs: master.at - t0, rssMiB: NaN, idleCpuPercent: NaN };
    const url = /(http:\/\/\S+)/.exec(
      log.lines.find((l) => / metrics on /.test(l.text))?.text ?? "",
    )?.[1];
    if (mode !== "off" && !url) throw new Error("no metrics URL in the log");
    if (mode === "during" && url) {
      const during: number[] = [];
      for (;;) {
        const { ms, body } = await get(url);
        during.push(ms);
        if (running(body) >= N) break;
      }
      figures.duringStart = summary(during);
    }
    while (descendants(daemon.pid).filter((p) => p.comm === "sleep").length < N) await delay(100);
    await delay(SETTLE_MS);
    figures.rssMiB = (readMem(daemon.pid)?.rssKiB ?? NaN) / 1024;
    // Idle: nobody scrapes, nothing changes.
    const before = cpuSeconds(daemon.pid);
    await delay(10_000);
    figures.idleCpuPercent = ((cpuSeconds(daemon.pid) - before) / 10) * 100;
    if (mode === "on" && url) {
      const settled: number[] = [];
      const cpu = cpuSeconds(daemon.pid);
      for (let i = 0; i < SCRAPES; i++) {
        const { ms, body } = await get(url);
        settled.push(ms);
        figures.bytes = body.length;
      }
      figures.cpuPerScrapeMs = ((cpuSeconds(daemon.pid) - cpu) / SCRAPES) * 1000;
      figures.settled = summary(settled);
      await delay(1000);
      figures.rssAfterScrapesMiB = (readMem(daemon.pid)?.rssKiB ?? NaN) / 1024;
    }
    signalPid(daemon.pid, "SIGTERM");
    await within(daemon.exited, 60_000, undefined);
    return figures;
  } finally {
    killTree(daemon.pid);
  }
}

const load = () => readFileSync("/proc/loadavg", "latin1").split(" ").slice(0, 3).join(" ");
const loadBefore = load();
const off = await measure("off");
const on = await measure("on");
const during = await measure("during");
const mib = (v: number | undefined) => `${(v ?? NaN).toFixed(1)} MiB`;
console.log(
  `circusd with ${N} processes, metrics off | on (load average ${loadBefore} -> ${load()})`,
);
console.log(
  `  endpoints bound after launch:  ${off.bindMs.toFixed(0)} ms | ${on.bindMs.toFixed(0)} ms`,
);
console.log(`  RSS, settled, never scraped:   ${mib(off.rssMiB)} | ${mib(on.rssMiB)}`);
console.log(
  `  idle CPU (10 s, no scrape):    ${off.idleCpuPercent.toFixed(2)} % | ${on.idleCpuPercent.toFixed(2)} %`,
);
console.log(`  scrape of ${N}, settled:      ${on.settled}, ${on.bytes} bytes`);
console.log(`  circusd CPU per scrape:        ${on.cpuPerScrapeMs?.toFixed(1)} ms`);
console.log(`  RSS after ${SCRAPES} scrapes:          ${mib(on.rssAfterScrapesMiB)}`);
console.log(`  scrapes while they start:      ${during.duringStart}`);
console.log(`  RSS after those, settled:      ${mib(during.rssMiB)}`);
