/**
 * Watcher options as the wire names them (`numprocesses`, `graceful_timeout`, `hooks`, ...):
 * how `options` / `get` show them, how `set` / `add` check and apply them (Circus's
 * `validate_option`), and how circusctl turns their text into values (`convert_option`).
 */
import { statSync } from "node:fs";
import { HOOK_NAMES, type HookName, type WatcherConfig } from "../config/types.js";
import {
  parseBool,
  parseInteger,
  parseNumber,
  parseRlimitValue,
  RLIMIT_NAMES,
} from "../config/values.js";
import { parseSignal } from "../sys/signals.js";
import { float, pyRepr, pyStr } from "../python/repr.js";
import { ArgumentError, MessageError } from "./protocol.js";

type Kind = "int" | "float" | "bool" | "string" | "id" | "env" | "signal" | "args";

interface Spec {
  field: keyof WatcherConfig;
  kind: Kind;
  /** false: can change through `set` (Circus's validate_option keys); true: read-only. */
  readOnly?: boolean;
  /** A change reaches the processes only through new ones: `set` reloads the watcher. */
  restart?: boolean;
}

/** Every plain option, in the order Circus's `Watcher.optnames` lists them. */
const SPECS: Record<string, Spec> = {
  numprocesses: { field: "numprocesses", kind: "int" },
  warmup_delay: { field: "warmupDelay", kind: "float" },
  working_dir: { field: "workingDir", kind: "string", restart: true },
  uid: { field: "uid", kind: "id", restart: true },
  gid: { field: "gid", kind: "id", restart: true },
  send_hup: { field: "sendHup", kind: "bool" },
  stop_signal: { field: "stopSignal", kind: "signal" },
  stop_children: { field: "stopChildren", kind: "bool" },
  shell: { field: "shell", kind: "bool", restart: true },
  shell_args: { field: "shellArgs", kind: "string", readOnly: true },
  env: { field: "env", kind: "env", restart: true },
  max_retry: { field: "maxRetry", kind: "int" },
  cmd: { field: "cmd", kind: "string", restart: true },
  args: { field: "args", kind: "args", restart: true },
  respawn: { field: "respawn", kind: "bool" },
  graceful_timeout: { field: "gracefulTimeout", kind: "float" },
  executable: { field: "executable", kind: "string", readOnly: true },
  use_sockets: { field: "useSockets", kind: "bool", readOnly: true },
  priority: { field: "priority", kind: "int", readOnly: true },
  copy_env: { field: "copyEnv", kind: "bool", restart: true },
  singleton: { field: "singleton", kind: "bool" },
  on_demand: { field: "onDemand", kind: "bool", readOnly: true },
  max_age: { field: "maxAge", kind: "int", restart: true },
  max_age_variance: { field: "maxAgeVariance", kind: "int", restart: true },
  close_child_stdin: { field: "closeChildStdin", kind: "bool", restart: true },
  close_child_stdout: { field: "closeChildStdout", kind: "bool", restart: true },
  close_child_stderr: { field: "closeChildStderr", kind: "bool", restart: true },
  // Settable but not shown, as in Circus (it has no effect there either).
  retry_in: { field: "options", kind: "float" },
};

const STREAMS = { stdout_stream: "stdoutStream", stderr_stream: "stderrStream" } as const;
type StreamKey = keyof typeof STREAMS;

function isHook(name: string): name is HookName {
  return (HOOK_NAMES as readonly string[]).includes(name);
}

/** A stream as Circus shows its `*_stream_conf`: the section's keys, as text. */
function streamConf(stream: WatcherConfig["stdoutStream"]): Record<string, unknown> | null {
  if (!stream) return null;
  const name = typeof stream.class === "string" ? stream.class : stream.class.name;
  return { class: name, ...stream.options };
}

/**
 * Where a watcher without working_dir runs its processes: circusd's own folder, named as
 * `$PWD` names it when that is the same folder (Circus's get_working_dir).
 */
function defaultWorkingDir(): string {
  const cwd = process.cwd();
  const pwd = process.env.PWD;
  if (!pwd) return cwd;
  try {
    const a = statSync(pwd);
    const b = statSync(cwd);
    return a.dev === b.dev && a.ino === b.ino ? pwd : cwd;
  } catch {
    return cwd;
  }
}

/**
 * Every option of a watcher by its wire name, with the values and types Circus's `options`
 * and `get` reply: a watcher read from a file shows the file's texts and empty mappings, one
 * added at run time the values it was given (null when none).
 */
export function watcherOptions(config: WatcherConfig): Record<string, unknown> {
  const fromFile = config.source !== null;
  const result: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(SPECS)) {
    if (spec.field === "options") continue;
    const value = config[spec.field];
    result[key] = spec.kind === "float" ? float(value as number) : value;
  }
  // Circus keeps warmup_delay as it came: an int from a file or given to `add` as one, a
  // float after `set` or by default.
  const given = config.wireKeys?.includes("warmup_delay");
  if (fromFile ? !given : given && Number.isInteger(config.warmupDelay))
    result.warmup_delay = config.warmupDelay;
  result.working_dir = config.workingDir ?? defaultWorkingDir();
  if (fromFile) {
    // The file's text, as Circus keeps it: `uid = 0` is "0".
    for (const key of ["uid", "gid"] as const)
      if (config[key] !== null && !config.wireKeys?.includes(key))
        result[key] = String(config[key]);
    result.args = config.args ?? "";
  }
  const env = config.copyEnv ? { ...process.env, ...config.env } : config.env;
  result.env = fromFile || config.copyEnv || Object.keys(env).length > 0 ? env : null;
  result.stdout_stream_conf = streamConf(config.stdoutStream) ?? (fromFile ? {} : null);
  result.stderr_stream_conf = streamConf(config.stderrStream) ?? (fromFile ? {} : null);
  // The section's other keys, raw, as Circus shows them: plugins read theirs here
  // (`flapping.max_retry`); and configparser's `__name__`.
  for (const [key, value] of Object.entries(config.options))
    if (!(key in result)) result[key] = value;
  if (fromFile) result.__name__ = config.source?.section;
  // Sorted by name, as Circus's options() lists them (and circusctl prints them).
  return Object.fromEntries(Object.entries(result).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Circus's `validate_option`: throws a MessageError for an unknown key or a mistyped value. */
function validateOption(key: string, value: unknown): void {
  const spec = SPECS[key];
  const prefixed = /^(stdout_stream|stderr_stream|hooks)\.|^rlimit_/.test(key);
  const known = (spec !== undefined && !spec.readOnly) || key in STREAMS || key === "hooks";
  if (!known && !prefixed) throw new MessageError(`unknown key ${pyRepr(key)}`);
  const kind = spec?.kind;
  if (kind === "int" || kind === "signal") {
    if (!Number.isInteger(value)) throw new MessageError(`${pyRepr(key)} isn't an integer`);
  } else if (kind === "float") {
    if (typeof value !== "number") throw new MessageError(`${pyRepr(key)} isn't a number`);
  } else if (kind === "id") {
    if (!Number.isInteger(value) && typeof value !== "string")
      throw new MessageError(`${pyRepr(key)} isn't an integer or string`);
  } else if (kind === "bool") {
    if (typeof value !== "boolean") throw new MessageError(`${pyRepr(key)} isn't a valid boolean`);
  } else if (kind === "env") {
    if (!isObject(value)) throw new MessageError(`${pyRepr(key)} isn't a valid object`);
    for (const [k, v] of Object.entries(value))
      if (typeof v !== "string") throw new MessageError(`${pyRepr(k)} isn't a string`);
  } else if (kind === "string") {
    if (typeof value !== "string") throw new MessageError(`${pyRepr(key)} isn't a string`);
  } else if (kind === "args") {
    const ok = typeof value === "string" || value === null || isStringArray(value);
    if (!ok) throw new MessageError(`${pyRepr(key)} isn't a string or a list of strings`);
  } else if (key === "hooks") {
    if (!isObject(value)) throw new MessageError(`${pyRepr(value)} isn't a valid hook dict`);
    for (const [name, ref] of Object.entries(value)) {
      if (!isHook(name)) throw new MessageError(`Unknown hook ${pyRepr(value)}`);
      if (typeof ref !== "string") throw new MessageError(`hook ${pyRepr(name)} isn't a string`);
    }
  } else if (key in STREAMS) {
    if (!isObject(value)) throw new MessageError(`${pyRepr(key)} isn't a valid object`);
    if (!("class" in value)) throw new MessageError(`${pyRepr(key)} must have a 'class' key`);
  } else if (key.startsWith("hooks.")) {
    if (!isHook(key.slice(6))) throw new MessageError(`Unknown hook ${pyRepr(key.slice(6))}`);
    if (typeof value !== "string") throw new MessageError(`${pyRepr(key)} isn't a string`);
  } else if (key.startsWith("rlimit_")) {
    if (!RLIMIT_NAMES.includes(key.slice(7)))
      throw new MessageError(`${pyRepr(key)} isn't a valid rlimit setting`);
    if (value !== null && !Number.isInteger(value))
      throw new MessageError(`${pyRepr(value)} rlimit value isn't a valid int`);
  }
}

/** The `options` property of `set` and `add`: an object whose every option is valid. */
export function validateOptions(options: unknown): void {
  if (!isObject(options)) throw new MessageError("'options' property should be an object");
  for (const [key, value] of Object.entries(options)) validateOption(key, value);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === "string");
}

/**
 * Lays validated wire options over a config. `restart` tells whether the running processes
 * must be replaced to take them (anything but numprocesses and the hooks).
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
  const target = next as unknown as Record<string, unknown>;
  let restart = false;
  for (const [key, value] of Object.entries(options)) {
    const spec = SPECS[key];
    if (spec && spec.field === "options") {
      next.options[key] = String(value);
    } else if (spec) {
      target[spec.field] = value;
      if (spec.restart) restart = true;
    } else if (key === "hooks") {
      for (const [name, ref] of Object.entries(value as Record<string, string>))
        next.hooks[name as HookName] = { ref, ignoreErrors: false };
    } else if (key.startsWith("hooks.")) {
      next.hooks[key.slice(6) as HookName] = { ref: value as string, ignoreErrors: false };
    } else if (key in STREAMS) {
      const { class: cls, ...rest } = value as Record<string, unknown>;
      // A new stream takes the running processes' output as it is: no restart.
      target[STREAMS[key as StreamKey]] = { class: String(cls), options: stringify(rest) };
    } else if (/^(stdout|stderr)_stream\./.test(key)) {
      const [prefix, sub] = key.split(/\.(.*)/s) as [StreamKey, string];
      const field = STREAMS[prefix];
      const current = next[field] ?? { class: "FileStream", options: {} };
      next[field] =
        sub === "class"
          ? { ...current, class: String(value) }
          : { ...current, options: { ...current.options, [sub]: String(value) } };
    } else if (key.startsWith("rlimit_")) {
      next.rlimits[key.slice(7)] = value as number | null;
      restart = true;
    }
  }
  if (next.singleton && next.numprocesses > 1) next.numprocesses = 1;
  next.wireKeys = [...new Set([...(config.wireKeys ?? []), ...Object.keys(options)])];
  return { config: next, restart };
}

function stringify(record: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, String(v)]));
}

/** Circus's `convert_option`: circusctl's text of an option to its JSON value. */
export function convertOption(key: string, text: string): unknown {
  try {
    const kind = SPECS[key]?.kind;
    switch (kind) {
      case "int":
        return parseInteger(text);
      case "float":
        return parseNumber(text);
      case "bool":
        return parseBool(text);
      case "signal": {
        const signum = parseSignal(text);
        if (signum === null) throw new Error(`unknown signal ${pyRepr(text)}`);
        return signum;
      }
      case "env":
        return parseEnv(text);
      case "string":
      case "id":
      case "args":
        return text;
    }
    if (/^(stdout|stderr)_stream\./.test(key)) {
      const sub = key.split(".", 2)[1];
      return sub === "max_bytes" || sub === "backup_count" ? parseInteger(text) : text;
    }
    if (key === "hooks") return parseHooks(text);
    if (key.startsWith("hooks.")) {
      if (!isHook(key.slice(6))) throw new Error(key.slice(6));
      return text;
    }
    if (key.startsWith("rlimit_")) return parseRlimitValue(text);
  } catch (error) {
    throw new ArgumentError(`${key}: ${(error as Error).message}`);
  }
  throw new ArgumentError(`unknown key ${pyRepr(key)}`);
}

/** `a:b,c:d` into {a: "b", c: "d"}, hooks as Circus's convert_option reads them. */
function parseHooks(text: string): Record<string, string> {
  const hooks: Record<string, string> = {};
  for (const item of text.split(",")) {
    if (item === "") continue;
    const colon = item.indexOf(":");
    if (colon < 0) throw new Error(item);
    const name = item.slice(0, colon);
    if (!isHook(name)) throw new Error(name);
    hooks[name] = item.slice(colon + 1);
  }
  return hooks;
}

/** `K=V,K2=V2` into an object, as Circus's parse_env_dict. */
function parseEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const item of text.split(",")) {
    const eq = item.indexOf("=");
    if (eq < 0) continue;
    env[item.slice(0, eq).trim()] = item.slice(eq + 1).trim();
  }
  return env;
}

/** Circus's `convert_opt`: how circusctl prints an option's value. */
export function formatOption(key: string, value: unknown): string {
  if (key === "env" && isObject(value)) {
    return Object.entries(value)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(", ");
  }
  if (value === null || value === undefined) return "";
  return pyStr(value);
}
