/**
 * The handlers of Python's `logging` and `logging.handlers` that write lines to a stream or
 * a file: StreamHandler, FileHandler, WatchedFileHandler, RotatingFileHandler and
 * NullHandler (TimedRotatingFileHandler and SysLogHandler have modules of their own).
 *
 * A handler never throws into the code that logs: a failed write is reported once on stderr
 * (as Python's "--- Logging error ---") and the line is dropped. Writes to files are
 * synchronous, so that no line is lost at exit.
 */
import { closeSync, fstatSync, openSync, statSync, writeSync, type Stats } from "node:fs";
import { notWorldWritable } from "../sys/files.js";
import { writeAllSync } from "../sys/write-all.js";
import path from "node:path";
import { shiftNumberedBackups } from "../python/backups.js";
import { Formatter } from "./formatter.js";
import { NOTSET, type LogRecord } from "./record.js";

/** The formatter of a handler that was given none: `%(message)s`, as Python. */
const DEFAULT_FORMATTER = new Formatter();

/** Python's `logging.Handler`: a level, a formatter, and where lines go (`emit`). */
export abstract class Handler {
  level = NOTSET;
  formatter: Formatter | null = null;
  /** The name in the configuration, for error messages. */
  name = "";
  private failing = false;

  /** Emits the record when its level passes the handler's; never throws. */
  handle(record: LogRecord): void {
    if (record.levelno < this.level) return;
    try {
      this.emit(record);
      this.failing = false;
    } catch (error) {
      this.handleError(error);
    }
  }

  format(record: LogRecord): string {
    return (this.formatter ?? DEFAULT_FORMATTER).format(record);
  }

  protected abstract emit(record: LogRecord): void;

  /** Reports a failed emit once on stderr (until one succeeds again); never throws. */
  protected handleError(error: unknown): void {
    if (this.failing) return;
    this.failing = true;
    const what = this.name ? `handler ${JSON.stringify(this.name)}` : this.constructor.name;
    try {
      writeSync(
        2,
        `circusd: logging error (${what}): ${(error as Error)?.message ?? String(error)}\n`,
      );
    } catch {
      // stderr is gone too: nothing more to do.
    }
  }

  /** Follows a log file moved away by logrotate (SIGHUP); only file handlers do something. */
  reopen(): void {}

  close(): void {}
}

/** Where StreamHandler writes: circusd's stdout or stderr. */
export type StreamName = "stdout" | "stderr";

/** `logging.StreamHandler`: a line per record on stdout or stderr (Python's default). */
export class StreamHandler extends Handler {
  constructor(readonly stream: StreamName = "stderr") {
    super();
  }
  protected emit(record: LogRecord): void {
    const line = `${this.format(record)}\n`;
    try {
      writeAllSync(this.stream === "stdout" ? 1 : 2, line);
    } catch (error) {
      // A closed stdout (a daemon whose terminal went away) has nowhere to report to.
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EPIPE" || code === "EBADF") return;
      throw error;
    }
  }
}

/** A destination that takes whole lines (the library API's `logger.setSink`). */
export interface LineSink {
  write(line: string): void;
  close?(): void;
  reopen?(): void;
}

/** Sends formatted lines (with their newline) to a {@link LineSink}. */
export class SinkHandler extends Handler {
  constructor(readonly sink: LineSink) {
    super();
  }
  protected emit(record: LogRecord): void {
    this.sink.write(`${this.format(record)}\n`);
  }
  override reopen(): void {
    this.sink.reopen?.();
  }
  override close(): void {
    this.sink.close?.();
  }
}

/** `logging.FileHandler`: appends (mode `a`) or truncates first (mode `w`). */
export class FileHandler extends Handler {
  readonly filename: string;
  protected fd: number | null = null;
  /** Bytes in the file, where the next line goes. */
  protected size = 0;

  constructor(
    filename: string,
    protected mode: "a" | "w" = "a",
    readonly delay = false,
  ) {
    super();
    this.filename = path.resolve(filename);
    if (!delay) this.open();
  }

  /** Opens the file; returns its stat, for subclasses that need more than the size. */
  protected open(): Stats {
    // Never world-writable, whatever the umask (0644 at most for a new file).
    this.fd = openSync(this.filename, this.mode, 0o644);
    notWorldWritable(this.fd);
    const st = fstatSync(this.fd);
    this.size = st.size;
    return st;
  }

  protected closeFile(): void {
    if (this.fd !== null) {
      try {
        closeSync(this.fd);
      } catch {
        // already closed
      }
      this.fd = null;
    }
  }

  protected write(line: string): void {
    if (this.fd === null) this.open();
    this.size += writeAllSync(this.fd!, line);
  }

  protected emit(record: LogRecord): void {
    this.write(`${this.format(record)}\n`);
  }

  override close(): void {
    this.closeFile();
  }
}

/**
 * `logging.handlers.WatchedFileHandler`: before each line, checks that the path still names
 * the open file, and reopens it when logrotate moved or removed it.
 */
export class WatchedFileHandler extends FileHandler {
  private dev = -1;
  private ino = -1;

  protected override open(): Stats {
    const st = super.open();
    this.dev = st.dev;
    this.ino = st.ino;
    return st;
  }

  private reopenIfNeeded(): void {
    let st = null;
    try {
      st = statSync(this.filename);
    } catch {
      // moved away and not recreated yet
    }
    if (st && st.dev === this.dev && st.ino === this.ino) return;
    if (this.fd === null) return;
    this.closeFile();
    this.mode = "a";
    this.open();
  }

  protected override emit(record: LogRecord): void {
    this.reopenIfNeeded();
    super.emit(record);
  }

  override reopen(): void {
    try {
      this.reopenIfNeeded();
    } catch (error) {
      this.handleError(error);
    }
  }
}

/** `logging.handlers.RotatingFileHandler`: file, file.1, file.2 ... once maxBytes is reached. */
export class RotatingFileHandler extends FileHandler {
  constructor(
    filename: string,
    mode: "a" | "w" = "a",
    readonly maxBytes = 0,
    readonly backupCount = 0,
    delay = false,
  ) {
    super(filename, maxBytes > 0 ? "a" : mode, delay);
  }

  private shouldRollover(line: string): boolean {
    if (this.fd === null) this.open();
    if (this.maxBytes <= 0) return false;
    // Never roll an empty file over (a line longer than maxBytes would leave empty backups).
    if (this.size === 0) return false;
    if (this.size + Buffer.byteLength(line) < this.maxBytes) return false;
    // Never roll over anything other than a regular file (/dev/null, a fifo...): checked
    // last, so that only a line that would roll the file over costs a stat.
    try {
      return statSync(this.filename).isFile();
    } catch {
      return true; // does not exist: it will be created
    }
  }

  doRollover(): void {
    this.closeFile();
    if (this.backupCount > 0) shiftNumberedBackups(this.filename, this.backupCount);
    if (!this.delay) this.open();
  }

  protected override emit(record: LogRecord): void {
    const line = `${this.format(record)}\n`;
    if (this.shouldRollover(line)) this.doRollover();
    this.write(line);
  }
}

/** `logging.NullHandler`. */
export class NullHandler extends Handler {
  protected emit(): void {}
}
