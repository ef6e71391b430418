/**
 * The handlers of Python's `logging` and `logging.handlers` that a Circus logging
 * configuration can name: StreamHandler, FileHandler, WatchedFileHandler,
 * RotatingFileHandler, TimedRotatingFileHandler, SysLogHandler and NullHandler.
 *
 * A handler never throws into the code that logs: a failed write is reported once on stderr
 * (as Python's "--- Logging error ---") and the line is dropped. Writes to files are
 * synchronous (no line is lost at exit); syslog datagrams are sent without ever blocking.
 */
import dgram from "node:dgram";
import {
  closeSync,
  existsSync,
  fstatSync,
  openSync,
  readdirSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
  type Stats,
} from "node:fs";
import { isIP } from "node:net";
import { constants as osConstants } from "node:os";
import path from "node:path";
import { native } from "../sys/native.js";
import { Formatter } from "./formatter.js";
import { CRITICAL, DEBUG, ERROR, INFO, NOTSET, WARNING, type LogRecord } from "./record.js";
import { strftime } from "./strftime.js";

/** The formatter of a handler that was given none: `%(message)s`, as Python. */
const DEFAULT_FORMATTER = new Formatter();

const EAGAIN = osConstants.errno.EAGAIN;

/** Never notified: Atomics.wait on it just sleeps. */
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** A short wait without leaving the call (for a full pipe). */
function pause(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

/** Writes the whole text to fd, waiting a little (at most ~100 ms) on a full non-blocking fd. */
function writeAll(fd: number, text: string): void {
  let data = Buffer.from(text, "utf8");
  let waits = 0;
  while (data.length > 0) {
    try {
      const n = writeSync(fd, data);
      data = data.subarray(n);
    } catch (error) {
      if (
        (error as NodeJS.ErrnoException).errno === -EAGAIN ||
        (error as NodeJS.ErrnoException).code === "EAGAIN"
      ) {
        if (++waits > 100) throw error;
        pause(1);
        continue;
      }
      throw error;
    }
  }
}

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
      writeAll(this.stream === "stdout" ? 1 : 2, line);
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
    this.fd = openSync(this.filename, this.mode);
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
    writeAll(this.fd!, line);
    this.size += Buffer.byteLength(line);
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
    if (this.backupCount > 0) {
      for (let i = this.backupCount - 1; i > 0; i--) {
        const sfn = `${this.filename}.${i}`;
        const dfn = `${this.filename}.${i + 1}`;
        if (existsSync(sfn)) {
          if (existsSync(dfn)) unlinkSync(dfn);
          renameSync(sfn, dfn);
        }
      }
      const dfn = `${this.filename}.1`;
      if (existsSync(dfn)) unlinkSync(dfn);
      if (existsSync(this.filename)) renameSync(this.filename, dfn);
    }
    if (!this.delay) this.open();
  }

  protected override emit(record: LogRecord): void {
    const line = `${this.format(record)}\n`;
    if (this.shouldRollover(line)) this.doRollover();
    this.write(line);
  }
}

const DAY = 86_400;

/** Whether local time is in daylight saving time at `seconds` (Python's tm_isdst). */
function isDst(seconds: number): boolean {
  const date = new Date(seconds * 1000);
  const year = date.getFullYear();
  const standard = Math.max(
    new Date(year, 0, 1).getTimezoneOffset(),
    new Date(year, 6, 1).getTimezoneOffset(),
  );
  return date.getTimezoneOffset() < standard;
}

const DAILY = { unit: DAY, suffix: "%Y-%m-%d", extMatch: /^\d{4}-\d{2}-\d{2}(\.\w+)?$/ };

/** Python's reading of each fixed `when`: seconds per interval, the backups' date suffix. */
const ROLLOVER_UNITS: Record<string, { unit: number; suffix: string; extMatch: RegExp }> = {
  S: {
    unit: 1,
    suffix: "%Y-%m-%d_%H-%M-%S",
    extMatch: /^\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2}(\.\w+)?$/,
  },
  M: { unit: 60, suffix: "%Y-%m-%d_%H-%M", extMatch: /^\d{4}-\d{2}-\d{2}_\d{2}-\d{2}(\.\w+)?$/ },
  H: { unit: 3600, suffix: "%Y-%m-%d_%H", extMatch: /^\d{4}-\d{2}-\d{2}_\d{2}(\.\w+)?$/ },
  D: DAILY,
  MIDNIGHT: DAILY,
};

/** `logging.handlers.TimedRotatingFileHandler`: a new file every interval (or at midnight). */
export class TimedRotatingFileHandler extends FileHandler {
  readonly when: string;
  private readonly seconds: number;
  private readonly suffix: string;
  private readonly extMatch: RegExp;
  private readonly dayOfWeek: number;
  private rolloverAt: number;

  /** Python's reading of `when`; throws an Error saying what is wrong. */
  private static parseWhen(when: string): {
    unit: number;
    suffix: string;
    extMatch: RegExp;
    dayOfWeek: number;
  } {
    const w = when.toUpperCase();
    const fixed = Object.hasOwn(ROLLOVER_UNITS, w) ? ROLLOVER_UNITS[w] : undefined;
    if (fixed) return { ...fixed, dayOfWeek: 0 };
    if (w.startsWith("W")) {
      if (!/^W[0-6]$/.test(w)) {
        throw new Error(
          `weekly rollover needs a day from 0 to 6 (0 is Monday), as W0; got ${JSON.stringify(when)}`,
        );
      }
      return { ...DAILY, unit: DAY * 7, dayOfWeek: Number(w[1]) };
    }
    throw new Error(`expected S, M, H, D, MIDNIGHT or W0-W6, got ${JSON.stringify(when)}`);
  }

  /** Throws an Error for a bad `when`, before creating the file. */
  constructor(
    filename: string,
    when = "h",
    interval = 1,
    readonly backupCount = 0,
    delay = false,
    readonly utc = false,
  ) {
    const spec = TimedRotatingFileHandler.parseWhen(when);
    super(filename, "a", delay);
    this.when = when.toUpperCase();
    this.suffix = spec.suffix;
    this.extMatch = spec.extMatch;
    this.dayOfWeek = spec.dayOfWeek;
    const unit = spec.unit;
    this.seconds = unit * interval;
    let t: number;
    try {
      t = Math.floor(statSync(this.filename).mtimeMs / 1000);
    } catch {
      t = Math.floor(Date.now() / 1000);
    }
    this.rolloverAt = this.computeRollover(t);
  }

  private computeRollover(currentTime: number): number {
    let result = currentTime + this.seconds;
    if (this.when === "MIDNIGHT" || this.when.startsWith("W")) {
      const d = new Date(currentTime * 1000);
      const hour = this.utc ? d.getUTCHours() : d.getHours();
      const minute = this.utc ? d.getUTCMinutes() : d.getMinutes();
      const second = this.utc ? d.getUTCSeconds() : d.getSeconds();
      let day = ((this.utc ? d.getUTCDay() : d.getDay()) + 6) % 7; // Monday = 0
      let r = DAY - ((hour * 60 + minute) * 60 + second);
      if (r < 0) {
        r += DAY;
        day = (day + 1) % 7;
      }
      result = currentTime + r;
      if (this.when.startsWith("W") && day !== this.dayOfWeek) {
        const wait = day < this.dayOfWeek ? this.dayOfWeek - day : 6 - day + this.dayOfWeek + 1;
        let next = result + wait * DAY;
        if (!this.utc) {
          const dstNow = isDst(currentTime);
          if (dstNow !== isDst(next)) next += dstNow ? 3600 : -3600;
        }
        result = next;
      }
    }
    return result;
  }

  private filesToDelete(): string[] {
    const dir = path.dirname(this.filename);
    const prefix = `${path.basename(this.filename)}.`;
    const found = readdirSync(dir)
      .filter((f) => f.startsWith(prefix) && this.extMatch.test(f.slice(prefix.length)))
      .map((f) => path.join(dir, f));
    if (found.length < this.backupCount) return [];
    found.sort();
    return found.slice(0, found.length - this.backupCount);
  }

  doRollover(): void {
    this.closeFile();
    const currentTime = Math.floor(Date.now() / 1000);
    let t = this.rolloverAt - this.seconds;
    if (!this.utc) {
      const dstNow = isDst(currentTime);
      if (dstNow !== isDst(t)) t += dstNow ? 3600 : -3600;
    }
    const dfn = `${this.filename}.${strftime(this.suffix, new Date(t * 1000), this.utc)}`;
    if (existsSync(dfn)) unlinkSync(dfn);
    if (existsSync(this.filename)) renameSync(this.filename, dfn);
    if (this.backupCount > 0) for (const old of this.filesToDelete()) unlinkSync(old);
    if (!this.delay) this.open();
    let next = this.computeRollover(currentTime);
    while (next <= currentTime) next += this.seconds;
    if ((this.when === "MIDNIGHT" || this.when.startsWith("W")) && !this.utc) {
      const dstNow = isDst(currentTime);
      if (dstNow !== isDst(next)) next += dstNow ? 3600 : -3600;
    }
    this.rolloverAt = next;
  }

  protected override emit(record: LogRecord): void {
    if (Math.floor(Date.now() / 1000) >= this.rolloverAt) this.doRollover();
    super.emit(record);
  }
}

/** `logging.NullHandler`. */
export class NullHandler extends Handler {
  protected emit(): void {}
}

/** Python's SysLogHandler.facility_names. */
export const FACILITIES: Record<string, number> = {
  auth: 4,
  authpriv: 10,
  console: 14,
  cron: 9,
  daemon: 3,
  ftp: 11,
  kern: 0,
  lpr: 6,
  mail: 2,
  news: 7,
  ntp: 12,
  security: 13,
  "solaris-cron": 15,
  syslog: 5,
  user: 1,
  uucp: 8,
  local0: 16,
  local1: 17,
  local2: 18,
  local3: 19,
  local4: 20,
  local5: 21,
  local6: 22,
  local7: 23,
};

/** The syslog severity of a level, as Python's SysLogHandler.mapPriority. */
function severity(levelno: number): number {
  switch (levelno) {
    case DEBUG:
      return 7;
    case INFO:
      return 6;
    case WARNING:
      return 4;
    case ERROR:
      return 3;
    case CRITICAL:
      return 2;
    default:
      return 4; // "warning", Python's fallback for other levels
  }
}

/** Where SysLogHandler sends: a UDP (host, port) or a local unix socket path. */
export type SyslogAddress = { host: string; port: number } | string;

/**
 * `logging.handlers.SysLogHandler`: `<PRI>message\0` datagrams, over UDP to (host, port) or
 * to a local unix socket such as /dev/log. Call and await {@link open} before use.
 */
export class SysLogHandler extends Handler {
  private udp: dgram.Socket | null = null;
  private fd = -1;
  readonly facility: number;

  constructor(
    readonly address: SyslogAddress = { host: "localhost", port: 514 },
    facility: number = FACILITIES.user!,
  ) {
    super();
    this.facility = facility;
  }

  /** Resolves the host and connects (UDP), or connects to the unix socket; throws when it cannot. */
  async open(): Promise<void> {
    if (typeof this.address === "string") {
      this.fd = native().unixDgramOpen(this.address);
      return;
    }
    const { host, port } = this.address;
    const { lookup } = await import("node:dns/promises");
    const family = isIP(host) || (await lookup(host)).family;
    const socket = dgram.createSocket(family === 6 ? "udp6" : "udp4");
    // A syslog server that is down answers with ICMP errors: never let them surface.
    socket.on("error", () => undefined);
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.connect(port, host, () => {
        socket.off("error", reject);
        resolve();
      });
    });
    socket.unref();
    this.udp = socket;
  }

  /** The datagram Python would send for the record. */
  encode(record: LogRecord): Buffer {
    const pri = (this.facility << 3) | severity(record.levelno);
    return Buffer.from(`<${pri}>${this.format(record)}\0`, "utf8");
  }

  protected emit(record: LogRecord): void {
    const data = this.encode(record);
    if (this.udp) {
      // Connected: the datagram goes to the kernel at once; errors are dropped.
      this.udp.send(data, () => undefined);
      return;
    }
    // After a failed reconnection, each line tries again: logging resumes with syslogd.
    if (this.fd < 0) this.fd = native().unixDgramOpen(this.address as string);
    try {
      native().unixDgramSend(this.fd, data);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).errno === EAGAIN) throw error;
      // syslogd restarted: reconnect once, as Python does.
      this.closeFd();
      this.fd = native().unixDgramOpen(this.address as string);
      native().unixDgramSend(this.fd, data);
    }
  }

  private closeFd(): void {
    if (this.fd >= 0) {
      try {
        closeSync(this.fd);
      } catch {
        // already closed
      }
      this.fd = -1;
    }
  }

  override close(): void {
    this.closeFd();
    try {
      this.udp?.close();
    } catch {
      // already closed
    }
    this.udp = null;
  }
}
