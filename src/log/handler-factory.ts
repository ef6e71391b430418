/**
 * Handlers, formatters and levels built from the settings of a logging configuration, for
 * both formats (dictConfig's mappings and fileConfig's `args`/`kwargs`): Python's keyword
 * arguments of each handler class, checked, with errors naming the key at fault.
 */
import { PyName } from "../python/literal.js";
import { Formatter, FormatError, type FormatStyle } from "./formatter.js";
import {
  FileHandler,
  NullHandler,
  RotatingFileHandler,
  StreamHandler,
  WatchedFileHandler,
  type Handler,
} from "./handlers.js";
import { fail, LoggingConfigError, systemMessage } from "./plan.js";
import { levelNumber } from "./record.js";
import { FACILITIES, facilityNumber, SysLogHandler, type SyslogAddress } from "./syslog-handler.js";
import { TimedRotatingFileHandler } from "./timed-rotating-handler.js";

const words = (text: string): string[] => text.split(" ");
const FILE_PARAMETERS = words("filename mode encoding delay errors");

/** Python's positional parameters of each handler class, for the INI format's `args`. */
export const PARAMETERS = {
  StreamHandler: ["stream"],
  FileHandler: FILE_PARAMETERS,
  WatchedFileHandler: FILE_PARAMETERS,
  RotatingFileHandler: words("filename mode maxBytes backupCount encoding delay errors"),
  TimedRotatingFileHandler: words(
    "filename when interval backupCount encoding delay utc atTime errors",
  ),
  SysLogHandler: ["address", "facility", "socktype"],
  NullHandler: [],
} satisfies Record<string, string[]>;

/** A handler class a configuration can name. */
export type HandlerClass = keyof typeof PARAMETERS;
const HANDLER_CLASSES = Object.keys(PARAMETERS) as HandlerClass[];

/** The class a `class` setting names, with or without a `logging.` prefix. */
export function handlerClass(name: unknown, where: string): HandlerClass {
  if (typeof name !== "string")
    fail(`${where}: expected a class name such as logging.StreamHandler`);
  const bare = name.trim().replace(/^(logging\.handlers\.|logging\.|handlers\.)/, "");
  if ((HANDLER_CLASSES as string[]).includes(bare)) return bare as HandlerClass;
  return fail(
    `${where}: unknown handler class ${JSON.stringify(name)} (known: ${HANDLER_CLASSES.join(", ")}, with or without a logging. or logging.handlers. prefix)`,
  );
}

/** The name a stream or socktype reference gives: `sys.stdout` for ext://sys.stdout. */
function refName(value: unknown): string {
  if (value instanceof PyName) return value.name;
  return typeof value === "string" ? value.replace(/^ext:\/\//, "") : "";
}

/**
 * A setting's value in an error message. JSON's quotes, since the value may come from JSON
 * or YAML as well as from Python literals; None as Python prints it, like python/repr.ts.
 */
export function show(value: unknown): string {
  if (value instanceof PyName) return value.name;
  if (value === null || value === undefined) return "None";
  return JSON.stringify(value);
}

/** Reads one handler's keyword arguments, with errors naming the key. */
class Arguments {
  constructor(
    readonly cls: HandlerClass,
    readonly kwargs: Record<string, unknown>,
    readonly at: (key: string) => string,
  ) {}

  has(key: string): boolean {
    return this.kwargs[key] !== undefined && this.kwargs[key] !== null;
  }

  str(key: string, fallback?: string): string {
    const v = this.kwargs[key];
    if (!this.has(key)) {
      if (fallback !== undefined) return fallback;
      fail(`${this.at(key)}: missing (${this.cls} needs a ${key})`);
    }
    if (typeof v !== "string") fail(`${this.at(key)}: expected a string, got ${show(v)}`);
    if (/^(ext|cfg):\/\//.test(v))
      fail(
        `${this.at(key)}: ${JSON.stringify(v)}: only ext://sys.stdout and ext://sys.stderr references are supported (as a stream)`,
      );
    return v;
  }

  int(key: string, fallback: number, min: number): number {
    const v = this.kwargs[key];
    if (!this.has(key)) return fallback;
    if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
      fail(`${this.at(key)}: expected an integer of at least ${min}, got ${show(v)}`);
    }
    return v;
  }

  bool(key: string): boolean {
    const v = this.kwargs[key];
    if (!this.has(key)) return false;
    if (typeof v === "boolean") return v;
    if (v === 0 || v === 1) return v === 1;
    return fail(`${this.at(key)}: expected true or false, got ${show(v)}`);
  }

  mode(): "a" | "w" {
    const m = this.str("mode", "a");
    if (m !== "a" && m !== "w")
      fail(`${this.at("mode")}: expected "a" (append) or "w" (truncate), got ${show(m)}`);
    return m;
  }

  /** Builds a file handler; an error opening the file is reported on `key`. */
  open<T>(build: () => T, key = "filename"): T {
    try {
      return build();
    } catch (error) {
      if (error instanceof LoggingConfigError) throw error;
      const file = typeof this.kwargs["filename"] === "string" ? ` ${this.kwargs["filename"]}` : "";
      if ((error as NodeJS.ErrnoException).code)
        fail(`${this.at(key)}: cannot open${file}: ${systemMessage(error)}`);
      return fail(`${this.at(key)}: ${(error as Error).message}`);
    }
  }
}

function stream(a: Arguments): Handler {
  const v = a.kwargs["stream"];
  if (v === undefined || v === null) return new StreamHandler("stderr");
  const name = refName(v);
  if (name === "sys.stdout") return new StreamHandler("stdout");
  if (name === "sys.stderr") return new StreamHandler("stderr");
  return fail(`${a.at("stream")}: expected ext://sys.stdout or ext://sys.stderr, got ${show(v)}`);
}

function syslogAddress(a: Arguments): SyslogAddress {
  const v = a.kwargs["address"];
  if (typeof v === "string") return v;
  if (Array.isArray(v) && v.length === 2 && typeof v[0] === "string" && Number.isInteger(v[1])) {
    const port = v[1] as number;
    if (port < 1 || port > 65535) fail(`${a.at("address")}: port ${port} is not in 1-65535`);
    return { host: v[0], port };
  }
  if (v !== undefined && v !== null) {
    fail(`${a.at("address")}: expected [host, port] or the path of a unix socket, got ${show(v)}`);
  }
  return { host: "localhost", port: 514 };
}

function syslogFacility(a: Arguments): number {
  const f = a.kwargs["facility"];
  if (typeof f === "string") {
    const number = facilityNumber(f);
    if (number === undefined) {
      fail(
        `${a.at("facility")}: unknown facility ${show(f)} (known: ${Object.keys(FACILITIES).join(", ")})`,
      );
    }
    return number;
  }
  if (typeof f === "number") {
    if (!Number.isInteger(f) || f < 0 || f > 23)
      fail(`${a.at("facility")}: expected 0 to 23, got ${f}`);
    return f;
  }
  if (f !== undefined && f !== null) {
    fail(`${a.at("facility")}: expected a facility name such as local0, got ${show(f)}`);
  }
  return FACILITIES.user!;
}

function syslog(a: Arguments): Handler {
  const address = syslogAddress(a);
  const facility = syslogFacility(a);
  const s = a.kwargs["socktype"];
  if (s !== undefined && s !== null && refName(s) !== "socket.SOCK_DGRAM") {
    fail(`${a.at("socktype")}: only datagrams (socket.SOCK_DGRAM) are supported, got ${show(s)}`);
  }
  return new SysLogHandler(address, facility);
}

/** Each class built from its checked arguments. */
const BUILDERS: Record<HandlerClass, (a: Arguments) => Handler> = {
  StreamHandler: stream,
  FileHandler: (a) => {
    const [filename, mode, delay] = [a.str("filename"), a.mode(), a.bool("delay")];
    return a.open(() => new FileHandler(filename, mode, delay));
  },
  WatchedFileHandler: (a) => {
    const [filename, mode, delay] = [a.str("filename"), a.mode(), a.bool("delay")];
    return a.open(() => new WatchedFileHandler(filename, mode, delay));
  },
  RotatingFileHandler: (a) => {
    const [filename, mode] = [a.str("filename"), a.mode()];
    const maxBytes = a.int("maxBytes", 0, 0);
    const backupCount = a.int("backupCount", 0, 0);
    const delay = a.bool("delay");
    return a.open(() => new RotatingFileHandler(filename, mode, maxBytes, backupCount, delay));
  },
  TimedRotatingFileHandler: (a) => {
    const [filename, when] = [a.str("filename"), a.str("when", "h")];
    const interval = a.int("interval", 1, 1);
    const backupCount = a.int("backupCount", 0, 0);
    const [delay, utc] = [a.bool("delay"), a.bool("utc")];
    return a.open(
      () => new TimedRotatingFileHandler(filename, when, interval, backupCount, delay, utc),
      "when",
    );
  },
  SysLogHandler: syslog,
  NullHandler: () => new NullHandler(),
};

/** Builds a handler from Python's keyword arguments; `at(key)` names a key in errors. */
export function buildHandler(
  cls: HandlerClass,
  kwargs: Record<string, unknown>,
  at: (key: string) => string,
): Handler {
  const allowed: string[] = PARAMETERS[cls];
  for (const key of Object.keys(kwargs)) {
    if (!allowed.includes(key)) {
      fail(
        `${at(key)}: ${cls} takes no ${JSON.stringify(key)} argument${allowed.length ? ` (it takes ${allowed.join(", ")})` : ""}`,
      );
    }
  }
  const a = new Arguments(cls, kwargs, at);
  if (a.has("encoding")) {
    const e = a.str("encoding");
    if (!/^utf[-_]?8$/i.test(e)) fail(`${at("encoding")}: only utf-8 is supported, got ${show(e)}`);
  }
  if (a.has("errors")) fail(`${at("errors")}: not supported (lines are written as utf-8)`);
  if (a.has("atTime")) fail(`${at("atTime")}: not supported (rollover happens at midnight)`);
  return BUILDERS[cls](a);
}

/** A level setting (a name or a number) as a Python level number. */
export function level(value: unknown, where: string): number {
  const n = levelNumber(value);
  if (n === null) {
    fail(
      `${where}: unknown level ${show(value)} (expected DEBUG, INFO, WARNING, ERROR, CRITICAL or NOTSET)`,
    );
  }
  return n;
}

/** A formatter from its settings; `at(key)` names a setting in errors. */
export function formatter(
  fmt: unknown,
  datefmt: unknown,
  style: unknown,
  at: (key: string) => string,
): Formatter {
  if (fmt !== undefined && fmt !== null && typeof fmt !== "string")
    fail(`${at("format")}: expected a string`);
  if (datefmt !== undefined && datefmt !== null && typeof datefmt !== "string") {
    fail(`${at("datefmt")}: expected a string`);
  }
  const st = style ?? "%";
  if (st !== "%" && st !== "{" && st !== "$")
    fail(`${at("style")}: expected %, { or $, got ${show(st)}`);
  try {
    return new Formatter(
      (fmt as string | null) ?? null,
      (datefmt as string | null) ?? null,
      st as FormatStyle,
    );
  } catch (error) {
    if (error instanceof FormatError)
      fail(`${at("format")}: ${error.message.replace(/^format /, "")}`);
    throw error;
  }
}

/** Refuses a formatter class other than logging.Formatter. */
export function formatterClass(value: unknown, where: string): void {
  if (value === undefined || value === null || value === "") return;
  if (value !== "logging.Formatter" && value !== "Formatter") {
    fail(`${where}: only logging.Formatter is supported, got ${show(value)}`);
  }
}
