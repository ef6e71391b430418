/**
 * Configuring the daemon's logging as Circus does (circus/util.py configure_logger):
 *
 * - the built-in configuration from `loglevel` and `logoutput` (`-`/`stdout`, a file
 *   watched for logrotate, `syslog://host[:port]?facility`, `syslog:///path/socket?facility`);
 * - or a `loggerconfig` file: `*.ini` in `logging.config.fileConfig` format, `*.json` and
 *   `*.yaml`/`*.yml` in `logging.config.dictConfig` shape.
 *
 * A configuration is built completely (files opened, syslog connected) before it replaces
 * the running one; a problem throws a {@link LoggingConfigError} whose message is one line
 * saying where (`handlers.logfile.class`, `[handler_logfile] args`) and what is wrong.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { Formatter, FormatError, type FormatStyle } from "./formatter.js";
import {
  FACILITIES,
  FileHandler,
  Handler,
  NullHandler,
  RotatingFileHandler,
  StreamHandler,
  SysLogHandler,
  TimedRotatingFileHandler,
  WatchedFileHandler,
  type SyslogAddress,
} from "./handlers.js";
import { hierarchy } from "./hierarchy.js";
import { parseIni, type IniFile } from "./ini.js";
import { CIRCUS_DATE_FORMAT, CIRCUS_SYSLOG_DATE_FORMAT, circusFormatter } from "./logger.js";
import { PyName, parsePyLiteral, type PyValue } from "./pyliteral.js";
import { NOTSET, WARNING, levelNumber } from "./record.js";

/** A logging setting circusd cannot use; the message is one line, without the option's name. */
export class LoggingConfigError extends Error {}

function fail(message: string): never {
  throw new LoggingConfigError(message.replace(/\s*\n\s*/g, " "));
}

/** `ENOENT: no such file or directory, open '/x'` -> `ENOENT: no such file or directory`. */
function systemMessage(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  if (e?.code && typeof e.message === "string") return e.message.replace(/, \w+ '.*'$/, "");
  return e?.message ?? String(error);
}

/** What a logging configuration sets up, before it replaces the running one. */
interface Plan {
  /** Every handler opened for the plan, closed should the plan fail. */
  handlers: Handler[];
  root: { level?: number; handlers?: Handler[] } | null;
  loggers: Map<string, { level?: number; handlers?: Handler[]; propagate?: boolean }>;
  disableExisting: boolean;
}

/** Replaces the running configuration with the plan, as a fresh Python process would get it. */
function apply(plan: Plan): void {
  const old = hierarchy.handlers();
  const root = hierarchy.root;
  root.level = WARNING;
  root.handlers = [];
  root.propagate = true;
  root.disabled = false;
  if (plan.root) {
    if (plan.root.level !== undefined) root.level = plan.root.level;
    root.handlers = plan.root.handlers ?? [];
  }
  const configured = [...plan.loggers.keys()];
  for (const node of hierarchy.all()) {
    node.level = NOTSET;
    node.handlers = [];
    node.propagate = true;
    node.disabled = false;
    const spec = plan.loggers.get(node.name);
    if (spec) continue;
    // Python disables the loggers that exist but are not configured, unless they are
    // children of configured ones (dictConfig and fileConfig's disable_existing_loggers).
    const isChild = configured.some((name) => node.name.startsWith(`${name}.`));
    if (plan.disableExisting && !isChild) node.disabled = true;
  }
  for (const [name, spec] of plan.loggers) {
    const node = hierarchy.get(name);
    if (spec.level !== undefined) node.level = spec.level;
    node.handlers = spec.handlers ?? [];
    if (spec.propagate !== undefined) node.propagate = spec.propagate;
  }
  const kept = new Set(plan.handlers);
  for (const handler of old) if (!kept.has(handler)) handler.close();
}

async function openAll(plan: Plan): Promise<void> {
  try {
    for (const handler of plan.handlers) {
      if (handler instanceof SysLogHandler) {
        try {
          await handler.open();
        } catch (error) {
          fail(
            `${handler.name ? `handler ${JSON.stringify(handler.name)}: ` : ""}cannot reach syslog at ${describeAddress(handler.address)}: ${systemMessage(error)}`,
          );
        }
      }
    }
  } catch (error) {
    for (const handler of plan.handlers) handler.close();
    throw error;
  }
}

function describeAddress(address: SyslogAddress): string {
  return typeof address === "string" ? address : `${address.host}:${address.port}`;
}

// ---------------------------------------------------------------------------
// The built-in configuration

/** The handler for a `logoutput` value (throws LoggingConfigError). */
function outputHandler(output: string): { handler: Handler; datefmt: string } {
  if (output === "-" || output === "stdout") {
    return { handler: new StreamHandler("stdout"), datefmt: CIRCUS_DATE_FORMAT };
  }
  if (output.startsWith("syslog://")) {
    let url: URL;
    try {
      url = new URL(output);
    } catch {
      fail(
        `bad syslog URL ${JSON.stringify(output)}: expected syslog://host[:port]?facility or syslog:///path/to/socket?facility`,
      );
    }
    const query = decodeURIComponent(url.search.replace(/^\?/, ""));
    const facility = query === "" ? "user" : query;
    if (!(facility in FACILITIES)) {
      fail(
        `unknown syslog facility ${JSON.stringify(facility)} in ${JSON.stringify(output)} (known: ${Object.keys(FACILITIES).join(", ")})`,
      );
    }
    let address: SyslogAddress;
    if (url.hostname) {
      const port = url.port ? Number(url.port) : 514;
      address = { host: url.hostname.replace(/^\[(.*)\]$/, "$1"), port };
    } else {
      const socketPath = decodeURIComponent(url.pathname);
      if (!socketPath || socketPath === "/") {
        fail(`syslog URL ${JSON.stringify(output)} names neither a host nor a socket path`);
      }
      address = socketPath;
    }
    return {
      handler: new SysLogHandler(address, FACILITIES[facility]!),
      datefmt: CIRCUS_SYSLOG_DATE_FORMAT,
    };
  }
  try {
    return { handler: new WatchedFileHandler(output), datefmt: CIRCUS_DATE_FORMAT };
  } catch (error) {
    fail(`cannot open ${output}: ${systemMessage(error)}`);
  }
}

/**
 * Circus's built-in configuration: the root logger at `level` (a Python level number)
 * with one handler for `output`, printing Circus's line format.
 */
export async function configureDefault(level: number, output: string): Promise<void> {
  const { handler, datefmt } = outputHandler(output);
  handler.formatter = circusFormatter(datefmt);
  const plan: Plan = {
    handlers: [handler],
    root: { level, handlers: [handler] },
    loggers: new Map(),
    disableExisting: false,
  };
  await openAll(plan);
  apply(plan);
}

// ---------------------------------------------------------------------------
// Handler classes, shared by the INI and the dict formats

const HANDLER_CLASSES = [
  "StreamHandler",
  "FileHandler",
  "WatchedFileHandler",
  "RotatingFileHandler",
  "TimedRotatingFileHandler",
  "SysLogHandler",
  "NullHandler",
] as const;
type HandlerClass = (typeof HANDLER_CLASSES)[number];

/** Python's positional parameters of each class, for the INI format's `args`. */
const PARAMETERS: Record<HandlerClass, string[]> = {
  StreamHandler: ["stream"],
  FileHandler: ["filename", "mode", "encoding", "delay", "errors"],
  WatchedFileHandler: ["filename", "mode", "encoding", "delay", "errors"],
  RotatingFileHandler: [
    "filename",
    "mode",
    "maxBytes",
    "backupCount",
    "encoding",
    "delay",
    "errors",
  ],
  TimedRotatingFileHandler: [
    "filename",
    "when",
    "interval",
    "backupCount",
    "encoding",
    "delay",
    "utc",
    "atTime",
    "errors",
  ],
  SysLogHandler: ["address", "facility", "socktype"],
  NullHandler: [],
};

function handlerClass(name: unknown, where: string): HandlerClass {
  if (typeof name !== "string")
    fail(`${where}: expected a class name such as logging.StreamHandler`);
  const bare = name.trim().replace(/^(logging\.handlers\.|logging\.|handlers\.)/, "");
  if ((HANDLER_CLASSES as readonly string[]).includes(bare)) return bare as HandlerClass;
  return fail(
    `${where}: unknown handler class ${JSON.stringify(name)} (known: ${HANDLER_CLASSES.join(", ")}, with or without a logging. or logging.handlers. prefix)`,
  );
}

/** The name a stream or socktype reference gives: `sys.stdout` for ext://sys.stdout. */
function refName(value: unknown): string {
  if (value instanceof PyName) return value.name;
  return typeof value === "string" ? value.replace(/^ext:\/\//, "") : "";
}

function show(value: unknown): string {
  if (value instanceof PyName) return value.name;
  if (value === null || value === undefined) return "None";
  return JSON.stringify(value);
}

/** Builds a handler from Python's keyword arguments; `at(key)` names a key in errors. */
function buildHandler(
  cls: HandlerClass,
  kwargs: Record<string, unknown>,
  at: (key: string) => string,
): Handler {
  const allowed = new Set(PARAMETERS[cls]);
  for (const key of Object.keys(kwargs)) {
    if (!allowed.has(key)) {
      fail(
        `${at(key)}: ${cls} takes no ${JSON.stringify(key)} argument${allowed.size ? ` (it takes ${[...allowed].join(", ")})` : ""}`,
      );
    }
  }
  const has = (key: string): boolean => kwargs[key] !== undefined && kwargs[key] !== null;
  const str = (key: string, fallback?: string): string => {
    const v = kwargs[key];
    if (!has(key)) {
      if (fallback !== undefined) return fallback;
      fail(`${at(key)}: missing (${cls} needs a ${key})`);
    }
    if (typeof v !== "string") fail(`${at(key)}: expected a string, got ${show(v)}`);
    if (/^(ext|cfg):\/\//.test(v))
      fail(
        `${at(key)}: ${JSON.stringify(v)}: only ext://sys.stdout and ext://sys.stderr references are supported (as a stream)`,
      );
    return v;
  };
  const int = (key: string, fallback: number, min: number): number => {
    const v = kwargs[key];
    if (!has(key)) return fallback;
    if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
      fail(`${at(key)}: expected an integer of at least ${min}, got ${show(v)}`);
    }
    return v;
  };
  const bool = (key: string): boolean => {
    const v = kwargs[key];
    if (!has(key)) return false;
    if (typeof v === "boolean") return v;
    if (v === 0 || v === 1) return v === 1;
    return fail(`${at(key)}: expected true or false, got ${show(v)}`);
  };
  const mode = (): "a" | "w" => {
    const m = str("mode", "a");
    if (m !== "a" && m !== "w")
      fail(`${at("mode")}: expected "a" (append) or "w" (truncate), got ${show(m)}`);
    return m;
  };
  if (has("encoding")) {
    const e = str("encoding");
    if (!/^utf[-_]?8$/i.test(e)) fail(`${at("encoding")}: only utf-8 is supported, got ${show(e)}`);
  }
  if (has("errors")) fail(`${at("errors")}: not supported (lines are written as utf-8)`);
  if (has("atTime")) fail(`${at("atTime")}: not supported (rollover happens at midnight)`);

  const open = <T>(build: () => T, key = "filename"): T => {
    try {
      return build();
    } catch (error) {
      if (error instanceof LoggingConfigError) throw error;
      const file = typeof kwargs["filename"] === "string" ? ` ${kwargs["filename"]}` : "";
      if ((error as NodeJS.ErrnoException).code)
        fail(`${at(key)}: cannot open${file}: ${systemMessage(error)}`);
      return fail(`${at(key)}: ${(error as Error).message}`);
    }
  };

  switch (cls) {
    case "StreamHandler": {
      const v = kwargs["stream"];
      if (v === undefined || v === null) return new StreamHandler("stderr");
      const name = refName(v);
      if (name === "sys.stdout") return new StreamHandler("stdout");
      if (name === "sys.stderr") return new StreamHandler("stderr");
      return fail(`${at("stream")}: expected ext://sys.stdout or ext://sys.stderr, got ${show(v)}`);
    }
    case "FileHandler": {
      const filename = str("filename");
      const m = mode();
      const delay = bool("delay");
      return open(() => new FileHandler(filename, m, delay));
    }
    case "WatchedFileHandler": {
      const filename = str("filename");
      const m = mode();
      const delay = bool("delay");
      return open(() => new WatchedFileHandler(filename, m, delay));
    }
    case "RotatingFileHandler": {
      const filename = str("filename");
      const m = mode();
      const maxBytes = int("maxBytes", 0, 0);
      const backupCount = int("backupCount", 0, 0);
      const delay = bool("delay");
      return open(() => new RotatingFileHandler(filename, m, maxBytes, backupCount, delay));
    }
    case "TimedRotatingFileHandler": {
      const filename = str("filename");
      const when = str("when", "h");
      const interval = int("interval", 1, 1);
      const backupCount = int("backupCount", 0, 0);
      const delay = bool("delay");
      const utc = bool("utc");
      return open(
        () => new TimedRotatingFileHandler(filename, when, interval, backupCount, delay, utc),
        "when",
      );
    }
    case "SysLogHandler": {
      const a = kwargs["address"];
      let address: SyslogAddress = { host: "localhost", port: 514 };
      if (typeof a === "string") address = a;
      else if (
        Array.isArray(a) &&
        a.length === 2 &&
        typeof a[0] === "string" &&
        Number.isInteger(a[1])
      ) {
        const port = a[1] as number;
        if (port < 1 || port > 65535) fail(`${at("address")}: port ${port} is not in 1-65535`);
        address = { host: a[0], port };
      } else if (a !== undefined && a !== null) {
        fail(
          `${at("address")}: expected [host, port] or the path of a unix socket, got ${show(a)}`,
        );
      }
      let facility: number = FACILITIES.user!;
      const f = kwargs["facility"];
      if (typeof f === "string") {
        if (!(f in FACILITIES)) {
          fail(
            `${at("facility")}: unknown facility ${show(f)} (known: ${Object.keys(FACILITIES).join(", ")})`,
          );
        }
        facility = FACILITIES[f]!;
      } else if (typeof f === "number") {
        if (!Number.isInteger(f) || f < 0 || f > 23)
          fail(`${at("facility")}: expected 0 to 23, got ${f}`);
        facility = f;
      } else if (f !== undefined && f !== null) {
        fail(`${at("facility")}: expected a facility name such as local0, got ${show(f)}`);
      }
      const s = kwargs["socktype"];
      if (s !== undefined && s !== null) {
        if (refName(s) !== "socket.SOCK_DGRAM") {
          fail(
            `${at("socktype")}: only datagrams (socket.SOCK_DGRAM) are supported, got ${show(s)}`,
          );
        }
      }
      return new SysLogHandler(address, facility);
    }
    case "NullHandler":
      return new NullHandler();
  }
}

function level(value: unknown, where: string): number {
  const n = levelNumber(value);
  if (n === null) {
    fail(
      `${where}: unknown level ${show(value)} (expected DEBUG, INFO, WARNING, ERROR, CRITICAL or NOTSET)`,
    );
  }
  return n;
}

function formatter(
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

function formatterClass(value: unknown, where: string): void {
  if (value === undefined || value === null || value === "") return;
  if (value !== "logging.Formatter" && value !== "Formatter") {
    fail(`${where}: only logging.Formatter is supported, got ${show(value)}`);
  }
}

// ---------------------------------------------------------------------------
// dictConfig (JSON, YAML)

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function checkKeys(obj: Record<string, unknown>, allowed: string[], where: string): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) {
      fail(
        `${where ? `${where}.` : ""}${key}: unknown key (expected one of: ${allowed.join(", ")})`,
      );
    }
  }
}

function noFilters(value: unknown, where: string): void {
  if (value === undefined || value === null) return;
  if (
    (Array.isArray(value) && value.length === 0) ||
    (isObject(value) && Object.keys(value).length === 0)
  )
    return;
  fail(`${where}: filters are not supported`);
}

function nameList(
  value: unknown,
  where: string,
  handlers: Map<string, Handler>,
  kind = "handlers",
): Handler[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
    fail(`${where}: expected a list of ${kind} names`);
  }
  return (value as string[]).map((name) => {
    const h = handlers.get(name);
    if (!h) fail(`${where}: no handler named ${JSON.stringify(name)} in handlers`);
    return h;
  });
}

function planFromDict(config: unknown): Plan {
  if (!isObject(config))
    fail("the file must hold a mapping (version, formatters, handlers, loggers, root)");
  checkKeys(
    config,
    [
      "version",
      "formatters",
      "filters",
      "handlers",
      "loggers",
      "root",
      "incremental",
      "disable_existing_loggers",
    ],
    "",
  );
  if (config["version"] === undefined) fail("version: missing (it must be 1)");
  if (config["version"] !== 1) fail(`version: must be 1, got ${show(config["version"])}`);
  if (config["incremental"] !== undefined && config["incremental"] !== false) {
    fail("incremental: only complete configurations are supported (incremental: false)");
  }
  noFilters(config["filters"], "filters");
  const dis = config["disable_existing_loggers"];
  if (dis !== undefined && typeof dis !== "boolean")
    fail("disable_existing_loggers: expected true or false");

  const section = (key: string): Record<string, unknown> => {
    const v = config[key];
    if (v === undefined || v === null) return {};
    if (!isObject(v)) fail(`${key}: expected a mapping of names to settings`);
    return v;
  };

  const formatters = new Map<string, Formatter>();
  for (const [name, spec] of Object.entries(section("formatters"))) {
    const where = `formatters.${name}`;
    if (!isObject(spec)) fail(`${where}: expected a mapping (format, datefmt, style)`);
    if ("()" in spec) fail(`${where}.(): custom formatter factories are not supported`);
    checkKeys(spec, ["format", "datefmt", "style", "class", "validate"], where);
    formatterClass(spec["class"], `${where}.class`);
    if (spec["validate"] !== undefined && typeof spec["validate"] !== "boolean") {
      fail(`${where}.validate: expected true or false`);
    }
    formatters.set(
      name,
      formatter(spec["format"], spec["datefmt"], spec["style"], (k) => `${where}.${k}`),
    );
  }

  const handlers = new Map<string, Handler>();
  const plan: Plan = {
    handlers: [],
    root: null,
    loggers: new Map(),
    disableExisting: dis !== false,
  };
  try {
    for (const [name, spec] of Object.entries(section("handlers"))) {
      const where = `handlers.${name}`;
      if (!isObject(spec)) fail(`${where}: expected a mapping (class, level, formatter, ...)`);
      if ("()" in spec) fail(`${where}.(): custom handler factories are not supported`);
      if ("." in spec) fail(`${where}..: handler attributes are not supported`);
      if (spec["class"] === undefined) fail(`${where}.class: missing`);
      const cls = handlerClass(spec["class"], `${where}.class`);
      noFilters(spec["filters"], `${where}.filters`);
      const { class: _c, level: lv, formatter: fmtName, filters: _f, ...kwargs } = spec;
      void _c;
      void _f;
      let fmt: Formatter | null = null;
      if (fmtName !== undefined && fmtName !== null) {
        if (typeof fmtName !== "string") fail(`${where}.formatter: expected a formatter name`);
        fmt = formatters.get(fmtName) ?? null;
        if (!fmt)
          fail(`${where}.formatter: no formatter named ${JSON.stringify(fmtName)} in formatters`);
      }
      const lvl = lv === undefined || lv === null ? NOTSET : level(lv, `${where}.level`);
      const handler = buildHandler(cls, kwargs, (k) => `${where}.${k}`);
      handler.name = name;
      handler.level = lvl;
      handler.formatter = fmt;
      plan.handlers.push(handler);
      handlers.set(name, handler);
    }

    const loggerSpec = (spec: unknown, where: string, isRoot: boolean) => {
      if (!isObject(spec))
        fail(`${where}: expected a mapping (level, handlers${isRoot ? "" : ", propagate"})`);
      checkKeys(
        spec,
        isRoot ? ["level", "handlers", "filters"] : ["level", "handlers", "propagate", "filters"],
        where,
      );
      noFilters(spec["filters"], `${where}.filters`);
      const out: { level?: number; handlers?: Handler[]; propagate?: boolean } = {
        handlers: nameList(spec["handlers"], `${where}.handlers`, handlers),
      };
      if (spec["level"] !== undefined && spec["level"] !== null)
        out.level = level(spec["level"], `${where}.level`);
      const p = spec["propagate"];
      if (p !== undefined && p !== null) {
        if (typeof p !== "boolean" && p !== 0 && p !== 1)
          fail(`${where}.propagate: expected true or false`);
        out.propagate = Boolean(p);
      }
      return out;
    };
    for (const [name, spec] of Object.entries(section("loggers"))) {
      if (name === "") {
        plan.root = loggerSpec(spec, "loggers.''", true);
        continue;
      }
      plan.loggers.set(name, loggerSpec(spec, `loggers.${name}`, false));
    }
    if (config["root"] !== undefined && config["root"] !== null) {
      plan.root = loggerSpec(config["root"], "root", true);
    }
  } catch (error) {
    for (const h of plan.handlers) h.close();
    throw error;
  }
  return plan;
}

// ---------------------------------------------------------------------------
// fileConfig (INI)

function keyList(ini: IniFile, section: string): string[] {
  if (!ini.has(section))
    fail(`[${section}] section missing (fileConfig needs [loggers], [handlers] and [formatters])`);
  const raw = ini.get(section, "keys");
  if (raw === undefined) fail(`[${section}] keys: missing`);
  if (raw.trim() === "") return [];
  const names = raw.split(",").map((s) => s.trim());
  if (names.some((n) => n === ""))
    fail(`[${section}] keys: an empty name in ${JSON.stringify(raw)}`);
  return names;
}

function checkIniKeys(ini: IniFile, section: string, allowed: string[]): void {
  const s = ini.sections.get(section);
  if (!s) return;
  // Options only there to be interpolated into others (`%(logdir)s`) are fine.
  const referenced = new Set<string>();
  for (const { value } of s.own.values()) {
    for (const m of value.matchAll(/%\(([^)]*)\)s/g)) referenced.add(m[1]!.toLowerCase());
  }
  for (const key of s.own.keys()) {
    if (!allowed.includes(key) && !referenced.has(key))
      fail(`[${section}] ${key}: unknown option (expected one of: ${allowed.join(", ")})`);
  }
}

function iniGet(ini: IniFile, section: string, key: string): string | undefined {
  try {
    return ini.get(section, key);
  } catch (error) {
    return fail((error as Error).message);
  }
}

function pyArgs(text: string, where: string): PyValue {
  try {
    return parsePyLiteral(text);
  } catch (error) {
    return fail(`${where}: ${(error as Error).message}`);
  }
}

function planFromIni(text: string): Plan {
  let ini: IniFile;
  try {
    ini = parseIni(text);
  } catch (error) {
    fail((error as Error).message);
  }
  const formatterNames = keyList(ini, "formatters");
  const handlerNames = keyList(ini, "handlers");
  const loggerNames = keyList(ini, "loggers");
  checkIniKeys(ini, "formatters", ["keys"]);
  checkIniKeys(ini, "handlers", ["keys"]);
  checkIniKeys(ini, "loggers", ["keys"]);

  const formatters = new Map<string, Formatter>();
  for (const name of formatterNames) {
    const sect = `formatter_${name}`;
    if (!ini.has(sect)) fail(`[${sect}] section missing (named in [formatters] keys)`);
    checkIniKeys(ini, sect, ["format", "datefmt", "style", "class", "validate", "defaults"]);
    if (ini.raw(sect, "defaults") !== undefined) fail(`[${sect}] defaults: not supported`);
    formatterClass(ini.raw(sect, "class"), `[${sect}] class`);
    formatters.set(
      name,
      formatter(
        ini.raw(sect, "format"),
        ini.raw(sect, "datefmt"),
        ini.raw(sect, "style") ?? "%",
        (k) => `[${sect}] ${k}`,
      ),
    );
  }

  const plan: Plan = { handlers: [], root: null, loggers: new Map(), disableExisting: true };
  const handlers = new Map<string, Handler>();
  try {
    for (const name of handlerNames) {
      const sect = `handler_${name}`;
      if (!ini.has(sect)) fail(`[${sect}] section missing (named in [handlers] keys)`);
      checkIniKeys(ini, sect, ["class", "level", "formatter", "args", "kwargs"]);
      const clsText = iniGet(ini, sect, "class");
      if (clsText === undefined) fail(`[${sect}] class: missing`);
      const cls = handlerClass(clsText, `[${sect}] class`);
      const args = pyArgs(iniGet(ini, sect, "args") ?? "()", `[${sect}] args`);
      const kw = pyArgs(iniGet(ini, sect, "kwargs") ?? "{}", `[${sect}] kwargs`);
      if (!Array.isArray(args)) fail(`[${sect}] args: expected a tuple such as ('file.log', 'a')`);
      if (Array.isArray(kw) || typeof kw !== "object" || kw === null || kw instanceof PyName) {
        fail(`[${sect}] kwargs: expected a dict such as {'maxBytes': 1048576}`);
      }
      const params = PARAMETERS[cls];
      if (args.length > params.length) {
        fail(
          `[${sect}] args: ${cls} takes at most ${params.length} arguments (${params.join(", ")}), got ${args.length}`,
        );
      }
      const kwargs: Record<string, unknown> = {};
      args.forEach((value, i) => (kwargs[params[i]!] = value));
      for (const [key, value] of Object.entries(kw)) {
        if (key in kwargs) fail(`[${sect}] kwargs: ${key} is already given in args`);
        kwargs[key] = value;
      }
      const handler = buildHandler(
        cls,
        kwargs,
        (k) => `[${sect}] ${Object.hasOwn(kw, k) ? "kwargs" : "args"} ${k}`,
      );
      handler.name = name;
      plan.handlers.push(handler);
      handlers.set(name, handler);
      const lv = iniGet(ini, sect, "level");
      if (lv !== undefined && lv.trim() !== "") handler.level = level(lv, `[${sect}] level`);
      const fmtName = (iniGet(ini, sect, "formatter") ?? "").trim();
      if (fmtName) {
        const fmt = formatters.get(fmtName);
        if (!fmt)
          fail(
            `[${sect}] formatter: no formatter named ${JSON.stringify(fmtName)} in [formatters] keys`,
          );
        handler.formatter = fmt;
      }
    }

    const handlerList = (sect: string): Handler[] => {
      const text = iniGet(ini, sect, "handlers");
      if (text === undefined) fail(`[${sect}] handlers: missing (it may be empty)`);
      if (text.trim() === "") return [];
      return text.split(",").map((n) => {
        const h = handlers.get(n.trim());
        if (!h)
          fail(
            `[${sect}] handlers: no handler named ${JSON.stringify(n.trim())} in [handlers] keys`,
          );
        return h;
      });
    };

    if (!loggerNames.includes("root")) fail("[loggers] keys: must include root");
    for (const name of loggerNames) {
      const sect = `logger_${name}`;
      if (!ini.has(sect)) fail(`[${sect}] section missing (named in [loggers] keys)`);
      if (name === "root") {
        checkIniKeys(ini, sect, ["level", "handlers"]);
        const root: { level?: number; handlers?: Handler[] } = { handlers: handlerList(sect) };
        const lv = iniGet(ini, sect, "level");
        if (lv !== undefined) root.level = level(lv, `[${sect}] level`);
        plan.root = root;
        continue;
      }
      checkIniKeys(ini, sect, ["level", "handlers", "propagate", "qualname"]);
      const qualname = iniGet(ini, sect, "qualname")?.trim();
      if (!qualname) fail(`[${sect}] qualname: missing (the logger's name, such as circus)`);
      const spec: { level?: number; handlers?: Handler[]; propagate?: boolean } = {
        handlers: handlerList(sect),
      };
      const lv = iniGet(ini, sect, "level");
      if (lv !== undefined) spec.level = level(lv, `[${sect}] level`);
      const prop = iniGet(ini, sect, "propagate")?.trim();
      if (prop === undefined) spec.propagate = true;
      else if (/^-?\d+$/.test(prop)) spec.propagate = Number(prop) !== 0;
      else if (/^(true|yes|on)$/i.test(prop)) spec.propagate = true;
      else if (/^(false|no|off)$/i.test(prop)) spec.propagate = false;
      else fail(`[${sect}] propagate: expected 0 or 1, got ${JSON.stringify(prop)}`);
      plan.loggers.set(qualname, spec);
    }
  } catch (error) {
    for (const h of plan.handlers) h.close();
    throw error;
  }
  return plan;
}

// ---------------------------------------------------------------------------

/** Reads a logger configuration file into a plan, by its extension as Circus does. */
async function planFromFile(file: string): Promise<Plan> {
  const lower = file.toLowerCase();
  const kind = lower.endsWith(".ini")
    ? "ini"
    : lower.endsWith(".json")
      ? "json"
      : lower.endsWith(".yaml") || lower.endsWith(".yml")
        ? "yaml"
        : null;
  if (!kind) {
    fail("not in one of the recognized formats. The file name should be: *.ini, *.json or *.yaml");
  }
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    fail(`cannot read: ${systemMessage(error)}`);
  }
  if (kind === "ini") return planFromIni(text);
  let data: unknown;
  if (kind === "json") {
    try {
      data = JSON.parse(text);
    } catch (error) {
      fail(`not valid JSON: ${(error as Error).message}`);
    }
  } else {
    const YAML = await import("yaml");
    const doc = YAML.parseDocument(text, { version: "1.1", prettyErrors: false, uniqueKeys: true });
    const problem = doc.errors[0];
    if (problem) {
      const pos = problem.linePos?.[0];
      fail(
        `not valid YAML${pos ? ` (line ${pos.line}, column ${pos.col})` : ""}: ${problem.message.split("\n")[0]}`,
      );
    }
    data = doc.toJS();
  }
  return planFromDict(data);
}

/**
 * Configures logging from a `loggerconfig` file. Errors are LoggingConfigErrors whose
 * message starts with the file's absolute path: `/etc/circus/log.yaml: handlers.f.class: ...`.
 */
export async function configureFromFile(file: string): Promise<void> {
  const absolute = path.resolve(file);
  try {
    const plan = await planFromFile(absolute);
    await openAll(plan);
    apply(plan);
  } catch (error) {
    if (error instanceof LoggingConfigError)
      throw new LoggingConfigError(`${absolute}: ${error.message}`);
    throw error;
  }
}

/** SIGHUP: every file handler follows a log file that logrotate moved away. */
export function reopenLogFiles(): void {
  for (const handler of hierarchy.handlers()) handler.reopen();
}
