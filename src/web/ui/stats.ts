/**
 * Reading circusd-stats frames (`stat.WATCHER.PID`, `stat.WATCHER`, `stat.circus.PID`,
 * `stat.sockets[.FD]`, see src/statsd/frames.ts) into figures the views show.
 */
import type { StatsMessage } from "./ws.ts";

/** A process's or a watcher's last figures; null where the streamer said "N/A". */
export interface Figures {
  cpu: number | null;
  mem: number | null;
  age: number | null;
  /** Set for the `circus` block's processes: circusd, circusd-stats, circushttpd. */
  name?: string | null;
  pids?: number[];
}

/** One frame's topic split: the watcher (or `circus`, `sockets`) and the pid / fd, if any. */
export function splitTopic(topic: string): { group: string; sub: number | null } | null {
  if (!topic.startsWith("stat.")) return null;
  const rest = topic.slice(5);
  const dot = rest.lastIndexOf(".");
  const tail = dot >= 0 ? rest.slice(dot + 1) : "";
  // Watcher names may hold dots; only a numeric last part is a pid / fd.
  if (dot >= 0 && /^\d+$/.test(tail)) return { group: rest.slice(0, dot), sub: Number(tail) };
  return { group: rest, sub: null };
}

function num(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

/** A frame's figures. */
export function figures(data: Record<string, unknown>): Figures {
  return {
    cpu: num(data.cpu),
    mem: num(data.mem),
    age: num(data.age),
    name: typeof data.name === "string" ? data.name : null,
    pids: Array.isArray(data.pid) ? (data.pid as number[]) : undefined,
  };
}

/** One message's frames, sorted: aggregates per group, processes per group, sockets. */
export interface StatsBatch {
  aggregates: Map<string, Figures>;
  processes: Map<string, Map<number, Figures>>;
  sockets: { total: number | null; byFd: Map<number, { address: string; reads: number }> };
}

/** Sorts a `stats` message's frames. */
export function readBatch(m: StatsMessage): StatsBatch {
  const batch: StatsBatch = {
    aggregates: new Map(),
    processes: new Map(),
    sockets: { total: null, byFd: new Map() },
  };
  for (const f of m.frames) {
    const t = splitTopic(f.topic);
    if (!t || typeof f.data !== "object" || f.data === null) continue;
    if (t.group === "sockets") {
      if (t.sub === null) batch.sockets.total = num(f.data.reads);
      else
        batch.sockets.byFd.set(t.sub, {
          address: String(f.data.address ?? ""),
          reads: num(f.data.reads) ?? 0,
        });
    } else if (t.sub === null) batch.aggregates.set(t.group, figures(f.data));
    else {
      let procs = batch.processes.get(t.group);
      if (!procs) batch.processes.set(t.group, (procs = new Map()));
      procs.set(t.sub, figures(f.data));
    }
  }
  return batch;
}
