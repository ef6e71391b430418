/**
 * Checks a config's plugins in circusd before anything starts: the class `use` names loads,
 * and its declared options read (a plugin is constructed, never started, so its constructor
 * must not connect anywhere: that is `handleInit`'s job).
 */
import { ConfigError, sourceLocation } from "../config/errors.js";
import type { CircusOptions, PluginConfig } from "../config/types.js";
import { PluginOptionError } from "./options.js";
import { PluginLoadError, resolvePlugin } from "./registry.js";

/** Throws a ConfigError naming `[plugin:NAME]` and the option when a plugin cannot run. */
export async function checkPlugins(plugins: PluginConfig[], circus: CircusOptions): Promise<void> {
  for (const plugin of plugins) {
    const where = (option: string) =>
      sourceLocation(plugin.source, `plugin:${plugin.name}`, option);
    try {
      const Plugin = await resolvePlugin(plugin.use, plugin.watcher.baseDir);
      new Plugin(circus.endpoint, circus.pubsubEndpoint, circus.checkDelay, plugin.config);
    } catch (error) {
      if (error instanceof PluginOptionError)
        throw new ConfigError(error.message, where(error.option));
      if (error instanceof PluginLoadError) throw new ConfigError(error.message, where("use"));
      throw new ConfigError(`cannot create the plugin: ${(error as Error).message}`, where("use"));
    }
  }
}
