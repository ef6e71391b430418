/**
 * A headless browser for the bench: Debian's chromium driven by playwright-core (the root
 * devDependency the browser tests use; it downloads no browser), its processes found in
 * /proc, and scripts that record a page's frame times and long tasks.
 */
import { chromium, type Browser } from "playwright-core";
import { cmdline, descendants } from "./proc.js";

/** Where Debian's chromium package puts the browser. */
export const CHROMIUM = process.env.CIRCUS_TEST_CHROMIUM ?? "/usr/bin/chromium";

/** Headless chromium; --no-sandbox: as root in a container its sandbox refuses to start. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-dev-shm-usage"],
  });
}

/**
 * Chromium's processes: the harness's descendants that run chromium (playwright's Browser
 * gives no pid), renderers told by cmdline.
 */
export function chromiumPids(): { all: number[]; renderers: number[] } {
  const all = descendants(process.pid)
    .filter((s) => s.state !== "Z" && cmdline(s.pid).includes("chromium"))
    .map((s) => s.pid);
  return { all, renderers: all.filter((pid) => cmdline(pid).includes("--type=renderer")) };
}

/**
 * Page scripts, given to page.evaluate as strings (the bench is not compiled with DOM types;
 * evaluate goes through CDP, so the page's CSP does not refuse them). RECORD_SCRIPT starts
 * recording requestAnimationFrame deltas and long tasks (PerformanceObserver "longtask",
 * `observed` false where unsupported); STOP_SCRIPT stops and returns a Recorded.
 */
export const RECORD_SCRIPT = `(() => {
  const r = (window.__rec = { frames: [], longTasks: 0, longMs: 0, observed: false, on: true });
  let last = performance.now();
  const tick = (t) => { r.frames.push(t - last); last = t; if (r.on) requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) { r.longTasks += 1; r.longMs += e.duration; }
    }).observe({ type: "longtask" });
    r.observed = true;
  } catch {}
})()`;
export const STOP_SCRIPT = `(() => { const r = window.__rec; r.on = false; return r; })()`;

export interface Recorded {
  frames: number[];
  longTasks: number;
  longMs: number;
  observed: boolean;
}
