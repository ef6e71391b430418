/**
 * The frames circusd-stats publishes, in Circus 0.19's shape: a process's figures (as
 * `stats` gives them, plus `subtopic` and `name`), a group's aggregate, a socket's hits and
 * their total.
 */
import type { Info } from "../control/process-stats.js";
import { float, type PyFloat } from "../python/repr.js";
import type { SocketReads } from "../stats/socket-hits.js";

/** `stat.WATCHER.PID`: one process. `name` is set in the `circus` group only. */
export interface ProcessFrame extends Info {
  subtopic: number;
  name: string | null;
}

/** `stat.WATCHER`: a group's processes together. */
export interface AggregateFrame {
  pid: number[];
  /** The average: a sum of CPU percentages of several processes means little. */
  cpu: PyFloat | "N/A";
  /** The sum. */
  mem: PyFloat | "N/A";
  /** The oldest process's. */
  age: PyFloat | "N/A";
}

/** `stat.sockets.FD`: one socket. */
export interface SocketFrame {
  fd: number;
  subtopic: number;
  reads: number;
  address: string;
}

/** `stat.sockets`: every socket. */
export interface SocketTotalFrame {
  addresses: string[];
  reads: number;
}

/** The aggregate of a group's process frames (an empty group: zeros, and no age). */
export function aggregate(frames: readonly Info[]): AggregateFrame {
  let cpu = 0;
  let mem = 0;
  let age = -1;
  for (const f of frames) {
    cpu += f.cpu.value;
    mem += f.mem.value;
    age = Math.max(age, f.age.value);
  }
  return {
    pid: frames.map((f) => f.pid),
    cpu: float(frames.length > 0 ? cpu / frames.length : 0),
    mem: float(mem),
    age: age >= 0 ? float(age) : "N/A",
  };
}

/** A frame per socket, then their total. */
export function socketFrames(reads: readonly SocketReads[]): [...SocketFrame[], SocketTotalFrame] {
  const frames: SocketFrame[] = reads.map((r) => ({
    fd: r.fd,
    subtopic: r.fd,
    reads: r.reads,
    address: r.address,
  }));
  const total = {
    addresses: reads.map((r) => r.address),
    reads: reads.reduce((sum, r) => sum + r.reads, 0),
  };
  return [...frames, total];
}
