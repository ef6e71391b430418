/**
 * The library's entry: `getArbiter`, as Circus's `get_arbiter`, builds the arbiter circusd
 * runs, served on the same endpoints, from plain objects with every default applied.
 */
import { PLUGIN_WATCHER_DEFAULTS } from "./config/plugin.js";
import { socketConfig } from "./config/socket.js";
import type { CircusOptions, PluginConfig, SocketConfig, WatcherConfig } from "./config/types.js";
import { watcherConfig } from "./config/watcher.js";
import { httpdRunner, papaRunner, pluginRunner, statsRunner } from "./cli/plugin-runner.js";
import { ServedArbiter, type ServeOptions } from "./control/served-arbiter.js";

/** A watcher as the library takes it: `cmd` plus any WatcherConfig field. */
export type WatcherInput = Partial<WatcherConfig> & { cmd: string };

/** A socket as the library takes it: `name` plus any SocketConfig field. */
export type SocketInput = Partial<SocketConfig> & { name: string };

/** A plugin as the library takes it, as a `[plugin:NAME]` section would give it. */
export interface PluginInput {
  name: string;
  /** A built-in's documented name or `module-path:Export`. */
  use: string;
  /** The plugin's options, as text (as in the section). */
  config?: Record<string, string>;
  active?: boolean;
  /** Options of the watcher `plugin:NAME` that runs it. */
  watcher?: Partial<WatcherConfig>;
}

/**
 * What `getArbiter` takes besides the watchers: every `[circus]` option under its field name
 * (`endpoint`, `pubsubEndpoint`, `checkDelay`, `statsd`, `httpd`, `multicastEndpoint`,
 * `debug`, ...), and Circus's `get_arbiter` arguments.
 */
export interface ArbiterOptions extends Partial<CircusOptions>, ServeOptions {
  /** The control endpoint, under Circus's argument name (`endpoint` is the same). */
  controller?: string;
  sockets?: SocketInput[];
  plugins?: PluginInput[];
}

function pluginConfig(input: PluginInput): PluginConfig {
  return {
    name: input.name,
    use: input.use,
    config: input.config ?? {},
    active: input.active ?? true,
    // The arbiter builds the real command line when it knows its endpoints.
    watcher: watcherConfig({
      ...PLUGIN_WATCHER_DEFAULTS,
      ...input.watcher,
      name: `plugin:${input.name}`,
      cmd: "circus-plugin",
    }),
    source: null,
  };
}

/**
 * Creates an arbiter for the given watchers, as Circus's `get_arbiter(watchers, **options)`:
 * `start()` binds the control and pub/sub endpoints (so `circusctl --endpoint` drives it and
 * `circusctl listen` follows it), binds the sockets and starts the watchers; `stop()` stops
 * them and closes everything. A `quit` command stops it.
 *
 * @throws ConfigError for a bad watcher field, or an option this release does not run yet
 * (statsd, httpd), with the line circusd would print.
 */
export function getArbiter(watchers: WatcherInput[], options: ArbiterOptions = {}): ServedArbiter {
  const { controller, sockets, plugins, procName, onQuit, ...circus } = options;
  const serve: ServeOptions = {
    pluginRunner: pluginRunner(),
    statsRunner: statsRunner(),
    papaRunner: papaRunner(),
    httpdRunner: httpdRunner(),
  };
  if (onQuit) serve.onQuit = onQuit;
  if (procName !== undefined) serve.procName = procName;
  return new ServedArbiter(
    watchers.map((w) => watcherConfig(w)),
    controller === undefined ? circus : { ...circus, endpoint: controller },
    (sockets ?? []).map((s) => socketConfig(s)),
    (plugins ?? []).map(pluginConfig),
    serve,
  );
}
