/**
 * FileStream and WatchedFileStream: a watcher's output in a file, as Circus's
 * `circus.stream.file_stream` writes it, with rotation that never drops or repeats a byte.
 */
import path from "node:path";
import { shiftNumberedBackups } from "../python/backups.js";
import { compileStrftime } from "../python/strftime.js";
import { FileAppender } from "./file-appender.js";
import { LinePrefixer } from "./line-prefix.js";
import { StreamOptions } from "./options.js";
import { StreamOptionError, take, type LendingStream, type StreamData } from "./types.js";

const NEWLINE = 10;

/** The common part: the file (opened at construction, so a bad path fails at startup). */
export abstract class FileStreamBase implements LendingStream {
  static readonly options: readonly string[] = ["filename", "time_format"];
  readonly filename: string;
  protected readonly appender: FileAppender;
  /** Bytes in the current file, counting what is queued for it. */
  protected size = 0;
  private readonly prefixer: LinePrefixer | null;

  constructor(options: Record<string, string>, watch = false) {
    const opts = new StreamOptions(options);
    const filename = opts.string("filename");
    if (filename === undefined) throw new StreamOptionError("filename", "a file stream needs one");
    this.filename = path.resolve(filename);
    const timeFormat = opts.string("time_format");
    if (timeFormat !== undefined) {
      const stamp = compileStrftime(timeFormat);
      // Circus's shape: `2026-11-23 10:00:00 [1234] | line`.
      this.prefixer = new LinePrefixer(
        (d) => `${stamp(new Date(d.time ?? Date.now()))} [${d.pid}] | `,
      );
    } else {
      this.prefixer = null;
    }
    this.appender = new FileAppender(this.filename, { watch });
    try {
      this.size = this.appender.openSync();
    } catch (error) {
      throw new StreamOptionError(
        "filename",
        `cannot open ${this.filename}: ${(error as Error).message}`,
      );
    }
  }

  write(data: StreamData): Promise<void> | undefined {
    const result = this[take](data, false);
    return result instanceof Promise ? result : undefined;
  }

  [take](data: StreamData, lent: boolean): Promise<void> | boolean {
    if (this.appender.label === "output") this.appender.label = `${data.watcher} ${data.name}`;
    if (!this.prefixer) return this.append(data.data, lent);
    // The prefixed lines are a buffer of the prefixer's, lent until the next piece.
    const result = this.append(this.prefixer.applyLent(data), true);
    return result instanceof Promise ? result : false;
  }

  /**
   * Appends bytes (lent: see {@link LendingStream}); a promise when the caller should wait,
   * else whether `bytes` itself is kept.
   */
  protected append(bytes: Buffer, lent: boolean): Promise<void> | boolean {
    this.size += bytes.length;
    return this.appender.add(bytes, lent);
  }

  /** Reopens the file after a stop closed it. */
  open(): void {
    if (!this.appender.isOpen) this.size = this.appender.openSync();
  }

  flushed(): Promise<void> {
    return this.appender.flushed();
  }

  close(): Promise<void> {
    return this.appender.close();
  }
}

/**
 * Writes to `filename`; with `max_bytes`, starts a new file before one would grow past it,
 * cutting at the last line end that fits, and keeps `backup_count` old ones as `.1`, `.2`...
 * (with no backups the file starts over empty).
 */
export class FileStream extends FileStreamBase {
  static override readonly options: readonly string[] = [
    ...FileStreamBase.options,
    "max_bytes",
    "backup_count",
  ];
  readonly maxBytes: number;
  readonly backupCount: number;

  constructor(options: Record<string, string>) {
    const opts = new StreamOptions(options);
    const maxBytes = opts.integer("max_bytes", 0);
    const backupCount = opts.integer("backup_count", 0);
    super(options);
    this.maxBytes = maxBytes;
    this.backupCount = backupCount;
  }

  protected override append(bytes: Buffer, lent: boolean): Promise<void> | boolean {
    if (this.maxBytes <= 0) return super.append(bytes, lent);
    let rest = bytes;
    let kept = false;
    while (this.size + rest.length > this.maxBytes) {
      const room = this.maxBytes - this.size;
      let cut = room > 0 ? rest.lastIndexOf(NEWLINE, room - 1) + 1 : 0;
      // A line longer than a whole file: split it rather than grow the file.
      if (cut === 0 && this.size === 0) cut = room;
      if (cut > 0) {
        const result = super.append(rest.subarray(0, cut), lent);
        kept ||= result instanceof Promise ? !lent : result;
      }
      this.appender.schedule(() => this.rollover());
      this.size = 0;
      rest = rest.subarray(cut);
    }
    if (rest.length === 0) return kept;
    const result = super.append(rest, lent);
    return result instanceof Promise ? result : kept || result;
  }

  /** app.log.N-1 -> app.log.N ... app.log -> app.log.1, then a fresh app.log. */
  private rollover(): void {
    this.appender.closeSync();
    if (this.backupCount > 0) {
      shiftNumberedBackups(this.filename, this.backupCount);
      this.appender.openSync("a");
    } else {
      this.appender.openSync("w");
    }
  }
}

/**
 * Writes to `filename` and leaves rotation to an outside tool (logrotate): when the file is
 * moved or deleted, the next write goes to a fresh file at `filename`.
 */
export class WatchedFileStream extends FileStreamBase {
  constructor(options: Record<string, string>) {
    super(options, true);
  }
}
