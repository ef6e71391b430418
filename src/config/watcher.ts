import { basename } from "node:path";
import { parseSignal } from "../sys/signals.js";
import { WATCHER_DEFAULTS } from "./defaults.js";
import { ConfigError, type ConfigLocation } from "./errors.js";
import { applyFields, warnIfMisspelled, type FieldSetter, type SectionView } from "./section.js";
import { HOOK_NAMES, type WatcherConfig } from "./types.js";
import { closestName, RLIMIT_NAMES } from "./values.js";
import { familyOf, KEY_FAMILIES, plainOption, WATCHER_OPTIONS } from "./watcher-options.js";

/** The options of a section that fill a typed field, from the one table. */
const FIELD_SETTERS: Record<string, FieldSetter<WatcherConfig>> = {};
for (const [name, { field, parse }] of Object.entries(WATCHER_OPTIONS)) {
  if (parse === null || field === "options") continue;
  FIELD_SETTERS[name] = (target, text) => {
    (target as Record<string, unknown>)[field] = parse(text);
  };
}

/** The command line of a plugin's watcher is circusd's to build: these would have no effect. */
const PLUGIN_COMMAND_OPTIONS = ["cmd", "args", "shell", "shell_args", "executable"];

/** What a misspelt option is compared with. */
const FILE_OPTION_NAMES = [
  ...Object.keys(WATCHER_OPTIONS).filter((name) => WATCHER_OPTIONS[name]?.parse !== null),
  ...RLIMIT_NAMES.map((name) => `rlimit_${name}`),
];
const DOTTED_FAMILIES = KEY_FAMILIES.filter((family) => family.prefix.endsWith(".")).map(
  (family) => family.name,
);

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
  return readWatcher(view, view.nameAfter("watcher"), env, baseDir, null);
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
  const options: Record<string, string> = {};
  // The typed options first, so that their errors come before the families'.
  for (const [option, value] of applyFields(view, FIELD_SETTERS, input)) {
    const found = familyOf(option);
    if (found) {
      found.family.readFile(view, option, found.member, value, input);
    } else {
      options[option] = value;
      // The options kept raw on purpose (`check_flapping`) are not typos.
      if (!plugin && plainOption(option)?.parse == null) warnUnknown(view, option, name);
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
    { ...input, cmd: input.cmd, name, env, options, baseDir, source: view.source() },
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
function warnUnknown(view: SectionView, option: string, watcherName: string): void {
  const dot = option.indexOf(".");
  const rest = dot < 0 ? "" : option.slice(dot + 1);
  if (option === "env") {
    view.warn(
      option,
      `not a watcher option (kept for plugins); use an [env:${watcherName}] section`,
    );
  } else if (rest === "") {
    warnIfMisspelled(view, option, FILE_OPTION_NAMES, "kept for plugins");
  } else {
    const guess = closestName(option.slice(0, dot), DOTTED_FAMILIES);
    if (guess !== null) {
      view.warn(option, `unknown option kept for plugins; did you mean "${guess}.${rest}"?`);
    }
  }
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

/** A config field's option name, as the file and the wire spell it (`gracefulTimeout`: `graceful_timeout`). */
const OPTION_OF_FIELD = new Map(
  Object.entries(WATCHER_OPTIONS)
    .filter(([, o]) => o.field !== "options")
    .map(([name, o]) => [o.field as string, name]),
);

function validate(config: WatcherConfig, where: ConfigLocation): void {
  const fail = (field: string, detail: string): never => {
    throw new ConfigError(detail, { ...where, option: OPTION_OF_FIELD.get(field) ?? field });
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
