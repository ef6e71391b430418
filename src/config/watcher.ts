import { basename } from "node:path";
import { parseSignal } from "../sys/signals.js";
import { WATCHER_DEFAULTS } from "./defaults.js";
import { ConfigError, type ConfigLocation } from "./errors.js";
import { applyFields, fieldsOf, warnIfMisspelled, type SectionView } from "./section.js";
import { HOOK_NAMES, type HookName, type StreamConfig, type WatcherConfig } from "./types.js";
import {
  closestName,
  parseBool,
  parseId,
  parseInteger,
  parseNumber,
  parseOptionalString,
  parseRlimitValue,
  parseSignalValue,
  RLIMIT_NAMES,
} from "./values.js";

const w = fieldsOf<WatcherConfig>();
const seconds = (text: string): number => parseNumber(text, { min: 0 });

/** Every plain `[watcher:NAME]` option and how its text becomes a `WatcherConfig` field. */
const WATCHER_FIELDS = {
  cmd: w("cmd", (text) => text),
  args: w("args", parseOptionalString),
  shell: w("shell", parseBool),
  shell_args: w("shellArgs", parseOptionalString),
  executable: w("executable", parseOptionalString),
  working_dir: w("workingDir", parseOptionalString),
  uid: w("uid", parseId),
  gid: w("gid", parseId),
  copy_env: w("copyEnv", parseBool),
  copy_path: w("copyPath", parseBool),
  warmup_delay: w("warmupDelay", seconds),
  autostart: w("autostart", parseBool),
  numprocesses: w("numprocesses", (text) => parseInteger(text, { min: 0 })),
  stdin_socket: w("stdinSocket", parseOptionalString),
  close_child_stdin: w("closeChildStdin", parseBool),
  close_child_stdout: w("closeChildStdout", parseBool),
  close_child_stderr: w("closeChildStderr", parseBool),
  send_hup: w("sendHup", parseBool),
  stop_signal: w("stopSignal", parseSignalValue),
  stop_children: w("stopChildren", parseBool),
  max_retry: w("maxRetry", (text) => parseInteger(text, { min: -1 })),
  graceful_timeout: w("gracefulTimeout", seconds),
  priority: w("priority", (text) => parseInteger(text)),
  singleton: w("singleton", parseBool),
  use_sockets: w("useSockets", parseBool),
  max_age: w("maxAge", seconds),
  max_age_variance: w("maxAgeVariance", seconds),
  on_demand: w("onDemand", parseBool),
  virtualenv: w("virtualenv", parseOptionalString),
  virtualenv_py_ver: w("virtualenvPyVer", parseOptionalString),
  respawn: w("respawn", parseBool),
  use_papa: w("usePapa", parseBool),
};

/** The command line of a plugin's watcher is circusd's to build: these would have no effect. */
const PLUGIN_COMMAND_OPTIONS = ["cmd", "args", "shell", "shell_args", "executable"];

/** Options Circus knows but that have no typed field here: kept raw in `options`, no warning. */
const KEPT_RAW = ["check_flapping", "stream_backend"];
const DOTTED_PREFIXES = ["hooks", "stdout_stream", "stderr_stream"];
const KNOWN_NAMES = [
  ...Object.keys(WATCHER_FIELDS),
  ...KEPT_RAW,
  ...RLIMIT_NAMES.map((name) => `rlimit_${name}`),
];

/**
 * Read a `[watcher:NAME]` section (values already `$(circus.env.X)`-substituted).
 *
 * @param env the watcher's environment from the env sections.
 * @param baseDir the main configuration file's folder.
 * @throws ConfigError for a missing `cmd` or any bad value.
 */
export function watcherFromSection(
  view: SectionView,
  env: Record<string, string>,
  baseDir: string,
): WatcherConfig {
  const name = view.name.slice("watcher:".length).trim();
  if (name === "") view.fail(undefined, "a watcher section needs a name: [watcher:NAME]");
  return readWatcher(view, name, env, baseDir, null);
}

/**
 * The watcher options of a section. `plugin`: the section is a `[plugin:NAME]` one, whose
 * command circusd builds (its `cmd` is given here) and whose other options are the plugin's
 * own, hence not warned about.
 */
export function readWatcher(
  view: SectionView,
  name: string,
  env: Record<string, string>,
  baseDir: string,
  plugin: { cmd: string; defaults: Partial<WatcherConfig> } | null,
): WatcherConfig {
  const input: Partial<WatcherConfig> = plugin ? { ...plugin.defaults } : {};
  const rlimits: Record<string, number | null> = {};
  const hooks: Partial<Record<HookName, { ref: string; ignoreErrors: boolean }>> = {};
  const streams: Record<"stdout_stream" | "stderr_stream", Record<string, string> | null> = {
    stdout_stream: null,
    stderr_stream: null,
  };
  const options: Record<string, string> = {};

  for (const [option, value] of applyFields(view, WATCHER_FIELDS, input)) {
    const dot = option.indexOf(".");
    const prefix = dot < 0 ? option : option.slice(0, dot);
    const rest = dot < 0 ? "" : option.slice(dot + 1);
    if (option.startsWith("rlimit_")) {
      const limit = option.slice("rlimit_".length);
      if (!RLIMIT_NAMES.includes(limit)) {
        const guess = closestName(limit, RLIMIT_NAMES);
        view.fail(
          option,
          `unknown resource limit "${limit}"` +
            (guess === null
              ? `; expected one of ${RLIMIT_NAMES.join(", ")}`
              : `; did you mean "rlimit_${guess}"?`),
        );
      }
      rlimits[limit] = view.convert(option, parseRlimitValue);
    } else if (prefix === "hooks" || prefix === "stdout_stream" || prefix === "stderr_stream") {
      if (rest === "") view.fail(option, `expected ${prefix}.<name> = value`);
      if (prefix === "hooks") {
        hooks[hookName(view, option, rest)] = readHook(view, option, value);
      } else {
        (streams[prefix] ??= {})[rest] = value;
      }
    } else {
      options[option] = value;
      if (!plugin) warnUnknown(view, option, rest === "" ? null : { prefix, rest }, name);
    }
  }
  if (plugin) {
    for (const option of PLUGIN_COMMAND_OPTIONS)
      if (view.values.has(option))
        view.fail(option, `circusd runs a plugin itself: leave ${option} out`);
    input.cmd = plugin.cmd;
  }

  if (input.cmd === undefined || input.cmd.trim() === "") {
    view.fail("cmd", "missing required option (the program to run)");
  }
  const numprocessesSet = input.numprocesses;
  const config = completeWatcher(
    {
      ...input,
      cmd: input.cmd,
      name,
      env,
      rlimits,
      hooks,
      stdoutStream: toStream(streams.stdout_stream),
      stderrStream: toStream(streams.stderr_stream),
      options,
      baseDir,
      source: view.source(),
    },
    view.where(),
  );
  if (config.singleton && numprocessesSet !== undefined && numprocessesSet > 1) {
    view.warn("numprocesses", `singleton watchers run at most one process; using 1`);
  }
  return config;
}

/**
 * Unknown options stay for plugins, but a likely typo of a known one (`numprocess`,
 * `hook.before_start`) deserves a warning since it would otherwise do nothing.
 */
function warnUnknown(
  view: SectionView,
  option: string,
  dotted: { prefix: string; rest: string } | null,
  watcherName: string,
): void {
  if (option === "env") {
    view.warn(
      option,
      `not a watcher option (kept for plugins); use an [env:${watcherName}] section`,
    );
  } else if (dotted === null) {
    if (!KEPT_RAW.includes(option)) warnIfMisspelled(view, option, KNOWN_NAMES, "kept for plugins");
  } else {
    const guess = closestName(dotted.prefix, DOTTED_PREFIXES);
    if (guess !== null) {
      view.warn(option, `unknown option kept for plugins; did you mean "${guess}.${dotted.rest}"?`);
    }
  }
}

function hookName(view: SectionView, option: string, name: string): HookName {
  if ((HOOK_NAMES as readonly string[]).includes(name)) return name as HookName;
  const guess = closestName(name, HOOK_NAMES);
  return view.fail(
    option,
    `unknown hook "${name}"` +
      (guess === null
        ? `; expected one of ${HOOK_NAMES.join(", ")}`
        : `; did you mean "hooks.${guess}"?`),
  );
}

/** `path:export[, true|false]`: the flag says whether the hook's errors are ignored. */
function readHook(view: SectionView, option: string, value: string) {
  const comma = value.indexOf(",");
  const ref = (comma < 0 ? value : value.slice(0, comma)).trim();
  if (ref === "") view.fail(option, `expected "module-path:export[, true|false]", got ""`);
  const ignoreErrors =
    comma < 0 ? false : view.convert(option, () => parseBool(value.slice(comma + 1)));
  return { ref, ignoreErrors };
}

/** The stream class defaults to FileStream when only its options (e.g. `filename`) are given. */
function toStream(keys: Record<string, string> | null): StreamConfig | null {
  if (keys === null) return null;
  const { class: className, ...options } = keys;
  return { class: className === undefined || className === "" ? "FileStream" : className, options };
}

/**
 * Complete a watcher configuration for the library API: WATCHER_DEFAULTS for missing fields,
 * `name` from the command's basename, `baseDir` from the current folder at call time; then the
 * same invariants as the INI loader (numbers in range, known hooks and limits, singleton).
 *
 * @throws ConfigError naming the watcher and field.
 */
export function watcherConfig(
  input: Partial<WatcherConfig> & { name?: string; cmd: string },
): WatcherConfig {
  const name =
    input.name ??
    basename(
      String(input.cmd ?? "")
        .trim()
        .split(/\s+/)[0] ?? "",
    );
  return completeWatcher({ ...input, name }, { file: null, section: `watcher:${name}` });
}

/** Defaults, validation and the singleton rule, shared by the loader and the library API. */
function completeWatcher(
  input: Partial<WatcherConfig> & { name: string; cmd: string },
  where: ConfigLocation,
): WatcherConfig {
  const given = Object.fromEntries(
    Object.entries(input).filter(([, value]) => value !== undefined),
  ) as Partial<WatcherConfig>;
  const config: WatcherConfig = {
    name: input.name,
    cmd: input.cmd,
    ...WATCHER_DEFAULTS,
    baseDir: process.cwd(),
    ...given,
    // Fresh objects: callers must never share (and mutate) the defaults' containers.
    env: { ...input.env },
    rlimits: { ...input.rlimits },
    hooks: { ...input.hooks },
    options: { ...input.options },
  };
  validate(config, where);
  if (config.singleton && config.numprocesses > 1) config.numprocesses = 1;
  return config;
}

function validate(config: WatcherConfig, where: ConfigLocation): void {
  const fail = (option: string, detail: string): never => {
    throw new ConfigError(detail, { ...where, option });
  };
  if (typeof config.cmd !== "string" || config.cmd.trim() === "") {
    fail("cmd", "missing required option (the program to run)");
  }
  if (typeof config.name !== "string" || config.name.trim() === "") {
    fail("name", "a watcher needs a name");
  }
  const integer = (field: keyof WatcherConfig, value: number, min?: number): void => {
    if (!Number.isInteger(value)) fail(field, `expected an integer, got ${String(value)}`);
    if (min !== undefined && value < min) fail(field, `must be >= ${min}, got ${value}`);
  };
  integer("numprocesses", config.numprocesses, 0);
  integer("maxRetry", config.maxRetry, -1);
  integer("priority", config.priority);
  for (const field of ["warmupDelay", "gracefulTimeout", "maxAge", "maxAgeVariance"] as const) {
    const value = config[field];
    if (!Number.isFinite(value) || value < 0) {
      fail(field, `expected a non-negative number of seconds, got ${String(value)}`);
    }
  }
  if (parseSignal(config.stopSignal) === null) {
    fail("stopSignal", `expected a signal number, got ${String(config.stopSignal)}`);
  }
  for (const [limit, value] of Object.entries(config.rlimits)) {
    if (!RLIMIT_NAMES.includes(limit)) fail("rlimits", `unknown resource limit "${limit}"`);
    if (value !== null && (!Number.isInteger(value) || value < 0)) {
      fail("rlimits", `${limit}: expected a non-negative integer or null, got ${String(value)}`);
    }
  }
  for (const hook of Object.keys(config.hooks)) {
    if (!(HOOK_NAMES as readonly string[]).includes(hook)) fail("hooks", `unknown hook "${hook}"`);
  }
}
