/**
 * The write half of every file stream: an ordered queue of buffers written with writev, at
 * once while the disk is quick and in Node's thread pool when it is not, with backpressure and
 * with actions (a rotation) run between two writes, in queue order.
 */
import { notWorldWritable } from "../sys/files.js";
import {
  closeSync,
  constants,
  fstatSync,
  openSync,
  statfsSync,
  statSync,
  writev,
  writeSync,
  writevSync,
  type Stats,
} from "node:fs";
import { logger } from "../log/logger.js";

/** Bytes queued above which `append` asks the caller to wait. */
const HIGH_WATER = 4 << 20;
/** Waiting callers go on once the queue is down to this. */
const LOW_WATER = HIGH_WATER / 2;
/** The most one writev takes (bytes and buffers; IOV_MAX is 1024 on Linux). */
const BATCH_BYTES = 8 << 20;
const BATCH_BUFFERS = 1024;
/** A full non-blocking pipe (circusd's stdout) is retried after this many ms. */
const RETRY_MS = 20;
/** A write that took longer (ms) than this sends the file's writes to the thread pool... */
const SLOW_WRITE_MS = 5;
/** ...for this long (ms)... */
const ASYNC_SPELL_MS = 10_000;
/**
 * ...or, once it has lasted MIN_SPELL_MS, until this many writes in a row were quick there: a
 * single slow write is as often the machine being busy elsewhere (the daemon not scheduled)
 * as a slow disk, and writes in the thread pool cost twice the CPU. A disk that stays slow
 * keeps the spell (its writes are slow in the pool too).
 */
const QUICK_TO_RETURN = 8;
const MIN_SPELL_MS = 250;

/** Lent bytes that must wait are copied into slabs of this size, reused once written... */
const SLAB = 1 << 20;
/** ...keeping this many spare. */
const SPARE_SLABS = 4;

type Item = Buffer | (() => void);

/** A slab and the bytes of it still queued or being written. */
interface Slab {
  buffer: Buffer;
  pending: number;
}

/** Filesystems whose writes can hang on a network (statfs magic numbers): never in place. */
const NETWORK_FS = new Set([
  0x6969 /* nfs */, 0x517b /* smb */, 0xff534d42 /* cifs */, 0xfe534d42 /* smb2 */,
  0x65735546 /* fuse */, 0x00c36400 /* ceph */, 0x5346414f /* afs */, 0x01021997 /* 9p */,
  0x47504653 /* gpfs */, 0x0bd00bd0 /* lustre */,
]);

/**
 * Whether writes to this file may be done in place: a regular file on a local filesystem. A
 * FIFO, a terminal or a pipe (a reader that stalls) and a network filesystem (a server that
 * hangs) could block a write for good, so they always go through the thread pool.
 */
function writableInPlace(stat: Stats, path: string): boolean {
  try {
    return stat.isFile() && !NETWORK_FS.has(statfsSync(path).type);
  } catch {
    return false;
  }
}

/** Options of a {@link FileAppender}. */
export interface AppenderOptions {
  /** An fd to write to instead of a path (circusd's stdout); never reopened or closed. */
  fd?: number;
  /** Reopen the path when an outside tool moved or deleted the file (WatchedFileStream). */
  watch?: boolean;
}

/**
 * Appends to one file. `append` returns a promise when the caller should wait (the queue is
 * above its high-water mark). A write error is logged once, the bytes it concerned are
 * dropped (a full disk must not stop the process), and writing resumes with the next ones.
 */
export class FileAppender {
  private fd = -1;
  private ino = -1;
  private dev = -1;
  private readonly queue: Item[] = [];
  private queued = 0;
  private writing = false;
  /** Set while pump() runs, so that what it triggers does not run it again inside itself. */
  private pumping = false;
  /** Until when (performance.now()) writes go to the thread pool, after a slow one. */
  private asyncUntil = 0;
  /** Writes in a row that were quick in the thread pool during a spell, and when it began. */
  private quick = 0;
  private spellBegan = 0;
  /** Whether writes may be done in place at all (see {@link writableInPlace}). */
  private inPlace = false;
  private readonly waiters: (() => void)[] = [];
  private readonly idle: (() => void)[] = [];
  /** Bytes dropped since writes started failing; null while they succeed. */
  private dropped: number | null = null;
  /** The slab lent bytes are copied into, and how much of it is used. */
  private slab: Slab | null = null;
  private slabUsed = 0;
  /** Slabs with bytes still queued or being written, by their memory. */
  private readonly slabs = new Map<ArrayBufferLike, Slab>();
  private readonly spareSlabs: Buffer[] = [];
  /** Who writes, for the log lines (`web stdout`); set by the stream once it knows. */
  label = "output";

  constructor(
    readonly path: string | null,
    private readonly options: AppenderOptions,
  ) {
    if (options.fd !== undefined) this.fd = options.fd;
  }

  /** Whether the file is open. */
  get isOpen(): boolean {
    return this.fd >= 0;
  }

  /** Opens the file for appending (`w` truncates) and returns its size; throws the errno error. */
  openSync(mode: "a" | "w" = "a"): number {
    if (this.path === null) return 0;
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    // O_NONBLOCK: a FIFO without a reader fails at once (ENXIO) rather than hanging circusd
    // in open(), and a full one answers EAGAIN (retried) rather than blocking a write.
    const { O_WRONLY, O_CREAT, O_APPEND, O_TRUNC, O_NONBLOCK } = constants;
    const flags = O_WRONLY | O_CREAT | O_NONBLOCK | (mode === "w" ? O_TRUNC : O_APPEND);
    const fd = openSync(this.path, flags, 0o644);
    notWorldWritable(fd);
    const stat = fstatSync(fd);
    this.inPlace = writableInPlace(stat, this.path);
    this.fd = fd;
    this.ino = stat.ino;
    this.dev = stat.dev;
    return stat.size;
  }

  /** Closes the file now; queued bytes are written only if reopened. */
  closeSync(): void {
    if (this.path === null || this.fd < 0) return;
    try {
      closeSync(this.fd);
    } catch {
      // Already closed by an error path: nothing more to release.
    }
    this.fd = -1;
  }

  /** Queues bytes (kept until written); a promise means: wait before appending more. */
  append(data: Buffer): Promise<void> | undefined {
    const result = this.add(data, false);
    return result instanceof Promise ? result : undefined;
  }

  /**
   * Writes `data` at once when the file is idle and quick, else queues it; `lent` bytes are
   * copied when they must wait (the caller reuses their buffer), into slabs that serve again
   * once written. Returns a promise when the caller should wait before adding more, else
   * whether `data` itself is kept (queued or in a write under way; never when lent).
   */
  add(data: Buffer, lent: boolean): Promise<void> | boolean {
    if (data.length === 0) return false;
    let rest = data;
    if (this.idleInPlace()) {
      const written = this.writeNow(data);
      if (written === data.length) return false;
      rest = data.subarray(written);
    }
    this.queue.push(lent ? this.stage(rest) : rest);
    this.queued += rest.length;
    this.pump();
    if (this.queued <= HIGH_WATER) return !lent;
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** A copy of lent bytes, in a slab when they fit one. */
  private stage(data: Buffer): Buffer {
    if (data.length > SLAB) return Buffer.from(data);
    let slab = this.slab;
    if (slab !== null && slab.pending === 0) this.slabUsed = 0;
    if (slab === null || this.slabUsed + data.length > SLAB) {
      slab = this.slab = {
        buffer: this.spareSlabs.pop() ?? Buffer.allocUnsafeSlow(SLAB),
        pending: 0,
      };
      this.slabUsed = 0;
    }
    const copy = slab.buffer.subarray(this.slabUsed, this.slabUsed + data.length);
    data.copy(copy);
    this.slabUsed += data.length;
    slab.pending += data.length;
    this.slabs.set(slab.buffer.buffer, slab);
    return copy;
  }

  /** The first `bytes` of a batch are done with (written or dropped): their slabs may serve again. */
  private finished(batch: Buffer[], bytes: number): void {
    let left = bytes;
    for (const buffer of batch) {
      if (left <= 0) break;
      const done = Math.min(left, buffer.length);
      left -= done;
      const slab = this.slabs.get(buffer.buffer);
      if (slab === undefined || (slab.pending -= done) > 0) continue;
      this.slabs.delete(buffer.buffer);
      if (slab !== this.slab && this.spareSlabs.length < SPARE_SLABS)
        this.spareSlabs.push(slab.buffer);
    }
  }

  /** Whether a write may be done now, in place: nothing queued or under way, a quick file. */
  private idleInPlace(): boolean {
    return (
      this.queue.length === 0 &&
      !this.writing &&
      !this.pumping &&
      this.inPlace &&
      performance.now() >= this.asyncUntil &&
      this.ready() &&
      // ready() may have reopened the file, as something else.
      this.inPlace
    );
  }

  /**
   * One write in place (see {@link pump}); returns the bytes done with: written, or dropped by
   * an error (reported as pump's are). A short write leaves the rest to the queue.
   */
  private writeNow(data: Buffer): number {
    const started = performance.now();
    let written = 0;
    try {
      written = writeSync(this.fd, data);
    } catch (caught) {
      const error = caught as NodeJS.ErrnoException;
      if (error.code === "EAGAIN" || error.code === "EINTR") return 0;
      this.queued += data.length;
      this.settle(data.length, data.length, error);
      return data.length;
    }
    if (performance.now() - started > SLOW_WRITE_MS) this.slowWrite();
    if (written === data.length && this.dropped !== null) {
      this.queued += written;
      this.settle(written, 0, null);
    }
    return written;
  }

  /** Runs `action` once every byte queued before it is written (a rotation). */
  schedule(action: () => void): void {
    this.queue.push(action);
    this.pump();
  }

  /** Resolves once everything queued so far is written. */
  flushed(): Promise<void> {
    if (!this.writing && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /** Writes what is queued, then closes the file. */
  async close(): Promise<void> {
    await this.flushed();
    this.closeSync();
  }

  /**
   * Writes what is queued. A write is done at once while writes are quick (a page-cache
   * write of a read's worth takes tens of microseconds, and doing it in place costs far less
   * than a hand-off to the thread pool); one that took long (a slow disk, dirty-page
   * throttling) sends this file's writes to the thread pool for a while, so that the daemon
   * stalls at most once per spell.
   */
  private pump(): void {
    if (this.writing || this.pumping) return;
    this.pumping = true;
    try {
      for (;;) {
        while (typeof this.queue[0] === "function")
          this.runAction(this.queue.shift() as () => void);
        if (this.queue.length === 0) {
          for (const resolve of this.idle.splice(0)) resolve();
          return;
        }
        const { batch, bytes } = this.takeBatch();
        if (!this.ready()) {
          this.finished(batch, bytes);
          this.settle(bytes, bytes, null);
          continue;
        }
        if (!this.inPlace || performance.now() < this.asyncUntil) {
          this.writeAsync(batch, bytes);
          return;
        }
        const started = performance.now();
        let written = 0;
        let error: NodeJS.ErrnoException | null = null;
        try {
          written = writevSync(this.fd, batch);
        } catch (caught) {
          error = caught as NodeJS.ErrnoException;
        }
        if (performance.now() - started > SLOW_WRITE_MS) this.slowWrite();
        if (!this.wrote(batch, bytes, written, error)) return;
      }
    } finally {
      this.pumping = false;
    }
  }

  /** A write in place was slow: the file's writes go to the thread pool for a spell. */
  private slowWrite(): void {
    this.spellBegan = performance.now();
    this.asyncUntil = this.spellBegan + ASYNC_SPELL_MS;
    this.quick = 0;
  }

  private takeBatch(): { batch: Buffer[]; bytes: number } {
    const batch: Buffer[] = [];
    let bytes = 0;
    while (
      this.queue.length > 0 &&
      typeof this.queue[0] !== "function" &&
      batch.length < BATCH_BUFFERS &&
      bytes < BATCH_BYTES
    ) {
      const buffer = this.queue.shift() as Buffer;
      batch.push(buffer);
      bytes += buffer.length;
    }
    return { batch, bytes };
  }

  private writeAsync(batch: Buffer[], bytes: number): void {
    this.writing = true;
    const started = performance.now();
    writev(this.fd, batch, (error, written) => {
      this.writing = false;
      // Quick: within the bound of a write in place, plus a millisecond per MiB of the batch.
      const now = performance.now();
      if (now - started > SLOW_WRITE_MS + bytes / (1 << 20)) this.quick = 0;
      else if (++this.quick >= QUICK_TO_RETURN && now - this.spellBegan >= MIN_SPELL_MS)
        this.asyncUntil = 0;
      if (this.wrote(batch, bytes, written, error)) this.pump();
    });
  }

  /** Takes a write's outcome; false when the batch waits to be tried again. */
  private wrote(
    batch: Buffer[],
    bytes: number,
    written: number,
    error: NodeJS.ErrnoException | null,
  ): boolean {
    if (error && (error.code === "EAGAIN" || error.code === "EINTR")) {
      // A full non-blocking pipe (circusd's stdout): the same bytes again in a moment.
      this.queue.unshift(...batch);
      this.writing = true;
      setTimeout(() => {
        this.writing = false;
        this.pump();
      }, RETRY_MS);
      return false;
    }
    if (!error && written < bytes) {
      // A short write (a signal, a full disk half-way): the rest goes first next time.
      this.queue.unshift(...remainder(batch, written));
      this.queued -= written;
      this.finished(batch, written);
      return true;
    }
    this.finished(batch, bytes);
    this.settle(bytes, error ? bytes : 0, error);
    return true;
  }

  /** Whether the file can take a write now: open, and still the file at `path` when watched. */
  private ready(): boolean {
    if (this.path === null) return true;
    if (this.options.watch && this.fd >= 0 && this.moved()) this.closeSync();
    if (this.fd >= 0) return true;
    try {
      this.openSync();
      return true;
    } catch (error) {
      this.report(error as Error);
      return false;
    }
  }

  private moved(): boolean {
    try {
      const stat = statSync(this.path as string);
      return stat.ino !== this.ino || stat.dev !== this.dev;
    } catch {
      return true;
    }
  }

  private settle(bytes: number, lost: number, error: Error | null): void {
    this.queued -= bytes;
    if (error) this.report(error);
    if (lost > 0) this.dropped = (this.dropped ?? 0) + lost;
    else if (this.dropped !== null) {
      logger.info(
        `${this.label}: writing to ${this.where()} again; ${this.dropped} bytes were lost`,
      );
      this.dropped = null;
    }
    if (this.queued <= LOW_WATER) for (const resolve of this.waiters.splice(0)) resolve();
  }

  /** Logs the first error of a failing spell only: a full disk must not flood the log. */
  private report(error: Error): void {
    if (this.dropped !== null) return;
    this.dropped = 0;
    logger.error(
      `${this.label}: cannot write to ${this.where()}: ${error.message}; ` +
        "output is dropped until it can",
    );
  }

  private runAction(action: () => void): void {
    try {
      action();
    } catch (error) {
      logger.error(`${this.label}: ${(error as Error).message}`);
    }
  }

  private where(): string {
    return this.path ?? `fd ${this.fd}`;
  }
}

/** The buffers of `batch` past its first `written` bytes. */
function remainder(batch: Buffer[], written: number): Buffer[] {
  const rest: Buffer[] = [];
  let skip = written;
  for (const buffer of batch) {
    if (skip >= buffer.length) {
      skip -= buffer.length;
      continue;
    }
    rest.push(skip > 0 ? buffer.subarray(skip) : buffer);
    skip = 0;
  }
  return rest;
}
