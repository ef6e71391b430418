/**
 * The one table of watcher options: for each, its name in a `[watcher:NAME]` section and on
 * the wire, the `WatcherConfig` field it fills, how the file's text is read, its wire type
 * (what `set`/`add` accept, how circusctl reads its text, how `get`/`options` show it), and
 * what a `set` of it does. Prefixed keys (`rlimit_nofile`, `hooks.after_start`,
 * `stdout_stream.filename`) belong to a key family with a handler of its own.
 *
 * The INI loader (watcher.ts), the control commands and circusctl (control/watcher-options.ts)
 * read it; nothing else lists watcher options.
 */
import { statSync } from "node:fs";
import { float, pyRepr } from "../python/repr.js";
import { parseSignal } from "../sys/signals.js";
import type { SectionView } from "./section.js";
import { HOOK_NAMES, type HookName, type HookRef, type WatcherConfig } from "./types.js";
import {
  isObject,
  closestName,
  parseBool,
  parseId,
  parseInteger,
  parseNameList,
  parseNumber,
  parseReadiness,
  parseOptionalString,
  parseRlimitValue,
  parseSeconds,
  parseSignalValue,
  RLIMIT_NAMES,
} from "./values.js";

/** How a value travels in `set`, `add`, `get` and `options` (Circus's validate_option kinds). */
export type WireType = "int" | "float" | "bool" | "string" | "id" | "env" | "signal" | "args";

/**
 * What a `set` of the option does: `in-place` takes effect on the running watcher, `restart`
 * only through new processes (the watcher is reloaded), `read-only` is refused.
 */
export type OnSet = "in-place" | "restart" | "read-only";

/** What an option's `show` knows besides its value. */
export interface ShowContext {
  config: WatcherConfig;
  /** The watcher was read from a file: Circus shows the file's texts. */
  fromFile: boolean;
  /** The option was last given through the control socket (`set`/`add`). */
  given: boolean;
}

/** One plain option. */
export interface WatcherOption {
  /**
   * The field it fills; `options`: kept raw, as text, under the option's own name (where
   * plugins read it).
   */
  readonly field: keyof WatcherConfig;
  /** The section's text to the field's value; null: not read from a `[watcher:NAME]` section. */
  readonly parse: ((text: string) => unknown) | null;
  /** null: not on the wire (neither shown nor settable). */
  readonly wire: WireType | null;
  /** What a `set` of it does; only options on the wire can be set. */
  readonly onSet: OnSet;
  /**
   * Whether `options` and `get` list it by name; `when-true`: `get` always, `options` only
   * while its value is true (an option beyond Circus, which the replies Circus's clients
   * expect do not carry for the watchers that leave it off).
   */
  readonly shown: boolean | "when-true";
  /** The value `options` and `get` give, when not the wire type's own. */
  readonly show: ((value: unknown, context: ShowContext) => unknown) | null;
}

/** A wire type's rules: Circus's validate_option and convert_option for its kind. */
export interface WireRules {
  /** Why `value` is refused for `key`, or null. */
  check(key: string, value: unknown): string | null;
  /** circusctl's text to the value; throws with the reason. */
  convert(text: string): unknown;
  /** The value as `options` and `get` reply it. */
  show(value: unknown): unknown;
}

const same = (value: unknown): unknown => value;

function rules(
  ok: (value: unknown) => boolean,
  complaint: string,
  convert: (text: string) => unknown,
  show: (value: unknown) => unknown = same,
): WireRules {
  return {
    check: (key, value) => (ok(value) ? null : `${pyRepr(key)} ${complaint}`),
    convert,
    show,
  };
}

/** Every wire type's rules. */
export const WIRE_TYPES: Readonly<Record<WireType, WireRules>> = {
  int: rules(Number.isInteger, "isn't an integer", (text) => parseInteger(text)),
  signal: rules(Number.isInteger, "isn't an integer", (text) => {
    const signum = parseSignal(text);
    if (signum === null) throw new Error(`unknown signal ${pyRepr(text)}`);
    return signum;
  }),
  float: rules(
    (value) => typeof value === "number",
    "isn't a number",
    (text) => parseNumber(text),
    (value) => float(value as number),
  ),
  id: rules(
    (value) => Number.isInteger(value) || typeof value === "string",
    "isn't an integer or string",
    same,
  ),
  bool: rules((value) => typeof value === "boolean", "isn't a valid boolean", parseBool),
  string: rules((value) => typeof value === "string", "isn't a string", same),
  args: rules(
    (value) => typeof value === "string" || value === null || isStringArray(value),
    "isn't a string or a list of strings",
    same,
  ),
  env: {
    check(key, value) {
      if (!isObject(value)) return `${pyRepr(key)} isn't a valid object`;
      for (const [name, text] of Object.entries(value))
        if (typeof text !== "string") return `${pyRepr(name)} isn't a string`;
      return null;
    },
    convert: parseEnv,
    show: same,
  },
};

/** An entry whose parser and `show` are typed by the field they serve. */
function option<F extends keyof WatcherConfig>(
  field: F,
  parse: ((text: string) => WatcherConfig[F]) | null,
  wire: WireType | null = null,
  onSet: OnSet = "in-place",
  show: ((value: WatcherConfig[F], context: ShowContext) => unknown) | null = null,
): WatcherOption {
  return { field, parse, wire, onSet, shown: wire !== null, show: show as WatcherOption["show"] };
}

/** Known to Circus, read by plugins or nothing: kept raw without a warning. */
const kept = (): WatcherOption => ({ ...option("options", null), parse: (text) => text });

const integer =
  (min?: number) =>
  (text: string): number =>
    parseInteger(text, { min });

/** Circus keeps a file's value as its text (`uid = 0` is "0") until the wire changes it. */
const fileText = (value: string | number | null, { fromFile, given }: ShowContext): unknown =>
  fromFile && value !== null && !given ? String(value) : value;

/**
 * Every plain option. Those on the wire come first, in the order of Circus's
 * `Watcher.optnames`.
 */
export const WATCHER_OPTIONS: Readonly<Record<string, WatcherOption>> = {
  numprocesses: option("numprocesses", integer(0), "int"),
  // Circus keeps it as it came: an int from a file or given to `add` as one, a float after
  // `set` or by default.
  warmup_delay: option("warmupDelay", parseSeconds, "float", "in-place", (delay, c) =>
    (c.fromFile ? !c.given : c.given && Number.isInteger(delay)) ? delay : float(delay),
  ),
  working_dir: option("workingDir", parseOptionalString, "string", "restart", (dir) => {
    return dir ?? defaultWorkingDir();
  }),
  uid: option("uid", parseId, "id", "restart", fileText),
  gid: option("gid", parseId, "id", "restart", fileText),
  send_hup: option("sendHup", parseBool, "bool"),
  stop_signal: option("stopSignal", parseSignalValue, "signal"),
  stop_children: option("stopChildren", parseBool, "bool"),
  shell: option("shell", parseBool, "bool", "restart"),
  shell_args: option("shellArgs", parseOptionalString, "string", "read-only"),
  // The file gives it through [env:NAME] sections, not as an option.
  env: option("env", null, "env", "restart", (env, { config, fromFile }) => {
    const all = config.copyEnv ? { ...process.env, ...env } : env;
    return fromFile || config.copyEnv || Object.keys(all).length > 0 ? all : null;
  }),
  max_retry: option("maxRetry", integer(-1), "int"),
  cmd: option("cmd", (text) => text, "string", "restart"),
  args: option("args", parseOptionalString, "args", "restart", (args, { fromFile }) =>
    fromFile ? (args ?? "") : args,
  ),
  respawn: option("respawn", parseBool, "bool"),
  graceful_timeout: option("gracefulTimeout", parseSeconds, "float"),
  executable: option("executable", parseOptionalString, "string", "read-only"),
  use_sockets: option("useSockets", parseBool, "bool", "read-only"),
  priority: option("priority", integer(), "int", "read-only"),
  copy_env: option("copyEnv", parseBool, "bool", "restart"),
  singleton: option("singleton", parseBool, "bool"),
  on_demand: option("onDemand", parseBool, "bool", "read-only"),
  // Seconds in a file, but Circus's validate_option wants an int on the wire.
  max_age: option("maxAge", parseSeconds, "int", "restart"),
  max_age_variance: option("maxAgeVariance", parseSeconds, "int", "restart"),
  close_child_stdin: option("closeChildStdin", parseBool, "bool", "restart"),
  close_child_stdout: option("closeChildStdout", parseBool, "bool", "restart"),
  close_child_stderr: option("closeChildStderr", parseBool, "bool", "restart"),
  // Settable but not listed, as in Circus (it has no effect there either).
  retry_in: { ...option("options", null, "float"), shown: false },

  copy_path: option("copyPath", parseBool),
  autostart: option("autostart", parseBool),
  stdin_socket: option("stdinSocket", parseOptionalString),
  virtualenv: option("virtualenv", parseOptionalString),
  virtualenv_py_ver: option("virtualenvPyVer", parseOptionalString),
  use_papa: option("usePapa", parseBool),
  // Ours, read from the file only (Circus's wire has no such options).
  readiness: option("readiness", parseReadiness),
  readiness_interval: option("readinessInterval", (t) => parseNumber(t, { min: 0.01 })),
  readiness_timeout: option("readinessTimeout", (t) => parseNumber(t, { min: 0.01 })),
  readiness_failures: option("readinessFailures", (t) => parseInteger(t, { min: 1 })),
  readiness_deadline: option("readinessDeadline", parseSeconds),
  reload_batch: option("reloadBatch", (t) => parseInteger(t, { min: 1 })),
  depends_on: option("dependsOn", parseNameList),
  // Ours: an essential watcher that gives up makes circusd leave (README, "Containers").
  essential: { ...option("essential", parseBool, "bool"), shown: "when-true" },
  check_flapping: kept(),
  stream_backend: kept(),
};

/** The plain option called `key`, or undefined. */
export function plainOption(key: string): WatcherOption | undefined {
  return Object.hasOwn(WATCHER_OPTIONS, key) ? WATCHER_OPTIONS[key] : undefined;
}

/** The plain option called `key` when it is on the wire, or undefined. */
export function wireOption(key: string): (WatcherOption & { wire: WireType }) | undefined {
  const option = plainOption(key);
  return option?.wire ? (option as WatcherOption & { wire: WireType }) : undefined;
}

/**
 * Keys made of a family's name and a member: `rlimit_nofile`, `hooks.after_start`. A member
 * of null is the bare name (`hooks`), for the families that take their whole mapping at once.
 */
export interface KeyFamily {
  readonly name: string;
  /** `name` + separator starts every member's key. */
  readonly prefix: string;
  /** The bare name is a key too. */
  readonly whole: boolean;
  /** What a `set` of one of its keys does. */
  readonly onSet: Exclude<OnSet, "read-only">;
  /** A section's option into `into`; `view.fail` for a bad one. */
  readFile(
    view: SectionView,
    option: string,
    member: string | null,
    text: string,
    into: Partial<WatcherConfig>,
  ): void;
  /** Why a wire value is refused (Circus's validate_option), or null. */
  check(key: string, member: string | null, value: unknown): string | null;
  /** circusctl's text to the wire value; undefined: circusctl has no text for the key. */
  convert(member: string | null, text: string): unknown;
  /** Lays a checked wire value over `next`. */
  apply(next: WatcherConfig, member: string | null, value: unknown): void;
  /** What `options` shows as `NAME_conf`, for a family it shows. */
  conf?(config: WatcherConfig, fromFile: boolean): unknown;
}

function family(
  name: string,
  separator: "." | "_",
  handlers: Omit<KeyFamily, "name" | "prefix">,
): KeyFamily {
  return { name, prefix: name + separator, ...handlers };
}

const rlimits = family("rlimit", "_", {
  whole: false,
  onSet: "restart",
  readFile(view, option, limit, _text, into) {
    const name = limit ?? "";
    if (!RLIMIT_NAMES.includes(name))
      return view.fail(option, unknownMember("resource limit", name, RLIMIT_NAMES, "rlimit_"));
    (into.rlimits ??= {})[name] = view.convert(option, parseRlimitValue);
  },
  check(key, limit, value) {
    if (!RLIMIT_NAMES.includes(limit ?? "")) return `${pyRepr(key)} isn't a valid rlimit setting`;
    if (value !== null && !Number.isInteger(value))
      return `${pyRepr(value)} rlimit value isn't a valid int`;
    return null;
  },
  convert: (_limit, text) => parseRlimitValue(text),
  apply(next, limit, value) {
    next.rlimits[limit ?? ""] = value as number | null;
  },
});

const hooks = family("hooks", ".", {
  whole: true,
  onSet: "in-place",
  readFile(view, option, name, text, into) {
    if (!name) return view.fail(option, "expected hooks.<name> = value");
    if (!isHook(name)) return view.fail(option, unknownMember("hook", name, HOOK_NAMES, "hooks."));
    (into.hooks ??= {})[name] = readHook(view, option, text);
  },
  check(key, name, value) {
    if (name !== null) {
      if (!isHook(name)) return `Unknown hook ${pyRepr(name)}`;
      return typeof value === "string" ? null : `${pyRepr(key)} isn't a string`;
    }
    if (!isObject(value)) return `${pyRepr(value)} isn't a valid hook dict`;
    for (const [hook, ref] of Object.entries(value)) {
      if (!isHook(hook)) return `Unknown hook ${pyRepr(value)}`;
      if (typeof ref !== "string") return `hook ${pyRepr(hook)} isn't a string`;
    }
    return null;
  },
  convert(name, text) {
    if (name === null) return parseHooks(text);
    if (!isHook(name)) throw new Error(name);
    return text;
  },
  apply(next, name, value) {
    const refs = name === null ? (value as Record<string, string>) : { [name]: value as string };
    for (const [hook, ref] of Object.entries(refs))
      next.hooks[hook as HookName] = { ref, ignoreErrors: false };
  },
});

/** `stdout_stream.*` and `stderr_stream.*`: the class, and its options as text. */
function streamFamily(name: string, field: "stdoutStream" | "stderrStream"): KeyFamily {
  return family(name, ".", {
    whole: true,
    // A new stream takes the running processes' output as it is.
    onSet: "in-place",
    readFile(view, option, key, text, into) {
      if (!key) return view.fail(option, `expected ${name}.<name> = value`);
      // Only its options (e.g. `filename`) given: a FileStream.
      const stream = (into[field] ??= { class: "FileStream", options: {} });
      if (key === "class") stream.class = text === "" ? "FileStream" : text;
      else stream.options[key] = text;
    },
    check(key, member, value) {
      if (member !== null) return null;
      if (!isObject(value)) return `${pyRepr(key)} isn't a valid object`;
      return "class" in value ? null : `${pyRepr(key)} must have a 'class' key`;
    },
    convert(member, text) {
      if (member === null) return undefined;
      const key = member.split(".", 1)[0];
      return key === "max_bytes" || key === "backup_count" ? parseInteger(text) : text;
    },
    apply(next, member, value) {
      if (member === null) {
        const { class: cls, ...options } = value as Record<string, unknown>;
        next[field] = { class: String(cls), options: stringify(options) };
        return;
      }
      const current = next[field] ?? { class: "FileStream", options: {} };
      next[field] =
        member === "class"
          ? { ...current, class: String(value) }
          : { ...current, options: { ...current.options, [member]: String(value) } };
    },
    conf(config, fromFile) {
      const stream = config[field];
      if (!stream) return fromFile ? {} : null;
      const cls = typeof stream.class === "string" ? stream.class : stream.class.name;
      return { class: cls, ...stream.options };
    },
  });
}

/** Every key family. */
export const KEY_FAMILIES: readonly KeyFamily[] = [
  rlimits,
  hooks,
  streamFamily("stdout_stream", "stdoutStream"),
  streamFamily("stderr_stream", "stderrStream"),
];

/** The family `key` belongs to, with its member (null: the bare name), or null. */
export function familyOf(key: string): { family: KeyFamily; member: string | null } | null {
  for (const family of KEY_FAMILIES) {
    if (family.whole && key === family.name) return { family, member: null };
    if (key.startsWith(family.prefix)) return { family, member: key.slice(family.prefix.length) };
  }
  return null;
}

/** `unknown hook "x"`, with the nearest known name or else all of them. */
function unknownMember(what: string, name: string, known: readonly string[], prefix: string) {
  const guess = closestName(name, known);
  return (
    `unknown ${what} "${name}"` +
    (guess === null
      ? `; expected one of ${known.join(", ")}`
      : `; did you mean "${prefix}${guess}"?`)
  );
}

/** `path:export[, true|false]`: the flag says whether the hook's errors are ignored. */
function readHook(view: SectionView, option: string, text: string): HookRef {
  const comma = text.indexOf(",");
  const ref = (comma < 0 ? text : text.slice(0, comma)).trim();
  if (ref === "") view.fail(option, `expected "module-path:export[, true|false]", got ""`);
  const ignoreErrors =
    comma < 0 ? false : view.convert(option, () => parseBool(text.slice(comma + 1)));
  return { ref, ignoreErrors };
}

/** `a:b,c:d` into {a: "b", c: "d"}, hooks as Circus's convert_option reads them. */
function parseHooks(text: string): Record<string, string> {
  const refs: Record<string, string> = {};
  for (const item of text.split(",")) {
    if (item === "") continue;
    const colon = item.indexOf(":");
    if (colon < 0) throw new Error(item);
    const name = item.slice(0, colon);
    if (!isHook(name)) throw new Error(name);
    refs[name] = item.slice(colon + 1);
  }
  return refs;
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

function isHook(name: string): name is HookName {
  return (HOOK_NAMES as readonly string[]).includes(name);
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === "string");
}

function stringify(record: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, String(v)]));
}
