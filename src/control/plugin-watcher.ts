/**
 * A `[plugin:NAME]` becomes the watcher `plugin:NAME`, as in Circus: one process running
 * `circus-plugin` with circusd's endpoints and the section's options.
 */
import path from "node:path";
import { WATCHER_DEFAULTS } from "../config/defaults.js";
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
 * A watcher circus runs for itself from `[circus]` (circusd-stats, circushttpd), as Circus
 * builds them: a singleton node process with the sockets and circusd's environment, its log
 * level and output on its command line (after `args`), its output to circusd's with `debug`,
 * to /dev/null with `closeOutputs`.
 */
export function ownWatcherConfig(
  name: string,
  circus: CircusOptions,
  args: string[],
  closeOutputs: boolean,
): WatcherConfig {
  const all = [
    ...args,
    "--log-level",
    circus.debug ? "debug" : circus.loglevel.toLowerCase(),
    ...curveArgs(circus),
  ];
  const output = childLogOutput(circus);
  if (output !== null) all.push("--log-output", output);
  const stream = (cls: string) => (circus.debug ? { class: cls, options: {} } : null);
  return {
    ...WATCHER_DEFAULTS,
    name,
    cmd: process.execPath,
    args: all,
    singleton: true,
    useSockets: true,
    copyEnv: true,
    copyPath: true,
    closeChildStdout: closeOutputs,
    closeChildStderr: closeOutputs,
    stdoutStream: stream("StdoutStream"),
    stderrStream: stream("StderrStream"),
    baseDir: process.cwd(),
    source: circus.source,
  };
}

/**
 * With CURVE, circus's own programs (circusd-stats, circushttpd, the plugins) are given
 * circusd's key file, from which they derive circus's own (admin) client key.
 */
function curveArgs(circus: CircusOptions): string[] {
  if (circus.curveSecretKey === null) return [];
  return ["--curve-circus-key", path.resolve(circus.curveSecretKey)];
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
  args.push(...curveArgs(circus));
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
