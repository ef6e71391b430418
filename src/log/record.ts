/**
 * Log records and levels in the shape of Python's `logging.LogRecord`, so that formats written
 * for Circus (`%(asctime)s %(name)s[%(process)d] [%(levelname)s] %(message)s`) print the same.
 */
import path from "node:path";
import { PY_EMPTY_TUPLE, PyFloat } from "../python/repr.js";

/** Python's level numbers. */
export const DEBUG = 10;
export const INFO = 20;
export const WARNING = 30;
export const ERROR = 40;
export const CRITICAL = 50;
export const NOTSET = 0;

// The aliases come first, so that LEVEL_NAMES keeps the names Python prints.
const NAME_TO_LEVEL: Record<string, number> = {
  FATAL: CRITICAL,
  CRITICAL,
  ERROR,
  WARN: WARNING,
  WARNING,
  INFO,
  DEBUG,
  NOTSET,
};
const LEVEL_NAMES = new Map(Object.entries(NAME_TO_LEVEL).map(([name, n]) => [n, name]));

/** `logging.getLevelName`: the name of a level number (`Level 15` for others). */
function levelName(levelno: number): string {
  return LEVEL_NAMES.get(levelno) ?? `Level ${levelno}`;
}

/**
 * A level as logging configurations give it: a name (`DEBUG`, also accepted in lower case)
 * or a number. Null when it is neither.
 */
export function levelNumber(value: unknown): number | null {
  if (typeof value === "number" && Number.isInteger(value) && value >= 0) return value;
  if (typeof value !== "string") return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  return NAME_TO_LEVEL[text.toUpperCase()] ?? null;
}

/** When the logging machinery was loaded, for `relativeCreated`. */
const START_TIME = Date.now();

/** The script circusd runs as, for `pathname`, `filename` and `module`. */
const scriptPath = path.resolve(process.argv[1] ?? "circusd");

/** One log line before formatting: the attributes of Python's LogRecord. */
export interface LogRecord {
  name: string;
  msg: string;
  levelno: number;
  levelname: string;
  /** Seconds since the epoch, with a fraction. */
  created: number;
  /** Milliseconds part of `created`, a float as in Python (`123.0`). */
  msecs: number;
  /** Milliseconds since the logging machinery was loaded. */
  relativeCreated: number;
  process: number;
  /** The same instant as `created`, for the date formats. */
  date: Date;
}

export function makeRecord(name: string, levelno: number, msg: string): LogRecord {
  const now = Date.now();
  return {
    name,
    msg,
    levelno,
    levelname: levelName(levelno),
    created: now / 1000,
    msecs: now % 1000,
    relativeCreated: now - START_TIME,
    process: process.pid,
    date: new Date(now),
  };
}

const scriptName = path.basename(scriptPath);
const scriptModule = path.basename(scriptPath, path.extname(scriptPath));

/**
 * How to read each attribute of Python's LogRecord from a record, by name. `message` is the
 * message as Python's formatter sets it; `asctime` is the formatter's own (see
 * {@link RECORD_FIELDS}).
 */
const FIELDS: Record<string, (record: LogRecord) => unknown> = {
  name: (r) => r.name,
  msg: (r) => r.msg,
  message: (r) => r.msg,
  levelname: (r) => r.levelname,
  levelno: (r) => r.levelno,
  created: (r) => new PyFloat(r.created),
  msecs: (r) => new PyFloat(r.msecs),
  relativeCreated: (r) => new PyFloat(r.relativeCreated),
  process: (r) => r.process,
  processName: () => "MainProcess",
  thread: () => process.pid,
  threadName: () => "MainThread",
  taskName: () => null,
  pathname: () => scriptPath,
  filename: () => scriptName,
  module: () => scriptModule,
  funcName: () => "<module>",
  lineno: () => 0,
  args: () => PY_EMPTY_TUPLE,
  exc_info: () => null,
  exc_text: () => null,
  stack_info: () => null,
};

/**
 * The reader of a record attribute as a format asks for it, or undefined when Python's
 * LogRecord has no such attribute. `asctime` is set by the formatter.
 */
export function recordField(key: string): ((record: LogRecord) => unknown) | undefined {
  return Object.hasOwn(FIELDS, key) ? FIELDS[key] : undefined;
}

/** The names {@link recordField} knows, plus `asctime`, which the formatter adds. */
export const RECORD_FIELDS = new Set([...Object.keys(FIELDS), "asctime"]);
