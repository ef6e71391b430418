/**
 * What circus-top knows of the system: the last figures circusd-stats published for every
 * process, watcher and socket, each dropped once it has not been refreshed for the process
 * timeout (a process that exited is simply no longer published).
 *
 * The stream, once a second: `stat.WATCHER.PID` per process, `stat.WATCHER` for the
 * watcher's aggregate, the same under `stat.circus` for circusd and circusd-stats
 * themselves, `stat.sockets.FD` per socket and `stat.sockets` for their sum.
 */

/** A percentage or a number of seconds, or `"N/A"` when the streamer could not tell. */
export type Figure = number | "N/A";

/** The last figures of one process. */
export interface ProcessStat {
  pid: number;
  /** `circusd`, `circusd-stats`, `circushttpd` in the `circus` block; null elsewhere. */
  name: string | null;
  /** % of one CPU. */
  cpu: Figure;
  /** % of the machine's memory. */
  mem: Figure;
  /** Seconds since the process started. */
  age: Figure;
  /** When it was last published (ms, the model's clock). */
  seenAt: number;
}

/** A watcher's aggregate: average CPU, summed memory, the oldest age. */
export interface Aggregate {
  cpu: Figure;
  mem: Figure;
  age: Figure;
  seenAt: number;
}

/** One watcher's block (or the `circus` block). */
export interface WatcherStats {
  name: string;
  processes: Map<number, ProcessStat>;
  aggregate: Aggregate | null;
}

/** One socket's reads since the previous publication. */
export interface SocketStat {
  fd: number;
  address: string;
  reads: number;
  seenAt: number;
}

/** The `sockets` block. */
export interface SocketsStats {
  sockets: Map<number, SocketStat>;
  /** The sum of reads, with when it was published; null before the first. */
  total: { reads: number; seenAt: number } | null;
}

/** The topic under which circusd-stats publishes socket hits. */
export const SOCKETS = "sockets";

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A figure from the stream: a finite number, else N/A (the streamer's own "N/A" included). */
function figure(value: unknown): Figure {
  return typeof value === "number" && Number.isFinite(value) ? value : "N/A";
}

function integer(value: unknown): number | null {
  if (typeof value === "number" && Number.isInteger(value)) return value;
  if (typeof value === "string" && /^\d+$/.test(value)) return Number(value);
  return null;
}

/** The live figures of a circusd-stats stream, with expiry. */
export class StatsModel {
  /** Watchers by name (the `circus` block included, `sockets` apart). */
  readonly watchers = new Map<string, WatcherStats>();
  readonly sockets: SocketsStats = { sockets: new Map(), total: null };
  /** When the last stat frame arrived; null before the first. */
  lastFrameAt: number | null = null;

  /**
   * @param processTimeout seconds after which a process (a socket, an aggregate) not
   * published again is dropped: the `--process-timeout` option.
   */
  constructor(readonly processTimeout: number) {}

  /**
   * Takes one frame of the stream. Returns false (and changes nothing) when the frame is not
   * a stat this console knows, so that a stray publisher cannot break the screen.
   */
  ingest(topic: string, data: unknown, now: number): boolean {
    if (!topic.startsWith("stat.") || !isObject(data)) return false;
    const rest = topic.slice("stat.".length);
    if (rest === "") return false;
    if (rest === SOCKETS || rest.startsWith(`${SOCKETS}.`)) return this.ingestSocket(data, now);
    // The watcher name may hold dots: the process frames are told apart by their subtopic
    // (the pid) rather than by splitting the topic.
    const subtopic = integer(data.subtopic);
    if (subtopic !== null && rest.endsWith(`.${subtopic}`)) {
      const name = rest.slice(0, -`.${subtopic}`.length);
      if (name === "") return false;
      const pid = integer(data.pid) ?? subtopic;
      this.watcher(name).processes.set(pid, {
        pid,
        name: typeof data.name === "string" ? data.name : null,
        cpu: figure(data.cpu),
        mem: figure(data.mem),
        age: figure(data.age),
        seenAt: now,
      });
    } else {
      this.watcher(rest).aggregate = {
        cpu: figure(data.cpu),
        mem: figure(data.mem),
        age: figure(data.age),
        seenAt: now,
      };
    }
    this.lastFrameAt = now;
    return true;
  }

  private ingestSocket(data: Json, now: number): boolean {
    if (Array.isArray(data.addresses)) {
      this.sockets.total = { reads: integer(data.reads) ?? 0, seenAt: now };
    } else {
      const fd = integer(data.fd) ?? integer(data.subtopic);
      if (fd === null) return false;
      this.sockets.sockets.set(fd, {
        fd,
        address: typeof data.address === "string" ? data.address : String(fd),
        reads: integer(data.reads) ?? 0,
        seenAt: now,
      });
    }
    this.lastFrameAt = now;
    return true;
  }

  private watcher(name: string): WatcherStats {
    let stats = this.watchers.get(name);
    if (!stats) {
      stats = { name, processes: new Map(), aggregate: null };
      this.watchers.set(name, stats);
    }
    return stats;
  }

  /**
   * Drops what was not published within the process timeout before `now`: processes,
   * sockets, and then the aggregate of a watcher that is no longer published at all (a
   * stopped watcher), whose block goes with it once it has no process left.
   */
  expire(now: number): void {
    const oldest = now - this.processTimeout * 1000;
    for (const [name, stats] of this.watchers) {
      for (const [pid, process] of stats.processes) {
        if (process.seenAt < oldest) stats.processes.delete(pid);
      }
      if (stats.aggregate && stats.aggregate.seenAt < oldest) stats.aggregate = null;
      if (stats.processes.size === 0 && stats.aggregate === null) this.watchers.delete(name);
    }
    for (const [fd, socket] of this.sockets.sockets) {
      if (socket.seenAt < oldest) this.sockets.sockets.delete(fd);
    }
    if (this.sockets.total && this.sockets.total.seenAt < oldest) this.sockets.total = null;
  }

  /** True when there is nothing to show (before the first frame, or everything expired). */
  get empty(): boolean {
    return (
      this.watchers.size === 0 && this.sockets.sockets.size === 0 && this.sockets.total === null
    );
  }
}
