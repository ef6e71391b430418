/**
 * Live CPU and memory charts of a watcher (uPlot): the aggregate plus one line per process,
 * capped at the top {@link TOP} by CPU. Each stats batch adds a point and calls `setData`; a
 * line is added or dropped (`addSeries` / `delSeries`) only when the top changes, so the
 * charts are updated in place, never rebuilt.
 */
import uPlot from "uplot";
import { h } from "../dom.ts";
import type { Figures } from "../stats.ts";

/** Lines per chart besides the aggregate. */
export const TOP = 10;
/** Points kept: two minutes at one frame a second. */
const POINTS = 120;
const PALETTE = [
  "#2563eb",
  "#dc2626",
  "#16a34a",
  "#9333ea",
  "#ea580c",
  "#0891b2",
  "#ca8a04",
  "#db2777",
  "#4f46e5",
  "#65a30d",
];

interface History {
  cpu: (number | null)[];
  mem: (number | null)[];
}

/** The two charts; `el` goes in the page. */
export class ProcessCharts {
  readonly el: HTMLElement;
  private readonly times: number[] = [];
  private readonly agg: History = { cpu: [], mem: [] };
  private readonly perPid = new Map<number, History>();
  private shown: { pid: number; color: string }[] = [];
  private readonly cpu: uPlot;
  private readonly mem: uPlot;
  private readonly observer: ResizeObserver;

  constructor() {
    const cpuBox = h("div", { class: "chart", "data-testid": "chart-cpu" });
    const memBox = h("div", { class: "chart", "data-testid": "chart-mem" });
    this.el = h(
      "section",
      { class: "panel charts" },
      h("div", {}, h("h3", {}, "CPU %"), cpuBox),
      h("div", {}, h("h3", {}, "Memory %"), memBox),
    );
    // CPU's aggregate is an average, on the processes' scale; memory's is a sum, which would
    // flatten them: it gets a scale of its own, on the right.
    this.cpu = new uPlot(options("CPU", false), [[]], cpuBox);
    this.mem = new uPlot(options("Memory", true), [[]], memBox);
    this.observer = new ResizeObserver(() => {
      const width = Math.max(200, cpuBox.clientWidth);
      this.cpu.setSize({ width, height: 200 });
      this.mem.setSize({ width: Math.max(200, memBox.clientWidth), height: 200 });
    });
    this.observer.observe(this.el);
  }

  /** Adds a point: the watcher's aggregate and its processes' figures, at `now` (seconds). */
  push(now: number, aggregate: Figures | undefined, processes: Map<number, Figures>): void {
    this.times.push(now);
    this.agg.cpu.push(aggregate?.cpu ?? null);
    this.agg.mem.push(aggregate?.mem ?? null);
    for (const pid of processes.keys()) {
      if (!this.perPid.has(pid))
        this.perPid.set(pid, {
          cpu: new Array<number | null>(this.times.length - 1).fill(null),
          mem: new Array<number | null>(this.times.length - 1).fill(null),
        });
    }
    for (const [pid, hist] of this.perPid) {
      const f = processes.get(pid);
      hist.cpu.push(f?.cpu ?? null);
      hist.mem.push(f?.mem ?? null);
    }
    if (this.times.length > POINTS) {
      this.times.shift();
      this.agg.cpu.shift();
      this.agg.mem.shift();
      for (const [pid, hist] of this.perPid) {
        hist.cpu.shift();
        hist.mem.shift();
        if (hist.cpu.every((v) => v === null)) this.perPid.delete(pid);
      }
    }
    this.pickTop(processes);
    this.draw();
  }

  /** Stops watching the page's size (the view is gone). */
  destroy(): void {
    this.observer.disconnect();
    this.cpu.destroy();
    this.mem.destroy();
  }

  private pickTop(latest: Map<number, Figures>): void {
    const top = [...latest]
      .sort((a, b) => (b[1].cpu ?? -1) - (a[1].cpu ?? -1) || a[0] - b[0])
      .slice(0, TOP)
      .map(([pid]) => pid);
    const want = new Set(top);
    // Drop from the end, so the indexes of the lines before stay right.
    for (let i = this.shown.length - 1; i >= 0; i--) {
      if (want.has(this.shown[i]!.pid)) continue;
      this.cpu.delSeries(i + 2);
      this.mem.delSeries(i + 2);
      this.shown.splice(i, 1);
    }
    for (const pid of top) {
      if (this.shown.some((s) => s.pid === pid)) continue;
      const used = new Set(this.shown.map((s) => s.color));
      const color = PALETTE.find((c) => !used.has(c)) ?? PALETTE[0]!;
      this.shown.push({ pid, color });
      const series = { label: String(pid), stroke: color, width: 1, spanGaps: false };
      this.cpu.addSeries(series);
      this.mem.addSeries(series);
    }
  }

  private draw(): void {
    const rows = (key: keyof History): uPlot.AlignedData => [
      this.times,
      this.agg[key],
      ...this.shown.map((s) => this.perPid.get(s.pid)?.[key] ?? []),
    ];
    this.cpu.setData(rows("cpu"));
    this.mem.setData(rows("mem"));
  }
}

function options(title: string, ownScale: boolean): uPlot.Options {
  const scale = ownScale ? "all" : "y";
  const pad = (n: number): string => String(n).padStart(2, "0");
  const time = (_u: uPlot, splits: number[]): string[] =>
    splits.map((t) => {
      const d = new Date(t * 1000);
      return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
    });
  return {
    width: 480,
    height: 200,
    legend: { show: true, live: false },
    cursor: { show: true, drag: { x: false, y: false } },
    scales: {
      // The last two minutes, even while there is one point only.
      x: { time: true, range: (_u, _min, max) => [max - POINTS, max] },
      y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] },
      all: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] },
    },
    series: [{}, { label: `${title} (all)`, stroke: "#111827", width: 2, scale }],
    axes: [
      { values: time, space: 60 },
      { size: 50 },
      ...(ownScale ? [{ scale: "all", side: 1, size: 50, grid: { show: false } }] : []),
    ],
  };
}
