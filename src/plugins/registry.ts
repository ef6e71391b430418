/**
 * Plugin classes by the name `use` gives: a built-in by its documented name
 * (`circus.plugins.flapping.Flapping`) or short name (`Flapping`), or a user's class as
 * `module-path:Export` (JS or TS), resolved relative to the config file.
 */
import { loadExport, ModuleLoadError } from "../sys/modules.js";
import type { PluginClass } from "./plugin.js";

/** The built-ins: documented full name -> loader of the class. */
export const BUILTIN_PLUGINS: Record<string, () => Promise<PluginClass>> = {
  "circus.plugins.flapping.Flapping": async () => (await import("./builtin/flapping.js")).Flapping,
  "circus.plugins.command_reloader.CommandReloader": async () =>
    (await import("./builtin/command-reloader.js")).CommandReloader,
  "circus.plugins.watchdog.WatchDog": async () => (await import("./builtin/watchdog.js")).WatchDog,
  "circus.plugins.watchdog.Watchdog": async () => (await import("./builtin/watchdog.js")).WatchDog,
  "circus.plugins.resource_watcher.ResourceWatcher": async () =>
    (await import("./builtin/resource-watcher.js")).ResourceWatcher,
  "circus.plugins.statsd.StatsdEmitter": async () =>
    (await import("./builtin/statsd.js")).StatsdEmitter,
  "circus.plugins.statsd.FullStats": async () => (await import("./builtin/statsd.js")).FullStats,
  "circus.plugins.http_observer.HttpObserver": async () =>
    (await import("./builtin/http-observer.js")).HttpObserver,
  "circus.plugins.redis_observer.RedisObserver": async () =>
    (await import("./builtin/redis-observer.js")).RedisObserver,
};

/** A `use` that names no plugin: unknown built-in, missing module or export. */
export class PluginLoadError extends Error {
  override name = "PluginLoadError";
}

/** The built-in a `use` value names (full or short name), or undefined. */
function builtin(use: string): (() => Promise<PluginClass>) | undefined {
  if (Object.hasOwn(BUILTIN_PLUGINS, use)) return BUILTIN_PLUGINS[use];
  const short = Object.keys(BUILTIN_PLUGINS).find((full) => full.split(".").pop() === use);
  return short === undefined ? undefined : BUILTIN_PLUGINS[short];
}

/** Whether `use` can only mean a built-in (a dotted Python name, no module path). */
function looksBuiltin(use: string): boolean {
  return !/[:/\\]/.test(use) && !/\.(m?[jt]s|cjs)$/.test(use);
}

/** Resolves `use` to a plugin class; a PluginLoadError says why it cannot. */
export async function resolvePlugin(use: string, baseDir: string): Promise<PluginClass> {
  const name = use.trim();
  const load = builtin(name);
  if (load) return load();
  if (looksBuiltin(name)) {
    const known = Object.keys(BUILTIN_PLUGINS).map((full) => full.split(".").pop());
    throw new PluginLoadError(
      `unknown plugin ${JSON.stringify(use)}; built-in ones are ${known.join(", ")}, ` +
        "a module is module-path:Export",
    );
  }
  let found: unknown;
  try {
    found = await loadExport(name, baseDir);
  } catch (error) {
    if (error instanceof ModuleLoadError) throw new PluginLoadError(error.message);
    throw error;
  }
  if (typeof found !== "function") throw new PluginLoadError(`${use} is not a class`);
  return found as PluginClass;
}
