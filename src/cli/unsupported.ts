import { ConfigError, type ConfigLocation } from "../config/errors.js";
import type { CircusConfig, ConfigSource } from "../config/types.js";
import { usesSocket } from "../core/watcher-setup.js";

function at(source: ConfigSource | null, fallback: string, option?: string): ConfigLocation {
  return { file: source?.file ?? null, section: source?.section ?? fallback, option };
}

/**
 * The documented features this release parses but does not run yet. Rather than ignore them
 * silently, circusd refuses the config with a line naming the section and option.
 */
export function checkSupported(config: CircusConfig): ConfigError | null {
  const later = (what: string) => `${what} is not supported yet by this release`;
  const circusSource = config.file ? { file: config.file, section: "circus" } : null;
  if (config.circus.statsd)
    return new ConfigError(later("circusd-stats"), at(circusSource, "circus", "statsd"));
  if (config.circus.httpd)
    return new ConfigError(later("circushttpd"), at(circusSource, "circus", "httpd"));
  for (const socket of config.sockets) {
    if (socket.usePapa)
      return new ConfigError(
        later("the Papa process kernel"),
        at(socket.source, `socket:${socket.name}`, "use_papa"),
      );
  }
  for (const w of config.watchers) {
    const section = `watcher:${w.name}`;
    if (w.usePapa)
      return new ConfigError(later("the Papa process kernel"), at(w.source, section, "use_papa"));
    // The shared so_reuseport socket does not listen (its workers' siblings do): there is
    // no connection to wait for on it.
    const reused = config.sockets.find(
      (s) => s.soReuseport && s.family !== "AF_UNIX" && usesSocket(w, s.name),
    );
    if (w.onDemand && reused)
      return new ConfigError(
        later(`on_demand with the so_reuseport socket ${reused.name}`),
        at(w.source, section, "on_demand"),
      );
  }
  return null;
}
