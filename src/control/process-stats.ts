/**
 * Process figures shaped as Circus's `get_info` / `Process.info()` give them to `stats` and
 * `dstats`: memory as `3M`, CPU time as `0:00.41`, plus age, started, children and wid.
 */
import type { Process } from "../core/process.js";
import {
  sampleContext,
  sampleProcess,
  type CpuSample,
  type ProcessInfo,
  type SampleContext,
} from "../stats/process-info.js";

const SYMBOLS = ["K", "M", "G", "T", "P", "E", "Z", "Y"];

/** Circus's bytes2human: the integer part in the biggest unit that fits (`3M`, `512B`). */
export function bytes2human(n: number): string {
  for (let i = SYMBOLS.length - 1; i >= 0; i--) {
    const prefix = 2 ** ((i + 1) * 10);
    if (n >= prefix) return `${Math.floor(n / prefix)}${SYMBOLS[i]}`;
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

/** A sample in Circus's shape; children are sampled too when asked. */
function shape(pid: number, info: ProcessInfo, ctx: SampleContext, withChildren: boolean): Info {
  return {
    pid,
    username: info.username,
    nice: info.nice,
    mem_info1: bytes2human(info.mem_info1),
    mem_info2: bytes2human(info.mem_info2),
    cpu: info.cpu,
    mem: info.mem,
    ctime: formatCtime(info.ctime),
    cmdline: info.cmdline,
    create_time: info.create_time,
    children: withChildren
      ? info.children.map((child) => getInfo(child, undefined, false, ctx))
      : [],
  };
}

const GONE = (pid: number) => ({ pid, error: "No such process" }) as unknown as Info;

/** One process's figures; `previous` carries CPU samples between calls. */
export function getInfo(
  pid: number,
  previous?: CpuSample,
  withChildren = false,
  ctx: SampleContext = sampleContext(),
): Info {
  const info = sampleProcess(pid, previous, ctx);
  return info ? shape(pid, info, ctx, withChildren) : GONE(pid);
}

/** The shape of one info mapping in a stats reply. */
export interface Info {
  pid: number;
  username: string;
  nice: number;
  mem_info1: string;
  mem_info2: string;
  cpu: number;
  mem: number;
  ctime: string;
  cmdline: string;
  create_time: number;
  children: Info[];
  age?: number;
  started?: number;
  wid?: number;
}

/** A watcher's process as `stats` reports it (Circus's `Process.info()`). */
export function processInfo(p: Process, ctx: SampleContext = sampleContext()): Info {
  const sampled = p.info(ctx);
  if (!sampled) return GONE(p.pid);
  return { ...shape(p.pid, sampled, ctx, true), age: p.age(), started: p.started, wid: p.wid };
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
