/**
 * A `[plugin:NAME]` becomes the watcher `plugin:NAME`, as in Circus: one process running
 * `circus-plugin` with circusd's endpoints and the section's options.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { CircusOptions, PluginConfig, WatcherConfig } from "../config/types.js";

const built = fileURLToPath(new URL("../cli/circus-plugin.js", import.meta.url));
const source = fileURLToPath(new URL("../cli/circus-plugin.ts", import.meta.url));

/** node's arguments that run circus-plugin (from dist; from src through tsx in development). */
function pluginScript(): string[] {
  return existsSync(built) ? [built] : ["--import", "tsx", source];
}

/** `use` as the plugin process must see it: a module path made absolute (its cwd differs). */
function pluginUse(plugin: PluginConfig, baseDir: string): string {
  const colon = plugin.use.lastIndexOf(":");
  const module = colon > 0 ? plugin.use.slice(0, colon) : plugin.use;
  if (!module.startsWith(".")) return plugin.use;
  return path.resolve(baseDir, module) + (colon > 0 ? plugin.use.slice(colon) : "");
}

/** The watcher that runs a plugin, with circusd's endpoints on its command line. */
export function pluginWatcherConfig(plugin: PluginConfig, circus: CircusOptions): WatcherConfig {
  const args = [
    ...pluginScript(),
    "--endpoint",
    circus.endpoint,
    "--pubsub",
    circus.pubsubEndpoint,
    "--check-delay",
    String(circus.checkDelay),
    "--log-level",
    circus.loglevel,
  ];
  for (const [key, value] of Object.entries(plugin.config))
    args.push("--config", `${key}:${value}`);
  args.push(pluginUse(plugin, plugin.watcher.baseDir));
  return { ...plugin.watcher, cmd: process.execPath, args, shell: false, executable: null };
}
