/**
 * A `[plugin:NAME]` becomes the watcher `plugin:NAME`, as in Circus: one process running
 * `circus-plugin` with circusd's endpoints and the section's options.
 */
import path from "node:path";
import type { CircusOptions, PluginConfig, WatcherConfig } from "../config/types.js";
import { refuseCircusWatchers } from "../core/arbiter.js";
import { logger } from "../log/logger.js";

/** `use` as the plugin process must see it: a module path made absolute (its cwd differs). */
function pluginUse(plugin: PluginConfig, baseDir: string): string {
  const colon = plugin.use.lastIndexOf(":");
  const module = colon > 0 ? plugin.use.slice(0, colon) : plugin.use;
  if (!module.startsWith(".")) return plugin.use;
  return path.resolve(baseDir, module) + (colon > 0 ? plugin.use.slice(colon) : "");
}

/**
 * Where a plugin or circusd-stats logs, as Circus passes it: where circusd does (a file path
 * made absolute, since the child's working_dir may differ), or null for its stdout. With a
 * loggerconfig, circusd's own lines follow that file, which the child does not read: it
 * keeps its stdout.
 */
export function childLogOutput(circus: CircusOptions): string | null {
  const config = circus.loggerconfig?.trim().toLowerCase();
  if (config && config !== "default") return null;
  const output = circus.logoutput.trim();
  if (output === "" || output === "-" || output === "stdout") return null;
  return output.startsWith("syslog:") ? output : path.resolve(output);
}

/**
 * The watcher that runs a plugin, with circusd's endpoints and logging on its command line, as
 * Circus builds it. With `[circus] debug`, the plugin logs at debug level and its output goes
 * to circusd's stdout and stderr (unless its section names streams of its own). `runner` is
 * node's arguments that run circus-plugin.
 */
export function pluginWatcherConfig(
  plugin: PluginConfig,
  circus: CircusOptions,
  runner: string[],
): WatcherConfig {
  const args = [
    ...runner,
    "--endpoint",
    circus.endpoint,
    "--pubsub",
    circus.pubsubEndpoint,
    "--check-delay",
    String(circus.checkDelay),
    "--log-level",
    circus.debug ? "debug" : circus.loglevel,
  ];
  const output = childLogOutput(circus);
  if (output !== null) args.push("--log-output", output);
  for (const [key, value] of Object.entries(plugin.config))
    args.push("--config", `${key}:${value}`);
  args.push(pluginUse(plugin, plugin.watcher.baseDir));
  const { stdoutStream, stderrStream } = plugin.watcher;
  return {
    ...plugin.watcher,
    cmd: process.execPath,
    args,
    shell: false,
    executable: null,
    stdoutStream: stdoutStream ?? (circus.debug ? { class: "StdoutStream", options: {} } : null),
    stderrStream: stderrStream ?? (circus.debug ? { class: "StderrStream", options: {} } : null),
  };
}

/**
 * The watchers of the active plugins; an inactive one (`active = false`) does not run.
 * Without a runner (nothing to run circus-plugin with), an active plugin is refused.
 */
export function pluginWatchers(
  plugins: PluginConfig[],
  circus: CircusOptions,
  runner: string[] | undefined,
): WatcherConfig[] {
  if (!runner) return refuseCircusWatchers(plugins, { statsd: false, httpd: false });
  const active = plugins.filter((p) => p.active);
  for (const p of plugins)
    if (!p.active) logger.info(`plugin:${p.name} is not started: its section says active = false`);
  return active.map((p) => pluginWatcherConfig(p, circus, runner));
}
