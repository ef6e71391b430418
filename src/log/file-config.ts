/**
 * `logging.config.fileConfig`'s INI format (a `loggerconfig` ending in .ini) read into a plan:
 * [loggers], [handlers] and [formatters] keys, their sections, and `args`/`kwargs` as Python
 * literals evaluated in the logging module's namespace.
 */
import { InterpolatedIni, parseIni } from "../config/ini.js";
import { PyName, parsePyLiteral, type PyValue } from "../python/literal.js";
import type { Formatter } from "./formatter.js";
import type { Handler } from "./handlers.js";
import {
  PARAMETERS,
  buildHandler,
  formatter,
  formatterClass,
  handlerClass,
  level,
} from "./handler-factory.js";
import { closingOnError, emptyPlan, fail, type LoggerPlan, type Plan } from "./plan.js";
import { levelNumber } from "./record.js";
import { syslogConstant } from "./syslog-handler.js";

/** A dotted name as `args` and `kwargs` see it in the logging module's namespace. */
export function loggingName(name: string): PyValue | undefined {
  const bare = name.replace(/^logging\./, "");
  if (bare === "sys.stdout" || bare === "sys.stderr") return new PyName(bare);
  if (bare === "socket.SOCK_DGRAM" || bare === "socket.SOCK_STREAM") return new PyName(bare);
  const syslog = /^(?:handlers\.)?SysLogHandler\.(LOG_\w+)$/.exec(bare);
  if (syslog) return syslogConstant(syslog[1]!);
  // The level constants (logging.DEBUG, ...).
  if (/^[A-Z]+$/.test(bare)) return levelNumber(bare) ?? undefined;
  return undefined;
}

function keyList(ini: InterpolatedIni, section: string): string[] {
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

function checkIniKeys(ini: InterpolatedIni, section: string, allowed: string[]): void {
  const s = ini.section(section);
  if (!s) return;
  // Options only there to be interpolated into others (`%(logdir)s`) are fine.
  const referenced = new Set<string>();
  for (const { value } of s.options.values()) {
    for (const m of value.matchAll(/%\(([^)]*)\)s/g)) referenced.add(m[1]!.toLowerCase());
  }
  for (const key of s.options.keys()) {
    if (!allowed.includes(key) && !referenced.has(key))
      fail(`[${section}] ${key}: unknown option (expected one of: ${allowed.join(", ")})`);
  }
}

function pyArgs(text: string, where: string): PyValue {
  try {
    return parsePyLiteral(text, loggingName);
  } catch (error) {
    return fail(`${where}: ${(error as Error).message}`);
  }
}

/**
 * The plan of an INI file's text (throws LoggingConfigError, or a ConfigError naming the
 * file and line where configparser itself would fail).
 */
export function planFromIni(text: string, file: string): Plan {
  const ini = new InterpolatedIni(parseIni(text, file));
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

  const plan = emptyPlan(true);
  const handlers = new Map<string, Handler>();
  return closingOnError(plan, () => {
    for (const name of handlerNames) {
      const sect = `handler_${name}`;
      if (!ini.has(sect)) fail(`[${sect}] section missing (named in [handlers] keys)`);
      checkIniKeys(ini, sect, ["class", "level", "formatter", "args", "kwargs"]);
      const clsText = ini.get(sect, "class");
      if (clsText === undefined) fail(`[${sect}] class: missing`);
      const cls = handlerClass(clsText, `[${sect}] class`);
      const args = pyArgs(ini.get(sect, "args") ?? "()", `[${sect}] args`);
      const kw = pyArgs(ini.get(sect, "kwargs") ?? "{}", `[${sect}] kwargs`);
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
      const lv = ini.get(sect, "level");
      if (lv !== undefined && lv.trim() !== "") handler.level = level(lv, `[${sect}] level`);
      const fmtName = (ini.get(sect, "formatter") ?? "").trim();
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
      const text = ini.get(sect, "handlers");
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
        const root: LoggerPlan = { handlers: handlerList(sect) };
        const lv = ini.get(sect, "level");
        if (lv !== undefined) root.level = level(lv, `[${sect}] level`);
        plan.root = root;
        continue;
      }
      checkIniKeys(ini, sect, ["level", "handlers", "propagate", "qualname"]);
      const qualname = ini.get(sect, "qualname")?.trim();
      if (!qualname) fail(`[${sect}] qualname: missing (the logger's name, such as circus)`);
      const spec: LoggerPlan = {
        handlers: handlerList(sect),
      };
      const lv = ini.get(sect, "level");
      if (lv !== undefined) spec.level = level(lv, `[${sect}] level`);
      const prop = ini.get(sect, "propagate")?.trim();
      if (prop === undefined) spec.propagate = true;
      else if (/^-?\d+$/.test(prop)) spec.propagate = Number(prop) !== 0;
      else if (/^(true|yes|on)$/i.test(prop)) spec.propagate = true;
      else if (/^(false|no|off)$/i.test(prop)) spec.propagate = false;
      else fail(`[${sect}] propagate: expected 0 or 1, got ${JSON.stringify(prop)}`);
      plan.loggers.set(qualname, spec);
    }
    return plan;
  });
}
