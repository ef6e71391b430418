/**
 * `logging.config.dictConfig`'s shape (a `loggerconfig` in JSON or YAML) read into a plan:
 * version 1, formatters, handlers, loggers and root; filters, factories and incremental
 * configurations are refused by name.
 */
import { isObject } from "../config/values.js";
import type { Formatter } from "./formatter.js";
import type { Handler } from "./handlers.js";
import {
  buildHandler,
  formatter,
  formatterClass,
  handlerClass,
  level,
  show,
} from "./handler-factory.js";
import { closingOnError, emptyPlan, fail, type LoggerPlan, type Plan } from "./plan.js";
import { NOTSET } from "./record.js";

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

function nameList(value: unknown, where: string, handlers: Map<string, Handler>): Handler[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
    fail(`${where}: expected a list of handlers names`);
  }
  return (value as string[]).map((name) => {
    const h = handlers.get(name);
    if (!h) fail(`${where}: no handler named ${JSON.stringify(name)} in handlers`);
    return h;
  });
}

/** The plan of a parsed JSON or YAML file (throws LoggingConfigError). */
export function planFromDict(config: unknown): Plan {
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
  const plan = emptyPlan(dis !== false);
  return closingOnError(plan, () => {
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
      const out: LoggerPlan = {
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
    return plan;
  });
}
