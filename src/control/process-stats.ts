/**
 * Process figures shaped as Circus's `get_info` / `Process.info()` give them to `stats` and
 * `dstats`: memory as `3M`, CPU time as `0:00.41`, plus age, started, children and wid.
 */
import { basename } from "node:path";
import type { Process } from "../core/process.js";
import { float, type PyFloat } from "../python/repr.js";
import {
  sampleContext,
  sampleProcess,
  type CpuSample,
  type ProcessInfo,
  type SampleContext,
} from "../stats/process-info.js";

const SYMBOLS = ["K", "M", "G", "T", "P", "E", "Z", "Y"];

/** Circus's bytes2human: two decimals in the biggest unit that fits (`3.52M`), or `512B`. */
export function bytes2human(n: number): string {
  for (let i = SYMBOLS.length - 1; i >= 0; i--) {
    const prefix = 2 ** ((i + 1) * 10);
    if (n >= prefix) return `${(n / prefix).toFixed(2)}${SYMBOLS[i]}`;
  }
  return `${n}B`;
}

/** CPU seconds as Circus prints them: minutes (mod 60), `:`, seconds, `.`, two digits. */
export function formatCtime(seconds: number): string {
  const whole = Math.floor(seconds);
  const micro = Math.round((seconds - whole) * 1e6);
  const mins = Math.floor(whole / 60) % 60;
  // str(microseconds)[:2], as the reference does (0.05 s prints as "50").
  return `${mins}:${String(whole % 60).padStart(2, "0")}.${String(micro).slice(0, 2)}`;
}

/** The program's name, as Circus shows `cmdline`: the last part of the first word. */
function programName(cmdline: string): string {
  return basename(cmdline.trim().split(/\s+/)[0] ?? "");
}

/** A sample in Circus's shape (get_info's keys, in its order); children are sampled too when asked. */
function shape(pid: number, info: ProcessInfo, ctx: SampleContext, withChildren: boolean): Info {
  return {
    mem_info1: bytes2human(info.mem_info1),
    mem_info2: bytes2human(info.mem_info2),
    cpu: float(info.cpu),
    mem: float(Math.round(info.mem * 1000) / 1000),
    ctime: formatCtime(info.ctime),
    pid,
    username: info.username,
    nice: info.nice,
    create_time: float(info.create_time),
    age: float(Date.now() / 1000 - info.create_time),
    cmdline: programName(info.cmdline),
    // A child that ended since the process table was read is left out.
    children: withChildren
      ? info.children.flatMap((child) => getInfo(child, undefined, false, ctx) ?? [])
      : [],
  };
}

/** What Circus's `Process.info()` answers for a process that is gone. */
const GONE = "No such process (stopped?)";

/** One process's figures (null when it is gone); `previous` carries CPU samples between calls. */
export function getInfo(
  pid: number,
  previous?: CpuSample,
  withChildren = false,
  ctx: SampleContext = sampleContext(),
): Info | null {
  const info = sampleProcess(pid, previous, ctx);
  return info ? shape(pid, info, ctx, withChildren) : null;
}

/** The shape of one info mapping in a stats reply. */
export interface Info {
  mem_info1: string;
  mem_info2: string;
  cpu: PyFloat;
  mem: PyFloat;
  ctime: string;
  pid: number;
  username: string;
  nice: number;
  create_time: PyFloat;
  age: PyFloat;
  cmdline: string;
  children: Info[];
  started?: PyFloat;
  wid?: number;
  /** Ours: whether the process is ready, when its watcher has a readiness probe. */
  ready?: boolean;
}

/** A watcher's process as `stats` reports it (Circus's `Process.info()`). */
export function processInfo(p: Process, ctx: SampleContext = sampleContext()): Info | string {
  const sampled = p.info(ctx);
  if (!sampled) return GONE;
  return {
    ...shape(p.pid, sampled, ctx, true),
    age: float(p.age()),
    started: float(p.started),
    wid: p.wid,
  };
}

const INFOLINE = (i: Info): string =>
  `${i.pid}  ${i.cmdline} ${i.username} ${i.nice} ${i.mem_info1} ${i.mem_info2} ${i.cpu} ${i.mem} ${i.ctime}`;

/** circusctl's line for a process, with its children indented under it. */
export function infoText(info: unknown): string {
  if (typeof info !== "object" || info === null) return String(info);
  const i = info as Info;
  return [INFOLINE(i), ...(i.children ?? []).map((c) => "   " + INFOLINE(c))].join("\n");
}

/** The same, as dstats prints circusd itself. */
export function daemonInfoText(info: Info): string {
  const lines = ["Main Process:", "    " + INFOLINE(info)];
  if (info.children?.length) {
    lines.push("Children:");
    for (const child of info.children) lines.push("    " + INFOLINE(child));
  }
  return lines.join("\n");
}
