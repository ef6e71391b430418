import type { SectionView } from "./section.js";
import type { PluginConfig } from "./types.js";
import { parseBool } from "./values.js";
import { readWatcher } from "./watcher.js";

/** What a plugin's watcher runs with unless its section says otherwise (as Circus). */
export const PLUGIN_WATCHER_DEFAULTS = { priority: 1, singleton: true, copyEnv: true };

/**
 * Read a `[plugin:NAME]` section: `use` is required, every other key goes raw (after
 * `$(circus.env.X)` substitution) into the plugin's config mapping, and the watcher options
 * among them (priority, numprocesses, streams, ...) also shape the watcher `plugin:NAME` that
 * runs the plugin.
 *
 * @throws ConfigError when `use` is missing or empty, `active` is not a boolean, or a watcher
 * option is bad.
 */
export function pluginFromSection(
  view: SectionView,
  env: Record<string, string>,
  baseDir: string,
): PluginConfig {
  const name = view.nameAfter("plugin");
  const use = view.values.get("use")?.value.trim() ?? "";
  if (use === "") view.fail("use", "missing required option (the plugin to load)");
  const config: Record<string, string> = {};
  for (const [option, { value }] of view.values) if (option !== "use") config[option] = value;
  // Every plugin takes it (Circus's base class reads it too, and refuses to start when false).
  const active = view.values.has("active") ? view.convert("active", parseBool) : true;
  const watcher = readWatcher(view, `plugin:${name}`, env, baseDir, {
    // circusd builds the real command line when it knows its endpoints.
    cmd: "circus-plugin",
    defaults: PLUGIN_WATCHER_DEFAULTS,
  });
  return { name, use, config, active, watcher, source: view.source() };
}
