import { appendFileSync, openSync, writeSync, closeSync } from "node:fs";

export const LOG_LEVELS = ["debug", "info", "warning", "error", "critical"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const RANK: Record<LogLevel, number> = {
  debug: 10,
  info: 20,
  warning: 30,
  error: 40,
  critical: 50,
};

/** Parses a level as Circus accepts it (`INFO`, `warn`, ...); null when unknown. */
export function parseLogLevel(text: string): LogLevel | null {
  const lower = text.trim().toLowerCase();
  if (lower === "warn") return "warning";
  if (lower === "fatal") return "critical";
  return (LOG_LEVELS as readonly string[]).includes(lower) ? (lower as LogLevel) : null;
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** `2026-11-23 08:39:29` in local time, as Python's logging asctime with Circus's datefmt. */
export function formatTime(date = new Date()): string {
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  );
}

/** Where log lines go. */
export interface LogSink {
  write(line: string): void;
  close?(): void;
}

/** Writes to a file by path, appending; reopen() follows an outside rotation. */
export class FileSink implements LogSink {
  private fd: number;
  constructor(readonly file: string) {
    this.fd = openSync(file, "a");
  }
  write(line: string): void {
    writeSync(this.fd, line);
  }
  reopen(): void {
    closeSync(this.fd);
    this.fd = openSync(this.file, "a");
  }
  close(): void {
    closeSync(this.fd);
  }
}

/** Writes to circusd's stdout, synchronously so that no line is lost at exit. */
export const stdoutSink: LogSink = {
  write(line) {
    try {
      writeSync(1, line);
    } catch {
      // stdout closed (daemon whose terminal went away): nothing to log to.
    }
  },
};

/**
 * The daemon's logger: lines in Circus's shape, `2026-11-23 08:39:29 circus[2813] [INFO] msg`.
 */
export class Logger {
  level: LogLevel;
  constructor(
    private sink: LogSink = stdoutSink,
    level: LogLevel = "info",
    readonly name = "circus",
  ) {
    this.level = level;
  }

  /** Sends later lines to another sink, closing the previous one. */
  setSink(sink: LogSink): void {
    if (this.sink !== sink) this.sink.close?.();
    this.sink = sink;
  }

  /** Whether a line of that level would be written, to skip building costly messages. */
  enabled(level: LogLevel): boolean {
    return RANK[level] >= RANK[this.level];
  }

  log(level: LogLevel, message: string): void {
    if (RANK[level] < RANK[this.level]) return;
    const tag = level.toUpperCase();
    this.sink.write(`${formatTime()} ${this.name}[${process.pid}] [${tag}] ${message}\n`);
  }
  debug(message: string): void {
    this.log("debug", message);
  }
  info(message: string): void {
    this.log("info", message);
  }
  warning(message: string): void {
    this.log("warning", message);
  }
  error(message: string): void {
    this.log("error", message);
  }
  critical(message: string): void {
    this.log("critical", message);
  }
}

/** Opens the sink for a `logoutput` value: `-` is stdout, anything else a file. */
export function openSink(output: string): LogSink {
  if (output === "-" || output === "") return stdoutSink;
  appendFileSync(output, "");
  return new FileSink(output);
}

/** The logger every layer shares; circusd sets its level and sink at startup. */
export const logger = new Logger();
