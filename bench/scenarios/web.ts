/**
 * The web console's cost (`[circus] httpd = true`, issue #14): circusd runs N `sleep`
 * processes with circusd-stats and circushttpd; the CPU and RSS of the three over a window
 * with no browser, then with the console open in headless chromium on the N's watcher page
 * (live charts fed by the stats stream); the page's frame times and long tasks over that
 * window, and how long the watcher page takes to show its first process row. Only ours.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import * as browserLib from "../lib/browser.js";
import { onCleanup } from "../lib/cleanup.js";
import { freePort, launch, within } from "../lib/exec.js";
import { LineLog } from "../lib/log.js";
import { freshWorkDir, REPO_DIR } from "../lib/paths.js";
import * as proc from "../lib/proc.js";
import { median, percentile, type Row, type Table } from "../lib/table.js";
import { circusConfig } from "../systems/circus.js";

const { CLOCK_TICKS, cmdline, delay, descendants, killStrays, killTree, now, readMem } = proc;
const { readPssKiB, readStat } = proc;
const { chromiumPids, launchChromium, RECORD_SCRIPT, STOP_SCRIPT } = browserLib;
const CIRCUSD = join(REPO_DIR, "dist", "cli", "circusd.js");
/** The processes measured; "all 3": circusd, circushttpd and circusd-stats together. */
const PARTS = ["circusd", "circushttpd", "circusd-stats", "all 3", "renderer", "chromium"] as const;
type Part = (typeof PARTS)[number];
/** CPU over a window, % of one core; RSS and PSS (shared pages split) summed at its end, MiB. */
type Usage = Partial<Record<Part, { pct: number; rssMiB: number; pssMiB: number; procs: number }>>;

export interface WebOptions {
  n: number;
  windowS: number;
  settleS: number;
  /** Page loads timed for the first render (the median is kept). */
  loads: number;
  rounds: number;
}

export interface WebRun {
  /** With the console closed (no browser), and open on the watcher page. */
  closed?: Usage;
  open?: Usage;
  /** Frame deltas (requestAnimationFrame) during the open window, ms. */
  frameP50?: number;
  frameP99?: number;
  frameMax?: number;
  frames?: number;
  /** Long tasks (> 50 ms) during the open window; undefined: not supported. */
  longTasks?: number;
  longTaskMs?: number;
  /** Navigation start -> first visible process row, ms, each load. */
  firstRenderMs?: number[];
  error?: string;
}

function config(dir: string, n: number, port: number): string {
  const extra =
    `stats_endpoint = ipc://${join(dir, "stats.sock")}\nstatsd = True\n` +
    `httpd = True\nhttpd_host = 127.0.0.1\nhttpd_port = ${port}\n`;
  return circusConfig(n, dir).replace("[circus]\n", `[circus]\n${extra}`);
}

/** circusd's running sleeps and its two helper processes. */
function census(daemon: number): { sleeps: number; httpd?: number; stats?: number } {
  const found: { sleeps: number; httpd?: number; stats?: number } = { sleeps: 0 };
  for (const stat of descendants(daemon)) {
    if (stat.state === "Z") continue;
    if (stat.comm === "sleep") found.sleeps += 1;
    else if (cmdline(stat.pid).includes("circushttpd")) found.httpd = stat.pid;
    else if (cmdline(stat.pid).includes("circusd-stats")) found.stats = stat.pid;
  }
  return found;
}

/** The CPU of each group of pids over `seconds` from now, and their memory at the end. */
async function measure(groups: Partial<Record<Part, number[]>>, seconds: number): Promise<Usage> {
  const ticks = (pids: number[]) => pids.map((pid) => readStat(pid)?.cpuTicks);
  const entries = Object.entries(groups) as [Part, number[]][];
  const before = entries.map(([, pids]) => ticks(pids));
  const t0 = now();
  await delay(seconds * 1000);
  const elapsed = (now() - t0) / 1000;
  const usage: Usage = {};
  entries.forEach(([part, pids], i) => {
    // A process gone by the end counts nothing (chromium may retire a spare renderer).
    const used = ticks(pids).reduce<number>(
      (sum, t1, j) => sum + (t1 === undefined ? 0 : t1 - (before[i]?.[j] ?? t1)),
      0,
    );
    const sum = (f: (pid: number) => number) => pids.reduce((acc, pid) => acc + f(pid), 0) / 1024;
    usage[part] = {
      pct: (used / CLOCK_TICKS / elapsed) * 100,
      rssMiB: sum((pid) => readMem(pid)?.rssKiB ?? 0),
      pssMiB: sum(readPssKiB),
      procs: pids.length,
    };
  });
  return usage;
}

/** Records, from navigation start, when the process list first shows a visible row. */
const FIRST_ROW_SCRIPT = `(() => {
  const seen = () => {
    const list = document.querySelector('[data-testid="process-list"]');
    if (!list) return false;
    for (const row of list.querySelectorAll('[data-testid^="process-"]'))
      if (/^process-\\d+$/.test(row.getAttribute("data-testid")) && row.getClientRects().length > 0)
        return true;
    return false;
  };
  const observer = new MutationObserver(() => {
    if (window.__firstRow === undefined && seen()) {
      window.__firstRow = performance.now();
      observer.disconnect();
    }
  });
  observer.observe(document, { childList: true, subtree: true, attributes: true });
})()`;

async function runOnce(opts: WebOptions): Promise<WebRun> {
  const dir = freshWorkDir("web");
  const port = await freePort();
  const path = join(dir, "circus.ini");
  writeFileSync(path, config(dir, opts.n, port));
  const log = new LineLog(join(dir, "circusd.log"));
  const launched = launch([process.execPath, CIRCUSD, path], { log, cwd: dir });
  let browser: Browser | undefined;
  const cleanup = onCleanup(async () => {
    await browser?.close().catch(() => undefined);
    proc.signalPid(launched.pid, "SIGTERM");
    await within(launched.exited, 20_000, undefined);
    killTree(launched.pid);
    killStrays("sleep", dir);
    log.close();
  });
  try {
    const deadline = now() + 300_000;
    let seen: ReturnType<typeof census> = { sleeps: 0 };
    const base = `http://127.0.0.1:${port}`;
    for (;;) {
      if (launched.hasExited()) return { error: `circusd exited: ${log.lines.at(-1)?.text ?? ""}` };
      seen = census(launched.pid);
      const healthy =
        seen.httpd !== undefined &&
        (await fetch(`${base}/healthz`)
          .then((r) => r.ok)
          .catch(() => false));
      if (seen.sleeps >= opts.n && seen.stats !== undefined && healthy) break;
      if (now() > deadline)
        return {
          error: `not up: ${seen.sleeps}/${opts.n} sleeps, httpd ${seen.httpd}, stats ${seen.stats}`,
        };
      await delay(200);
    }
    await delay(opts.settleS * 1000);
    const own = {
      circusd: [launched.pid],
      circushttpd: [seen.httpd as number],
      "circusd-stats": [seen.stats as number],
      "all 3": [launched.pid, seen.httpd as number, seen.stats as number],
    };
    const closed = await measure(own, opts.windowS);

    browser = await launchChromium();
    const url = `${base}/#/d/0/w/sleepers`;
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    const page = await context.newPage();
    await page.goto(url);
    await page.getByTestId("process-list").waitFor({ timeout: 60_000 });
    await page.getByTestId("chart-cpu").waitFor({ timeout: 60_000 });
    await delay(opts.settleS * 1000);
    const pids = chromiumPids();
    await page.evaluate(RECORD_SCRIPT);
    const open = await measure(
      { ...own, renderer: pids.renderers, chromium: pids.all },
      opts.windowS,
    );
    const rec = (await page.evaluate(STOP_SCRIPT)) as browserLib.Recorded;
    const frames = rec.frames.slice(1); // the first delta starts at the evaluate
    await context.close();
    // After the window, so that the renderers of these loads are not in it.
    const firstRenderMs: number[] = [];
    for (let load = 0; load < opts.loads; load++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
      await context.addInitScript({ content: FIRST_ROW_SCRIPT });
      const page = await context.newPage();
      await page.goto(url);
      // A poll, not waitForFunction: the page's CSP forbids the eval that one needs.
      const until = now() + 60_000;
      while ((await page.evaluate("window.__firstRow")) === undefined) {
        if (now() > until) throw new Error("no process row within 60 s");
        await delay(20);
      }
      firstRenderMs.push((await page.evaluate("window.__firstRow")) as number);
      await context.close();
    }
    return {
      closed,
      open,
      frameP50: percentile(frames, 50),
      frameP99: percentile(frames, 99),
      frameMax: frames.length > 0 ? Math.max(...frames) : undefined,
      frames: frames.length,
      longTasks: rec.observed ? rec.longTasks : undefined,
      longTaskMs: rec.observed ? rec.longMs : undefined,
      firstRenderMs,
    };
  } catch (error) {
    return { error: String(error instanceof Error ? error.message : error).split("\n")[0] };
  } finally {
    await cleanup();
  }
}

export async function runWeb(
  opts: WebOptions,
  progress: (message: string) => void,
): Promise<WebRun[]> {
  const runs: WebRun[] = [];
  for (let round = 1; round <= opts.rounds; round++) {
    progress(`web: ${opts.n} sleeps, console closed then open ${round}/${opts.rounds}`);
    const run = await runOnce(opts);
    progress(`web: ${JSON.stringify(run)}`);
    runs.push(run);
    await delay(2000);
  }
  return runs;
}

const fig = (values: (number | undefined)[], digits: number) =>
  median(values)?.toFixed(digits) ?? "n/a";

function spread(values: (number | undefined)[], digits: number): string | undefined {
  const v = values.filter((x): x is number => x !== undefined);
  if (v.length < 2) return undefined;
  return `median of ${v.length}: ${Math.min(...v).toFixed(digits)}..${Math.max(...v).toFixed(digits)}`;
}

const row = (system: string, values: (number | undefined)[], notes: (string | undefined)[]) => ({
  system,
  isOurs: false,
  isRaw: false,
  value: median(values),
  detail: notes.filter((d) => d !== undefined).join("; "),
});

/** CPU per process with the console closed and open; the page's frames and first render. */
export function webTables(runs: WebRun[], opts: WebOptions): Table[] {
  const ok = runs.filter((r) => r.error === undefined);
  const errors = runs.map((r) => r.error);
  const cpuRows: Row[] = [];
  for (const state of ["closed", "open"] as const)
    for (const part of PARTS) {
      const got = ok.map((r) => r[state]?.[part]).filter((u) => u !== undefined);
      if (got.length === 0) continue;
      const [pcts, rss, pss] = [
        got.map((u) => u.pct),
        got.map((u) => u.rssMiB),
        got.map((u) => u.pssMiB),
      ];
      const memory = `RSS ${fig(rss, 1)} MiB, PSS ${fig(pss, 1)} MiB`;
      const procs = got.map((u) => u.procs);
      const count =
        part === "renderer" || part === "chromium" ? `${fig(procs, 0)} processes` : undefined;
      cpuRows.push(
        row(`${part}, console ${state}`, pcts, [memory, count, spread(pcts, 2), ...errors]),
      );
    }
  const pick = (f: (r: WebRun) => number | undefined) => ok.map(f);
  const loads = ok.map((r) => (r.firstRenderMs ?? []).map((v) => v.toFixed(0)).join("/"));
  const [frames, longMs] = [pick((r) => r.frames), pick((r) => r.longTaskMs)];
  const first = `navigation start -> first visible process row, median of ${opts.loads} loads`;
  const pageRows: Row[] = (
    [
      ["frame time p50, ms", (r) => r.frameP50, `${fig(frames, 0)} frames`],
      ["frame time p99, ms", (r) => r.frameP99],
      ["frame time max, ms", (r) => r.frameMax],
      ["long tasks > 50 ms (count)", (r) => r.longTasks, `${fig(longMs, 0)} ms in all`],
      ["first render, ms", (r) => median(r.firstRenderMs ?? []), `${first} (${loads.join(", ")})`],
    ] as [string, (r: WebRun) => number | undefined, string?][]
  ).map(([label, f, note]) => row(label, pick(f), [note, spread(pick(f), 1), ...errors]));
  return [
    {
      title:
        `web: CPU over ${opts.windowS} s, % of one core, ${opts.n} sleeps, statsd + httpd, ` +
        `the console closed (no browser) / open on the watcher page in headless chromium ` +
        `(only ours: no peer has such a console)`,
      unit: "%",
      digits: 2,
      rows: cpuRows,
    },
    {
      title:
        `web: the watcher page of ${opts.n} processes in headless chromium (frame deltas of ` +
        `requestAnimationFrame over the ${opts.windowS} s; only ours)`,
      unit: "ms",
      digits: 1,
      rows: pageRows,
    },
  ];
}
