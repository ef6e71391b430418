import { ConfigError, sourceLocation } from "../config/errors.js";
import type { CircusConfig } from "../config/types.js";
import { usesSocket } from "../core/watcher-setup.js";

/**
 * The documented features this release parses but does not run yet. Rather than ignore them
 * silently, circusd (and the library's arbiter) refuses the config with a line naming the
 * section and option.
 */
export function checkSupported(
  config: Pick<CircusConfig, "circus" | "watchers" | "sockets" | "plugins">,
): ConfigError | null {
  const later = (what: string) => `${what} is not supported yet by this release`;
  for (const socket of config.sockets) {
    if (socket.usePapa)
      return new ConfigError(
        later("the Papa process kernel"),
        sourceLocation(socket.source, `socket:${socket.name}`, "use_papa"),
      );
  }
  // A plugin runs as a watcher, with every watcher option: the same refusals apply.
  for (const w of [...config.watchers, ...config.plugins.map((p) => p.watcher)]) {
    const section = w.source?.section ?? `watcher:${w.name}`;
    if (w.usePapa)
      return new ConfigError(
        later("the Papa process kernel"),
        sourceLocation(w.source, section, "use_papa"),
      );
    // The shared so_reuseport socket does not listen (its workers' siblings do): there is
    // no connection to wait for on it.
    const reused = config.sockets.find(
      (s) => s.soReuseport && s.family !== "AF_UNIX" && usesSocket(w, s.name),
    );
    if (w.onDemand && reused)
      return new ConfigError(
        later(`on_demand with the so_reuseport socket ${reused.name}`),
        sourceLocation(w.source, section, "on_demand"),
      );
  }
  return null;
}
