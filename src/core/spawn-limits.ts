/**
 * Spawns that fail on a resource limit (open files, processes, memory): the watcher keeps
 * the processes it has and tries again later, where another failure counts toward max_retry
 * and ends in giving up. The message names the limit and its value, read when it is hit.
 */
import type { WatcherConfig } from "../config/types.js";
import { logger } from "../log/logger.js";
import { timeNow } from "../python/repr.js";
import { openFilesLimit } from "../sys/fd-budget.js";
import { readProc } from "../sys/proc.js";

/** The first retry after a limit was hit (ms); then doubling up to {@link MAX_RETRY_MS}. */
const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 30_000;

/** The pause before the n-th retry (from 0) of spawns held back by a limit. */
export function limitRetryDelay(retries: number): number {
  return Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** retries);
}

/** A watcher running fewer processes than asked because a limit was hit. */
export interface Shortfall {
  /** The failed spawn's error and the limit it hit, as the log says it. */
  reason: string;
  /** The errno name: EMFILE, ENFILE, EAGAIN or ENOMEM. */
  errno: string;
  /** Epoch seconds of the first failure. */
  since: number;
}

/** What a hold needs of its watcher. */
export interface LimitSubject {
  name(): string;
  config(): WatcherConfig;
  running(): number;
  wanted(): number;
  notify(topic: string, data: Record<string, unknown>): void;
  /** Spawns what is missing (unqueued: it is the watcher's own supervision). */
  spawnMissing(): void;
}

/**
 * The spell during which a limit holds a watcher's spawns back: said once (log and a
 * `shortfall` event), retried after growing pauses, over once all processes run again.
 */
export class LimitHold {
  private short: Shortfall | null = null;
  private timer: NodeJS.Timeout | null = null;
  private retries = 0;

  constructor(private readonly subject: LimitSubject) {}

  /** The spell under way, or null. */
  get current(): Shortfall | null {
    return this.short;
  }

  /**
   * A spawn failed: true when on a resource limit, which is then said (once per spell) and
   * retried later; false for any other failure, which is the caller's to count.
   */
  hit(error: unknown): boolean {
    const { subject } = this;
    const limit = limitHit(error, subject.config());
    if (limit === null) return false;
    if (!this.short) {
      const err = error as NodeJS.ErrnoException;
      this.short = {
        reason: `${err.message}: hit ${limit}`,
        errno: err.code ?? "",
        since: timeNow().valueOf(),
      };
      logger.error(
        `${subject.name()}: cannot spawn: ${this.short.reason}; keeping the ${subject.running()} ` +
          `running processes of ${subject.wanted()}, retrying`,
      );
      subject.notify("shortfall", {
        running: subject.running(),
        numprocesses: subject.wanted(),
        errno: this.short.errno,
        reason: this.short.reason,
      });
    }
    this.timer ??= setTimeout(() => {
      this.timer = null;
      subject.spawnMissing();
    }, limitRetryDelay(this.retries++));
    return true;
  }

  /** Every process asked for runs: the spell, if any, is over. */
  recovered(): void {
    if (!this.short) return;
    logger.info(`${this.subject.name()}: all ${this.subject.wanted()} processes running again`);
    this.clear();
  }

  /** No spell, no retry pending (the watcher stops). */
  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.short = null;
    this.retries = 0;
  }
}

/** A kernel setting (/proc/sys/...) as the file says it, or "?". */
function setting(name: string): string {
  return readProc(`/proc/sys/${name}`)?.trim() ?? "?";
}

/** A limit's value; null and Infinity are unlimited. */
function show(value: number | null): string {
  return value !== null && Number.isFinite(value) ? String(value) : "unlimited";
}

/**
 * The limit a spawn's error says was hit, named with its value; null when the error is no
 * resource limit (a bad command, a missing folder...).
 */
export function limitHit(error: unknown, config: WatcherConfig): string | null {
  switch ((error as NodeJS.ErrnoException | null)?.code) {
    case "EMFILE":
      return `circusd's open-files limit (RLIMIT_NOFILE = ${show(openFilesLimit().soft)})`;
    case "ENFILE":
      return `the system's open-files limit (fs.file-max = ${setting("fs/file-max")})`;
    case "EAGAIN": {
      const nproc = config.rlimits.nproc;
      const own = nproc === undefined ? "" : `rlimit_nproc = ${show(nproc)}, `;
      return (
        `the process limit (${own}kernel.pid_max = ${setting("kernel/pid_max")}, ` +
        `kernel.threads-max = ${setting("kernel/threads-max")})`
      );
    }
    case "ENOMEM":
      return "the memory available (ENOMEM)";
    default:
      return null;
  }
}
