/**
 * Line capture with arrival timestamps, from a pipe or by tailing a file, so
 * a scenario can ask "when did the daemon first say X".
 */
import { closeSync, createWriteStream, openSync, readSync, watch, type FSWatcher } from "node:fs";
import type { Readable } from "node:stream";
import type { WriteStream } from "node:fs";
import { now } from "./proc.js";

/** One captured line and the now() at which the harness received it. */
export interface LogLine {
  at: number;
  text: string;
}

interface Waiter {
  pattern: RegExp;
  since: number;
  resolve: (line: LogLine | undefined) => void;
  timer: NodeJS.Timeout;
}

/** Collects timestamped lines and lets callers wait for a pattern. */
export class LineLog {
  readonly lines: LogLine[] = [];
  private partial = "";
  private readonly waiters = new Set<Waiter>();
  private readonly copy: WriteStream | undefined;
  private readonly closers: (() => void)[] = [];

  /** @param copyPath if given, every chunk is also written to this file */
  constructor(copyPath?: string) {
    this.copy = copyPath === undefined ? undefined : createWriteStream(copyPath);
  }

  /** Feeds raw output; complete lines are timestamped now. */
  feed(chunk: string): void {
    const at = now();
    this.copy?.write(chunk);
    const parts = (this.partial + chunk).split("\n");
    this.partial = parts.pop() ?? "";
    for (const text of parts) this.push({ at, text });
  }

  /** Captures every line of `stream` (e.g. a child's stdout). */
  attach(stream: Readable): void {
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => this.feed(chunk));
  }

  /**
   * Tails `path` from its beginning (it may not exist yet), woken by inotify
   * and by a 20 ms poll as a fallback.
   */
  tail(path: string): void {
    let offset = 0;
    const buffer = Buffer.alloc(1 << 16);
    const pump = (): void => {
      let fd: number;
      try {
        fd = openSync(path, "r");
      } catch {
        return;
      }
      try {
        for (;;) {
          const n = readSync(fd, buffer, 0, buffer.length, offset);
          if (n <= 0) break;
          offset += n;
          this.feed(buffer.toString("utf8", 0, n));
        }
      } finally {
        closeSync(fd);
      }
      ensureWatcher();
    };
    let watcher: FSWatcher | undefined;
    const ensureWatcher = (): void => {
      if (watcher !== undefined) return;
      try {
        watcher = watch(path, pump);
      } catch {
        watcher = undefined;
      }
    };
    const timer = setInterval(pump, 20);
    pump();
    this.closers.push(() => {
      clearInterval(timer);
      watcher?.close();
      pump();
    });
  }

  /**
   * Resolves with the first line at or after `since` matching `pattern`, or
   * undefined after `timeoutMs`.
   */
  waitFor(pattern: RegExp, timeoutMs: number, since = -Infinity): Promise<LogLine | undefined> {
    const found = this.find(pattern, since);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        pattern,
        since,
        resolve,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          resolve(undefined);
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  /** The first captured line at or after `since` matching `pattern`. */
  find(pattern: RegExp, since = -Infinity): LogLine | undefined {
    return this.lines.find((line) => line.at >= since && pattern.test(line.text));
  }

  /** Stops tailing, flushes the copy file and fails pending waits. */
  close(): void {
    for (const close of this.closers.splice(0)) close();
    if (this.partial !== "") this.push({ at: now(), text: this.partial });
    this.partial = "";
    for (const waiter of this.waiters) {
      clearTimeout(waiter.timer);
      waiter.resolve(undefined);
    }
    this.waiters.clear();
    this.copy?.end();
  }

  private push(line: LogLine): void {
    this.lines.push(line);
    for (const waiter of this.waiters) {
      if (line.at >= waiter.since && waiter.pattern.test(line.text)) {
        clearTimeout(waiter.timer);
        this.waiters.delete(waiter);
        waiter.resolve(line);
      }
    }
  }
}
