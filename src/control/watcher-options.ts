/**
 * Watcher options on the wire, by the one table (config/watcher-options.ts): how `options` /
 * `get` show them, how `set` / `add` check and apply them (Circus's `validate_option`), and
 * how circusctl turns their text into values (`convert_option`) and prints them.
 */
import {
  familyOf,
  KEY_FAMILIES,
  WATCHER_OPTIONS,
  WIRE_TYPES,
  wireOption,
} from "../config/watcher-options.js";
import type { WatcherConfig } from "../config/types.js";
import { isObject } from "../config/values.js";
import { pyRepr, pyStr } from "../python/repr.js";
import { ArgumentError, MessageError } from "./protocol.js";

/**
 * Every option of a watcher by its wire name, with the values and types Circus's `options`
 * and `get` reply: a watcher read from a file shows the file's texts and empty mappings, one
 * added at run time the values it was given (null when none). `everyKey` (for `get`): the
 * options shown only when true (`essential`) are there whatever their value.
 */
export function watcherOptions(config: WatcherConfig, everyKey = false): Record<string, unknown> {
  const fromFile = config.source !== null;
  const result: Record<string, unknown> = {};
  for (const [key, option] of Object.entries(WATCHER_OPTIONS)) {
    if (option.wire === null || !option.shown) continue;
    const value = config[option.field];
    if (option.shown === "when-true" && value !== true && !everyKey) continue;
    const given = config.wireKeys?.includes(key) ?? false;
    result[key] = option.show
      ? option.show(value, { config, fromFile, given })
      : WIRE_TYPES[option.wire].show(value);
  }
  for (const family of KEY_FAMILIES)
    if (family.conf) result[`${family.name}_conf`] = family.conf(config, fromFile);
  // The section's other keys, raw, as Circus shows them: plugins read theirs here
  // (`flapping.max_retry`); and configparser's `__name__`.
  for (const [key, value] of Object.entries(config.options))
    if (!(key in result)) result[key] = value;
  if (fromFile) result.__name__ = config.source?.section;
  // Sorted by name, as Circus's options() lists them (and circusctl prints them).
  return Object.fromEntries(Object.entries(result).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Circus's `validate_option`: why `value` is refused for `key`, or null. */
function optionProblem(key: string, value: unknown): string | null {
  const option = wireOption(key);
  if (option && option.onSet !== "read-only") return WIRE_TYPES[option.wire].check(key, value);
  const found = familyOf(key);
  if (found) return found.family.check(key, found.member, value);
  return `unknown key ${pyRepr(key)}`;
}

/**
 * The `options` property of `set` and `add`: an object whose every option is valid.
 *
 * @throws MessageError naming the first unknown key or mistyped value.
 */
export function validateOptions(options: unknown): void {
  if (!isObject(options)) throw new MessageError("'options' property should be an object");
  for (const [key, value] of Object.entries(options)) {
    const problem = optionProblem(key, value);
    if (problem !== null) throw new MessageError(problem);
  }
}

/**
 * Lays validated wire options over a config. `restart` tells whether the running processes
 * must be replaced to take them (the options whose table entry says so).
 */
export function applyOptions(
  config: WatcherConfig,
  options: Record<string, unknown>,
): { config: WatcherConfig; restart: boolean } {
  const next: WatcherConfig = {
    ...config,
    env: { ...config.env },
    hooks: { ...config.hooks },
    rlimits: { ...config.rlimits },
    options: { ...config.options },
  };
  let restart = false;
  for (const [key, value] of Object.entries(options)) {
    const option = wireOption(key);
    const found = option ? null : familyOf(key);
    if (option?.field === "options") {
      next.options[key] = String(value);
    } else if (option) {
      (next as unknown as Record<string, unknown>)[option.field] = value;
    } else if (found) {
      found.family.apply(next, found.member, value);
    }
    if ((option ?? found?.family)?.onSet === "restart") restart = true;
  }
  if (next.singleton && next.numprocesses > 1) next.numprocesses = 1;
  next.wireKeys = [...new Set([...(config.wireKeys ?? []), ...Object.keys(options)])];
  return { config: next, restart };
}

/**
 * Circus's `convert_option`: circusctl's text of an option to its JSON value.
 *
 * @throws ArgumentError for an unknown key or a text that does not fit.
 */
export function convertOption(key: string, text: string): unknown {
  let value: unknown;
  try {
    const option = wireOption(key);
    const found = familyOf(key);
    if (option) value = WIRE_TYPES[option.wire].convert(text);
    else if (found) value = found.family.convert(found.member, text);
  } catch (error) {
    throw new ArgumentError(`${key}: ${(error as Error).message}`);
  }
  if (value === undefined) throw new ArgumentError(`unknown key ${pyRepr(key)}`);
  return value;
}

/** Circus's `convert_opt`: how circusctl prints an option's value. */
export function formatOption(key: string, value: unknown): string {
  if (wireOption(key)?.wire === "env" && isObject(value)) {
    return Object.entries(value)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(", ");
  }
  if (value === null || value === undefined) return "";
  return pyStr(value);
}
