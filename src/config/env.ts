/**
 * Environment handling: `[env]` / `[env:PATTERNS]` sections, `$VAR` expansion in their values and
 * `$(circus.env.NAME)` substitution in every section.
 */
import { ConfigError, type LocatedWarn } from "./errors.js";
import { fnmatch } from "./fnmatch.js";
import type { IniOption, IniSection } from "./ini.js";

/** An environment as `process.env` has it (values may be undefined). */
export type EnvMap = Readonly<Record<string, string | undefined>>;

/**
 * Look a variable up in layers, most specific first. Within a layer the exact name wins, then a
 * case-insensitive match: Circus lower-cases names for `$(circus.env.x)`, so `$(circus.env.shell)`
 * finds `SHELL`, yet a more specific layer must still beat a less specific one.
 */
export function lookupEnv(name: string, layers: readonly EnvMap[]): string | undefined {
  const lower = name.toLowerCase();
  for (const layer of layers) {
    const exact = own(layer, name);
    if (exact !== undefined) return exact;
    for (const [key, value] of Object.entries(layer)) {
      if (value !== undefined && key.toLowerCase() === lower) return value;
    }
  }
  return undefined;
}

/** `map[key]` without inherited properties such as `constructor`. */
function own(map: EnvMap, key: string): string | undefined {
  return Object.hasOwn(map, key) ? map[key] : undefined;
}

const CIRCUS_ENV = /\$\(circus\.env\.([\w.-]+)\)|\(\(circus\.env\.([\w.-]+)\)\)/gi;

/**
 * Replace `$(circus.env.NAME)` and `((circus.env.NAME))` (case-insensitive) with values from
 * `layers`. Other `$(circus.X)` forms (`wid`, `sockets.NAME`, ...) are left for the process
 * spawner; so is an unknown variable, after `onUnknown` is told about it, since the spawner may
 * know more (e.g. the copied environment).
 */
export function substituteCircusEnv(
  value: string,
  layers: readonly EnvMap[],
  onUnknown?: (name: string, text: string) => void,
): string {
  return value.replace(CIRCUS_ENV, (text: string, paren?: string, doubled?: string) => {
    const name = paren ?? doubled ?? "";
    const found = lookupEnv(name, layers);
    if (found !== undefined) return found;
    onUnknown?.(name, text);
    return text;
  });
}

const SHELL_VAR = /\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g;

/**
 * Bash-style `$NAME` / `${NAME}` expansion. An unset variable expands to "" as in a shell,
 * after `onUnknown` is told. `$(` and a lone `$` are left alone.
 */
export function expandEnvVars(
  value: string,
  lookup: (name: string) => string | undefined,
  onUnknown?: (name: string) => void,
): string {
  return value.replace(SHELL_VAR, (_text: string, braced?: string, bare?: string) => {
    const name = braced ?? bare ?? "";
    const found = lookup(name);
    if (found !== undefined) return found;
    onUnknown?.(name);
    return "";
  });
}

/** An env section with the watcher patterns it applies to (null: `[env]`, every watcher). */
export interface EnvSectionRef {
  section: IniSection;
  patterns: string[] | null;
}

/**
 * Read the patterns of `[env]` / `[env:a,b]` / `[env:wild*]`.
 *
 * @throws ConfigError for `[env:]` with no pattern.
 */
export function envSectionRef(section: IniSection): EnvSectionRef {
  if (section.name === "env") return { section, patterns: null };
  const patterns = section.name
    .slice("env:".length)
    .split(",")
    .map((pattern) => pattern.trim())
    .filter((pattern) => pattern !== "");
  if (patterns.length === 0) {
    throw new ConfigError("expected [env:WATCHER[,WATCHER...]] with at least one watcher name", {
      file: section.file,
      line: section.line,
      section: section.name,
    });
  }
  return { section, patterns };
}

/** Whether an env section applies to a watcher (fnmatch on the watcher name). */
export function envSectionApplies(ref: EnvSectionRef, watcherName: string): boolean {
  return ref.patterns === null || ref.patterns.some((pattern) => fnmatch(watcherName, pattern));
}

/**
 * Evaluate one env section on top of `env` (mutated): first `$(circus.env.X)` from
 * `circusLayers`, then `$VAR` expansion.
 *
 * `$VAR` resolves to what earlier keys and earlier matching sections set, else to circusd's
 * environment; but a variable named in its own value (`PATH = $PATH:/bin`) means the value
 * inherited from circusd. That is what the reference documents: after `[env:w1,w2] PATH = /bin`,
 * `[env:w1] PATH = $PATH` gives w1 circusd's PATH, not "/bin".
 */
function applyEnvSection(
  section: IniSection,
  env: Record<string, string>,
  osEnv: EnvMap,
  circusLayers: readonly EnvMap[],
  warn: LocatedWarn,
): void {
  for (const option of section.options.values()) {
    const where = locate(section, option);
    const substituted = substituteCircusEnv(option.value, circusLayers, (_name, text) =>
      warn(where, `unknown variable ${text} left as is`),
    );
    env[option.name] = expandEnvVars(
      substituted,
      (name) =>
        name === option.name
          ? (own(osEnv, name) ?? own(env, name))
          : (own(env, name) ?? own(osEnv, name)),
      (name) => warn(where, `$${name} is not set; it expands to ""`),
    );
  }
}

function locate(section: IniSection, option: IniOption) {
  return { file: option.file, line: option.line, section: section.name, option: option.name };
}

/**
 * The `[env]` section evaluated against circusd's environment: the middle layer of
 * `$(circus.env.X)` lookups for every section.
 */
export function buildGlobalEnv(
  section: IniSection | undefined,
  osEnv: EnvMap,
  warn: LocatedWarn,
): Record<string, string> {
  const env: Record<string, string> = {};
  if (section !== undefined) applyEnvSection(section, env, osEnv, [osEnv], warn);
  return env;
}

/**
 * The environment a watcher gets from the env sections. `[env]` is the base wherever it appears,
 * since a variable in `[env:XXX]` must override one in `[env]`; the `[env:...]` sections that
 * match the watcher then apply in file order, a later one overriding an earlier one.
 * `$(circus.env.X)` in `[env:...]` sections reads `[env]`, then circusd's environment.
 *
 * @param globalEnv the `[env]` section as `buildGlobalEnv` evaluated it.
 * @param refs the `[env:...]` sections in file order.
 */
export function buildWatcherEnv(
  watcherName: string,
  refs: readonly EnvSectionRef[],
  osEnv: EnvMap,
  globalEnv: Readonly<Record<string, string>>,
  warn: LocatedWarn,
): Record<string, string> {
  const env: Record<string, string> = { ...globalEnv };
  for (const ref of refs) {
    if (ref.patterns === null || !envSectionApplies(ref, watcherName)) continue;
    applyEnvSection(ref.section, env, osEnv, [globalEnv, osEnv], warn);
  }
  return env;
}
