/**
 * circusd's open files against its limit (RLIMIT_NOFILE): how many it may still open, so
 * that its processes' pipes never take the last ones, which the control socket, the streams'
 * files and /proc reads need.
 */
import { readdirSync } from "node:fs";
import { readProc } from "./proc.js";

/** circusd's soft and hard RLIMIT_NOFILE (Infinity for unlimited). */
export function openFilesLimit(): { soft: number; hard: number } {
  const row = /^Max open files\s+(\S+)\s+(\S+)/m.exec(readProc("/proc/self/limits") ?? "");
  const value = (text: string | undefined) =>
    text === undefined || text === "unlimited" ? Infinity : Number(text);
  return { soft: value(row?.[1]), hard: value(row?.[2]) };
}

/** Files kept free for everything but the processes' pipes. */
export function reserveFor(limit: number): number {
  return Math.max(32, Math.min(1000, Math.floor(limit / 20)));
}

/**
 * How often, at most, the open files are counted again near the limit (ms): listing 20,000
 * of them takes tens of milliseconds, and the estimate in between errs on the safe side.
 */
const RECOUNT_NEAR_MS = 1000;
/** How often they are counted again at all (ms), so that closed files are seen free again. */
const RECOUNT_MS = 10_000;

/**
 * Counts open files cheaply: /proc/self/fd is listed (thousands of entries at scale) only
 * when the estimate comes near the limit or is old; in between, the files opened since are
 * added (those closed are not subtracted, so the estimate errs on the safe side).
 */
export class FdBudget {
  private counted = -1;
  private countedAt = 0;
  private opened = 0;
  private limit: number;

  /** `limit`: a fixed limit (tests); by default circusd's, read again at each count. */
  constructor(private readonly fixed?: number) {
    this.limit = fixed ?? openFilesLimit().soft;
  }

  /** The soft limit this budget counts against. */
  get max(): number {
    return this.limit;
  }

  /** Files kept free for what is not a process's pipe. */
  get reserve(): number {
    return reserveFor(this.limit);
  }

  /** `count` files were opened (a process's pipes). */
  note(count: number): void {
    this.opened += count;
  }

  /** Files that may still be opened before the limit, the reserve included. */
  left(): number {
    const now = performance.now();
    const age = now - this.countedAt;
    const near = this.limit - (this.counted + this.opened) < 2 * this.reserve;
    if (this.counted < 0 || age > RECOUNT_MS || (near && age > RECOUNT_NEAR_MS)) {
      // The limit too: `prlimit --pid` can change it under a running circusd.
      this.limit = this.fixed ?? openFilesLimit().soft;
      // -1: the listing's own fd.
      this.counted = Number.isFinite(this.limit) ? readdirSync("/proc/self/fd").length - 1 : 0;
      this.countedAt = now;
      this.opened = 0;
    }
    return this.limit - this.counted - this.opened;
  }

  /** Whether `count` more files would eat into the reserve. */
  tight(count: number): boolean {
    return this.left() - count < this.reserve;
  }
}

/** circusd's budget, shared by its watchers. */
export const fdBudget = new FdBudget();
