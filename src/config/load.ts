import { dirname, resolve } from "node:path";
import { circusFromSection, INCLUDE_OPTIONS } from "./circus.js";
import {
  buildGlobalEnv,
  buildWatcherEnv,
  envSectionRef,
  type EnvMap,
  type EnvSectionRef,
} from "./env.js";
import { ConfigError, formatLocation, type LocatedWarn } from "./errors.js";
import { resolveIncludes } from "./include.js";
import {
  isEnvSectionName,
  mergeIniFiles,
  readIniFile,
  type IniFile,
  type IniSection,
} from "./ini.js";
import { pluginFromSection } from "./plugin.js";
import { SectionView } from "./section.js";
import { socketFromSection } from "./socket.js";
import type {
  CircusConfig,
  ConfigSource,
  PluginConfig,
  SocketConfig,
  WatcherConfig,
} from "./types.js";
import { hasWildcard } from "./fnmatch.js";
import { watcherFromSection } from "./watcher.js";

// The library API builds watchers with the same defaults and checks as the loader.
export { watcherConfig } from "./watcher.js";

export interface LoadConfigOptions {
  /** circusd's environment for `$VAR` and `$(circus.env.X)`; defaults to `process.env`. */
  env?: Record<string, string | undefined>;
  /** Receives one-line warnings (typos, unset variables, empty includes); defaults to
   * `process.emitWarning`. The same message is given once. */
  warn?: (message: string) => void;
}

/**
 * Load a Circus INI configuration file and the files it includes into typed objects, with every
 * default applied and every value checked.
 *
 * Watchers, sockets and plugins are sorted by name, as Circus does, so the order does not
 * depend on how the sections are spread over included files.
 *
 * @throws ConfigError naming file, line, section and option of the first problem found.
 */
export function loadConfig(path: string, opts: LoadConfigOptions = {}): CircusConfig {
  const file = resolve(path);
  const baseDir = dirname(file);
  const osEnv: EnvMap = opts.env ?? process.env;
  const warn = onceWarn(
    opts.warn ?? ((message) => process.emitWarning(message, "CircusConfigWarning")),
  );

  const sections = readWithIncludes(file, baseDir, osEnv, warn);

  let circusSection: IniSection | undefined;
  let globalEnvSection: IniSection | undefined;
  const envRefs: EnvSectionRef[] = [];
  const watcherSections: IniSection[] = [];
  const socketSections: IniSection[] = [];
  const pluginSections: IniSection[] = [];
  for (const section of sections) {
    const { name } = section;
    if (name === "circus") circusSection = section;
    else if (name === "env") globalEnvSection = section;
    else if (isEnvSectionName(name)) envRefs.push(envSectionRef(section));
    else if (name.startsWith("watcher:")) watcherSections.push(section);
    else if (name.startsWith("socket:")) socketSections.push(section);
    else if (name.startsWith("plugin:")) pluginSections.push(section);
    else {
      throw new ConfigError(
        "unknown section; expected [circus], [watcher:NAME], [socket:NAME], [plugin:NAME], " +
          "[env] or [env:WATCHERS]",
        { file: section.file, line: section.line, section: name },
      );
    }
  }

  const globalEnv = buildGlobalEnv(globalEnvSection, osEnv, warn);
  const globalLayers = [globalEnv, osEnv];
  const view = (section: IniSection, layers: readonly EnvMap[]) =>
    new SectionView(section, layers, warn);

  const circus = circusFromSection(
    circusSection === undefined ? undefined : view(circusSection, globalLayers),
  );

  // Circus skips empty sections; say so, since an empty [watcher:x] is usually a mistake.
  const nonEmpty = (section: IniSection): boolean => {
    if (section.options.size > 0) return true;
    warn(
      { file: section.file, line: section.line, section: section.name },
      "empty section ignored",
    );
    return false;
  };

  const watchers: WatcherConfig[] = [];
  const watcherNames = watcherSections.map((section) =>
    section.name.slice("watcher:".length).trim(),
  );
  for (const ref of envRefs) warnUnmatched(ref, watcherNames, warn);
  for (const section of watcherSections.filter(nonEmpty)) {
    const name = section.name.slice("watcher:".length).trim();
    const env = buildWatcherEnv(name, envRefs, osEnv, globalEnv, warn);
    watchers.push(watcherFromSection(view(section, [env, globalEnv, osEnv]), env, baseDir));
  }
  const sockets: SocketConfig[] = socketSections
    .filter(nonEmpty)
    .map((section) => socketFromSection(view(section, globalLayers)))
    .map((socket) => ownerOnlyUnix(socket, circus.umask));
  const plugins: PluginConfig[] = pluginSections
    .filter(nonEmpty)
    .map((section) => pluginFromSection(view(section, globalLayers), globalEnv, baseDir));

  for (const list of [watchers, sockets, plugins]) {
    checkUniqueNames(list);
    list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
  return { file, circus, watchers, sockets, plugins };
}

/**
 * The sections of the main file and of its includes, merged as Circus's reader merges them
 * (see {@link mergeIniFiles}): an included file may add options to a section of the main file,
 * `[circus]` and `[env]` included, but never change one. Includes are not followed recursively,
 * as in Circus: an `include` or `include_dir` in an included file is dropped with a warning. A
 * pattern that also matches the main file does not read it twice.
 */
function readWithIncludes(
  file: string,
  baseDir: string,
  osEnv: EnvMap,
  warn: LocatedWarn,
): IniSection[] {
  const main = readIniFile(file);
  const circus = main.sections.find((s) => s.name === "circus");
  if (circus === undefined) return main.sections;

  // Only the main file's [env] can feed $(circus.env.X) in include paths: the rest is unread.
  const env = main.sections.find((s) => s.name === "env");
  const view = new SectionView(circus, [buildGlobalEnv(env, osEnv, warn), osEnv], warn);
  const files = resolveIncludes({
    baseDir,
    include: view.values.get("include")?.value,
    includeDir: view.values.get("include_dir")?.value,
    warn: (option, message) => view.warn(option, message),
  });
  const included = files
    .filter((f) => f !== file)
    .map((f) => withoutIncludes(readIniFile(f), warn));
  return mergeIniFiles([main, ...included], warn);
}

/** An included file without the `include` / `include_dir` of its `[circus]`, which are not read. */
function withoutIncludes(ini: IniFile, warn: LocatedWarn): IniFile {
  const sections = ini.sections.map((section) => {
    if (section.name !== "circus") return section;
    const options = new Map(section.options);
    for (const name of INCLUDE_OPTIONS) {
      const option = options.get(name);
      if (option === undefined) continue;
      warn(
        { file: option.file, line: option.line, section: section.name, option: name },
        "not followed: only the main config file's includes are read (as in Circus)",
      );
      options.delete(name);
    }
    return { ...section, options };
  });
  return { ...ini, sections };
}

/** `[env:wrokers]` matching nothing is likely a typo; a wildcard matching nothing is not. */
function warnUnmatched(ref: EnvSectionRef, watcherNames: string[], warn: LocatedWarn): void {
  for (const pattern of ref.patterns ?? []) {
    if (hasWildcard(pattern)) continue;
    if (watcherNames.includes(pattern)) continue;
    warn(
      { file: ref.section.file, line: ref.section.line, section: ref.section.name },
      `no watcher named "${pattern}"`,
    );
  }
}

/** `[socket:Web]` and `[socket:web]` are distinct sections but the same socket name. */
function checkUniqueNames(
  list: ReadonlyArray<{ name: string; source: ConfigSource | null }>,
): void {
  const seen = new Map<string, ConfigSource | null>();
  for (const { name, source } of list) {
    const first = seen.get(name);
    if (first !== undefined && source !== null) {
      throw new ConfigError(
        `name "${name}" is already used by [${first?.section ?? "?"}] in ${first?.file ?? "?"}`,
        { file: source.file, section: source.section },
      );
    }
    seen.set(name, source);
  }
}

/** Format located warnings and drop repeats (env sections are evaluated once per watcher). */
function onceWarn(sink: (message: string) => void): LocatedWarn {
  const given = new Set<string>();
  return (where, message) => {
    const line = formatLocation(where) + message;
    if (given.has(line)) return;
    given.add(line);
    sink(line);
  };
}

/**
 * A unix socket file is created read-write for its owner only (umask 0177), unless its
 * section or `[circus]` gives a umask: a web server running as another user needs the
 * section's `umask` (007 for its group, 000 for everyone).
 */
function ownerOnlyUnix(socket: SocketConfig, circusUmask: number | null): SocketConfig {
  if (socket.family !== "AF_UNIX" || socket.umask !== null || circusUmask !== null) return socket;
  return { ...socket, umask: 0o177 };
}
