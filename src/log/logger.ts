/**
 * The daemon's logger. Every layer logs through the {@link logger} singleton, which is the
 * `circus` logger of Python's logging tree (see hierarchy.ts): by default its lines go to the
 * root logger's handler, stdout, in Circus's shape:
 * `2026-11-23 08:39:29 circus[2813] [INFO] msg`. circusd reconfigures the tree from
 * `loglevel`, `logoutput` and `loggerconfig` (see config.ts).
 */
import { writeSync } from "node:fs";
import { Formatter } from "./formatter.js";
import { Handler, SinkHandler, StreamHandler, type LineSink } from "./handlers.js";
import { hierarchy, LoggerNode, setLastResort } from "./hierarchy.js";
import { CRITICAL, DEBUG, ERROR, INFO, WARNING, makeRecord } from "./record.js";
import { compileStrftime } from "../python/strftime.js";

export const LOG_LEVELS = ["debug", "info", "warning", "error", "critical"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const RANK: Record<LogLevel, number> = {
  debug: DEBUG,
  info: INFO,
  warning: WARNING,
  error: ERROR,
  critical: CRITICAL,
};

/** The level name of a Python level number (the nearest at or above it). */
function nameOfRank(rank: number): LogLevel {
  if (rank <= DEBUG) return "debug";
  if (rank <= INFO) return "info";
  if (rank <= WARNING) return "warning";
  if (rank <= ERROR) return "error";
  return "critical";
}

/** Python's level number of a level name. */
export function levelRank(level: LogLevel): number {
  return RANK[level];
}

/** Parses a level as Circus accepts it (`INFO`, `warn`, ...); null when unknown. */
export function parseLogLevel(text: string): LogLevel | null {
  const lower = text.trim().toLowerCase();
  if (lower === "warn") return "warning";
  if (lower === "fatal") return "critical";
  return (LOG_LEVELS as readonly string[]).includes(lower) ? (lower as LogLevel) : null;
}

/** Circus's line format and date format (circus/util.py LOG_FMT, LOG_DATE_FMT). */
export const CIRCUS_LOG_FORMAT = "%(asctime)s %(name)s[%(process)d] [%(levelname)s] %(message)s";
export const CIRCUS_DATE_FORMAT = "%Y-%m-%d %H:%M:%S";
/** The date format Circus uses for syslog (LOG_DATE_SYSLOG_FMT). */
export const CIRCUS_SYSLOG_DATE_FORMAT = "%b %d %H:%M:%S";

/** A new formatter printing Circus's default lines. */
export function circusFormatter(datefmt = CIRCUS_DATE_FORMAT): Formatter {
  return new Formatter(CIRCUS_LOG_FORMAT, datefmt);
}

const formatDefaultTime = compileStrftime(CIRCUS_DATE_FORMAT);

/** `2026-11-23 08:39:29` in local time, as Python's logging asctime with Circus's datefmt. */
export function formatTime(date = new Date()): string {
  return formatDefaultTime(date);
}

/** Where log lines go (the library API). */
export type LogSink = LineSink;

/** Writes to circusd's stdout, synchronously so that no line is lost at exit. */
const stdoutSink: LogSink = {
  write(line) {
    try {
      writeSync(1, line);
    } catch {
      // stdout closed (daemon whose terminal went away): nothing to log to.
    }
  },
};

function sinkHandler(sink: LogSink): Handler {
  const handler = new SinkHandler(sink);
  handler.formatter = circusFormatter();
  return handler;
}

/**
 * A logger: `circus` in the shared tree for the {@link logger} singleton; a standalone one
 * (its own sink and level, no parent) when built with `new Logger(sink, level, name)`.
 */
export class Logger {
  private readonly node: LoggerNode;

  constructor(sink: LogSink = stdoutSink, level: LogLevel = "info", name = "circus") {
    this.node = new LoggerNode(name, null);
    this.node.level = RANK[level];
    this.node.handlers = [sinkHandler(sink)];
  }

  /** The logger of that name in the shared tree. */
  static named(name: string): Logger {
    const logger = Object.create(Logger.prototype) as Logger;
    (logger as unknown as { node: LoggerNode }).node = hierarchy.get(name);
    return logger;
  }

  get name(): string {
    return this.node.name;
  }

  /** The effective level: this logger's own, else its parents'. */
  get level(): LogLevel {
    return nameOfRank(this.node.effectiveLevel());
  }
  /** Sets this logger's own level. */
  set level(level: LogLevel) {
    this.node.level = RANK[level];
  }

  /**
   * Sends later lines to `sink` only, in Circus's line format, closing the handlers used so
   * far (for the shared `circus` logger: the whole tree's).
   */
  setSink(sink: LogSink): void {
    const handler = sinkHandler(sink);
    if (this.node.parent === null) {
      for (const h of this.node.handlers)
        if (!(h instanceof SinkHandler && h.sink === sink)) h.close();
      this.node.handlers = [handler];
      return;
    }
    const old = hierarchy.handlers();
    for (const node of hierarchy.all()) {
      node.handlers = [];
      node.propagate = true;
      node.disabled = false;
    }
    hierarchy.root.handlers = [handler];
    for (const h of old) if (!(h instanceof SinkHandler && h.sink === sink)) h.close();
  }

  /** Whether a line of that level would be written, to skip building costly messages. */
  enabled(level: LogLevel): boolean {
    return this.node.isEnabledFor(RANK[level]);
  }

  /** Logs at a level; never throws (a failing handler reports on stderr). */
  log(level: LogLevel, message: string): void {
    const rank = RANK[level];
    if (!this.node.isEnabledFor(rank)) return;
    try {
      this.node.callHandlers(makeRecord(this.node.name, rank, message));
    } catch {
      // Handlers catch their own errors; this is only a last guard for callers.
    }
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

// Until circusd configures logging: INFO and above, Circus's lines on stdout.
{
  const handler = new StreamHandler("stdout");
  handler.formatter = circusFormatter();
  hierarchy.root.level = INFO;
  hierarchy.root.handlers = [handler];
  setLastResort(Object.assign(new StreamHandler("stderr"), { level: WARNING }));
}

/** The logger every layer shares (`circus`); circusd configures it at startup. */
export const logger = Logger.named("circus");
