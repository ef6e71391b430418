/**
 * Reads a watcher's process pipes and hands their output to the watcher's streams, to its
 * ring of recent output and to whoever follows it live. Output is cut at line ends, so that
 * the processes sharing a stream never interleave mid-line; a stream that asks to wait
 * pauses the pipe, so that a slow sink slows the child and never grows the daemon.
 */
import type { Socket } from "node:net";
import { logger } from "../log/logger.js";
import { readPipe } from "../sys/pipe-reader.js";
import type { HostedOutput } from "../sys/spawn.js";
import { OutputRing } from "./output-ring.js";
import { isLending, take, type OutputStream, type StreamData } from "./types.js";

const NEWLINE = 10;
/** A line longer than this is handed on in pieces (the carry must stay bounded). */
const MAX_CARRY = 64 * 1024;
/** An unfinished line is handed on after this many ms without its end (a prompt, dots). */
const CARRY_MS = 250;

export type PipeName = "stdout" | "stderr";

/** Called with every piece of output (the live tail). */
export type OutputListener = (data: StreamData) => void;

/** The output side of one watcher. */
export class Redirector {
  readonly ring: OutputRing;
  /** Set by whoever follows the output live (the publisher); null when nobody does. */
  listener: OutputListener | null = null;
  private readonly streams: Record<PipeName, OutputStream | null> = { stdout: null, stderr: null };
  private readonly readers = new Set<PipeReader>();
  /** Pipes read per name: one alone needs no cutting at line ends. */
  private readonly piped: Record<PipeName, number> = { stdout: 0, stderr: 0 };
  private readonly failed = new WeakSet<OutputStream>();
  private readonly ended = new Set<() => void>();

  constructor(readonly watcher: string) {
    this.ring = new OutputRing(watcher);
  }

  /** Whether several processes' pipes feed the stream of that name (lines must stay whole). */
  shared(name: PipeName): boolean {
    return this.piped[name] > 1;
  }

  stream(name: PipeName): OutputStream | null {
    return this.streams[name];
  }

  /** Sends later output of that pipe to `stream`; returns the previous one. */
  setStream(name: PipeName, stream: OutputStream | null): OutputStream | null {
    const previous = this.streams[name];
    this.streams[name] = stream;
    return previous;
  }

  /** Starts reading one pipe of a process (the read end's fd, which the reader then owns). */
  attach(pid: number, name: PipeName, fd: number): void {
    const reader = new PipeReader(this, pid, name, fd);
    this.readers.add(reader);
    this.piped[name]++;
    reader.pipe.once("close", () => {
      reader.finish();
      this.piped[name]--;
      this.readers.delete(reader);
      if (this.readers.size === 0) for (const done of this.ended) done();
    });
  }

  /**
   * Follows the output of a process the kernel hosts: its stdout and stderr, as two feeds
   * (each counted as a pipe, so that processes sharing a stream stay whole-line). Returns a
   * function that ends both (the process ended, or circusd leaves).
   */
  follow(pid: number, output: HostedOutput): () => void {
    const feeds = {
      stdout: new FeedReader(this, pid, "stdout"),
      stderr: new FeedReader(this, pid, "stderr"),
    };
    this.piped.stdout++;
    this.piped.stderr++;
    let ended = false;
    output.follow(async (name, data, time) => {
      if (ended) return;
      await feeds[name].push(data, time);
      await this.streams[name]?.flushed?.();
    });
    return () => {
      if (ended) return;
      ended = true;
      feeds.stdout.finish();
      feeds.stderr.finish();
      this.piped.stdout--;
      this.piped.stderr--;
    };
  }

  /**
   * Resolves once every pipe has been read to its end, so that a process's last bytes reach
   * the stream before it is closed. A pipe still open after `timeoutMs` (a grandchild holds
   * it) is closed.
   */
  async drain(timeoutMs = 2000): Promise<void> {
    if (this.readers.size === 0) return;
    let done!: () => void;
    const ended = new Promise<void>((resolve) => (done = resolve));
    this.ended.add(done);
    const timer = setTimeout(done, timeoutMs);
    await ended;
    clearTimeout(timer);
    this.ended.delete(done);
    for (const reader of [...this.readers]) reader.destroy();
  }

  /**
   * Hands one piece on. `lent`: its bytes are valid during the call only, and whoever keeps
   * them keeps a copy. When the stream asks the pipe to wait, `wait` is called with the promise
   * to wait for. Returns whether anything kept `data.data` itself (never when lent).
   */
  deliver(data: StreamData, lent = false, wait?: (until: Promise<void>) => void): boolean {
    this.ring.push(data);
    // What a follower or a user's stream keeps: the data itself, or one copy of lent bytes.
    let keepable: StreamData | null = null;
    const keep = () => (keepable ??= lent ? { ...data, data: Buffer.from(data.data) } : data);
    let kept = !lent && this.listener !== null;
    this.listener?.(keep());
    const stream = this.streams[data.name];
    if (!stream) return kept;
    try {
      let result: Promise<void> | boolean | void;
      if (isLending(stream)) {
        // Lent even when it could be kept: a stream of ours copies what must wait into memory
        // it reuses, so that the read buffer takes the next read instead of a fresh one.
        result = stream[take](data, true);
      } else {
        // A stream of the user's may keep what it is given.
        result = stream.write(keep());
        kept = !lent;
      }
      if (result instanceof Promise) wait?.(result.catch((error) => this.fail(stream, error)));
      return kept;
    } catch (error) {
      this.fail(stream, error);
      return !lent;
    }
  }

  /** A stream that throws loses that piece; said once per stream, not once per piece. */
  private fail(stream: OutputStream, error: unknown): void {
    if (this.failed.has(stream)) return;
    this.failed.add(stream);
    logger.error(`${this.watcher}: output stream failed: ${(error as Error)?.message ?? error}`);
  }
}

/**
 * One output of one process, cut at line ends: the pieces come from a pipe (PipeReader) or
 * from the process kernel (FeedReader), each with the time it was read.
 */
abstract class LineCutter {
  private carry: Buffer | null = null;
  private carrySince = 0;
  /** Epoch ms of the carry's first piece (the time its line was written). */
  private carryTime = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    protected readonly redirector: Redirector,
    private readonly pid: number,
    private readonly name: PipeName,
  ) {}

  /** Takes one read; returns whether the chunk itself was kept (see ChunkHandler). */
  protected cut(chunk: Buffer, lent: boolean, time: number | undefined): boolean {
    // A process alone on its stream cannot be interleaved with: its output goes on as read,
    // which spares cutting every read in two when lines straddle reads.
    if (!this.redirector.shared(this.name)) {
      this.flushCarry();
      return this.emit(chunk, lent, time);
    }
    let rest = chunk;
    if (this.carry) {
      const end = rest.indexOf(NEWLINE);
      if (end < 0) {
        this.carry = Buffer.concat([this.carry, rest]);
        if (this.carry.length >= MAX_CARRY) this.flushCarry();
        return false;
      }
      const line = Buffer.concat([this.carry, rest.subarray(0, end + 1)]);
      this.carry = null;
      this.emit(line, false, time === undefined ? undefined : this.carryTime);
      rest = rest.subarray(end + 1);
    }
    const last = rest.lastIndexOf(NEWLINE);
    if (last + 1 < rest.length) {
      // Copied: the read's buffer may take the next read.
      this.carry = Buffer.from(rest.subarray(last + 1));
      this.carrySince = Date.now();
      this.carryTime = time ?? this.carrySince;
      this.armTimer();
    }
    return last >= 0 ? this.emit(rest.subarray(0, last + 1), lent, time) : false;
  }

  /** Hands bytes on; returns whether they were kept (see {@link Redirector.deliver}). */
  private emit(bytes: Buffer, lent: boolean, time: number | undefined): boolean {
    const data: StreamData = {
      pid: this.pid,
      name: this.name,
      data: bytes,
      watcher: this.redirector.watcher,
    };
    if (time !== undefined) data.time = time;
    return this.redirector.deliver(data, lent, this.waitFor);
  }

  /** The stream asks to wait: no more output is taken until `until` settles. */
  protected abstract readonly waitFor: (until: Promise<void>) => void;

  private flushCarry(): void {
    const carry = this.carry;
    this.carry = null;
    if (carry) this.emit(carry, false, this.carryTime);
  }

  private armTimer(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.carry) return;
      if (Date.now() - this.carrySince < CARRY_MS) return this.armTimer();
      // After the loop's I/O, not before: when circusd itself was held up (a busy machine, a
      // long GC), timers run first on waking, while the rest of the line may already wait
      // in the pipe. Read it first; flush only a line that is still unfinished then.
      const since = this.carrySince;
      setImmediate(() => {
        if (this.carry && this.carrySince === since) this.flushCarry();
      });
    }, CARRY_MS);
    this.timer.unref();
  }

  /** The output ended: its unfinished last line is handed on as it is. */
  finish(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.flushCarry();
  }
}

/** One pipe of one process. */
class PipeReader extends LineCutter {
  private waiting = 0;
  readonly pipe: Socket;

  constructor(redirector: Redirector, pid: number, name: PipeName, fd: number) {
    super(redirector, pid, name);
    this.pipe = readPipe(fd, (chunk, lent) => this.cut(chunk, lent, undefined));
    this.pipe.on("end", () => this.finish());
    this.pipe.on("error", () => this.finish());
  }

  /** The pipe is not read until `until` settles. */
  protected readonly waitFor = (until: Promise<void>): void => {
    if (this.waiting++ === 0) this.pipe.pause();
    void until.then(() => {
      if (--this.waiting === 0) this.pipe.resume();
    });
  };

  destroy(): void {
    this.finish();
    this.pipe.destroy();
  }
}

/**
 * One output of a process the kernel hosts: pieces come with the time the kernel read them,
 * and a stream that asks to wait holds the kernel's acknowledgement (and so its next pieces).
 */
export class FeedReader extends LineCutter {
  private holds: Promise<void>[] = [];

  /** Takes a piece; resolves when the streams may take the next (then it is acknowledged). */
  push(data: Buffer, time: number): Promise<void> | undefined {
    this.cut(data, false, time);
    if (this.holds.length === 0) return undefined;
    const holds = this.holds;
    this.holds = [];
    return Promise.all(holds).then(() => {});
  }

  protected readonly waitFor = (until: Promise<void>): void => {
    this.holds.push(until);
  };
}
