/**
 * A plugin's options, declared with their types and defaults and read from the strings of
 * the `[plugin:NAME]` section, so that a wrong type is refused at circusd's startup with the
 * option named, not found out later by the plugin process.
 */
import { parseBool, parseInteger, parseNumber } from "../config/values.js";

/** What an option holds. `size`: bytes with a B/K/M/G/T/P/E/Z/Y unit, else a percentage. */
export type OptionType = "string" | "int" | "number" | "bool" | "regex" | "size";

/** One declared option: its type and its default (undefined: no default, the value is optional). */
export interface OptionSpec {
  type: OptionType;
  default?: string;
  /** Numbers: the smallest value allowed. */
  min?: number;
  /** Numbers: the value must be more than this (`loop_rate` > 0). */
  above?: number;
  /** Numbers: the largest value allowed. */
  max?: number;
}

/** A memory limit as ResourceWatcher reads it: a percentage, or bytes when a unit is given. */
export interface SizeLimit {
  value: number;
  unit: "percent" | "bytes";
}

/** The value of an option of that type. */
export type ValueOf<T extends OptionType> = T extends "string"
  ? string
  : T extends "int" | "number"
    ? number
    : T extends "bool"
      ? boolean
      : T extends "regex"
        ? RegExp
        : SizeLimit;

/** The options a spec declares, typed: undefined only where there is no default. */
export type Options<S extends Record<string, OptionSpec>> = {
  [K in keyof S]: S[K] extends { default: string }
    ? ValueOf<S[K]["type"]>
    : ValueOf<S[K]["type"]> | undefined;
};

type OptionValue = ValueOf<OptionType> | undefined;

/** An option that cannot be read; `option` is its name in the section. */
export class PluginOptionError extends Error {
  override name = "PluginOptionError";
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(message);
  }
}

const UNITS = "BKMGTPEZY";

/** `250M` -> bytes; `50` -> 50 percent. */
export function parseSize(text: string): SizeLimit {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([BKMGTPEZY])?\s*$/i.exec(text);
  if (!match) throw new Error(`expected a percentage or a size such as 250M, got "${text}"`);
  const value = Number(match[1]);
  const unit = match[2]?.toUpperCase();
  if (unit === undefined) return { value, unit: "percent" };
  return { value: value * 1024 ** UNITS.indexOf(unit), unit: "bytes" };
}

/** Python's named groups `(?P<pid>...)` written as JavaScript's `(?<pid>...)`. */
export function parseRegex(text: string): RegExp {
  return new RegExp(text.replace(/\(\?P</g, "(?<"));
}

function read(type: OptionType, text: string): OptionValue {
  switch (type) {
    case "string":
      return text;
    case "int":
      // Python's int() of the reference accepts "5" but not "5.5".
      return parseInteger(text);
    case "number":
      return parseNumber(text);
    case "bool":
      return parseBool(text);
    case "regex":
      return parseRegex(text);
    case "size":
      return parseSize(text);
  }
}

/**
 * Reads the declared options out of `config`. Undeclared keys are left alone (the watcher
 * options of the section, a user's extras). Throws a PluginOptionError naming the option.
 */
export function readOptions<const S extends Record<string, OptionSpec>>(
  specs: S,
  config: Record<string, string>,
): Options<S> {
  const out: Record<string, OptionValue> = {};
  for (const [name, spec] of Object.entries(specs) as [keyof S & string, OptionSpec][]) {
    const raw = config[name];
    const text = raw === undefined || raw.trim() === "" ? spec.default : raw.trim();
    if (text === undefined) {
      out[name] = undefined;
      continue;
    }
    try {
      out[name] = read(spec.type, text);
    } catch (error) {
      throw new PluginOptionError(name, (error as Error).message);
    }
    checkRange(name, spec, out[name]);
  }
  return out as Options<S>;
}

function checkRange(name: string, spec: OptionSpec, value: OptionValue): void {
  if (typeof value !== "number") return;
  if (spec.min !== undefined && value < spec.min)
    throw new PluginOptionError(name, `must be ${spec.min} or more, got ${value}`);
  if (spec.above !== undefined && !(value > spec.above))
    throw new PluginOptionError(name, `must be more than ${spec.above}, got ${value}`);
  if (spec.max !== undefined && value > spec.max)
    throw new PluginOptionError(name, `must be ${spec.max} or less, got ${value}`);
}

/** `--config` values, `key:value` each, or several joined by `:::` as Circus passes them. */
export function parseConfigArgs(items: string[]): Record<string, string> {
  const config: Record<string, string> = {};
  for (const item of items) {
    for (const pair of item.split(":::")) {
      const colon = pair.indexOf(":");
      if (colon < 0) continue;
      config[pair.slice(0, colon).trim()] = pair.slice(colon + 1).trim();
    }
  }
  return config;
}
