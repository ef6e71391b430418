import { ConfigError, sourceLocation } from "../config/errors.js";
import type { CircusConfig } from "../config/types.js";
import { checkDependencies } from "../config/dependencies.js";
import type { SocketConfig, WatcherConfig } from "../config/types.js";
import { usesSocket } from "../core/watcher-setup.js";

/**
 * A socket a watcher names (in cmd, args or stdin_socket) on the other side of the process
 * kernel: the kernel hands its processes only its own sockets, and circusd's processes only
 * circusd's. (`use_sockets` alone hands each watcher the sockets of its own side.)
 */
function papaMismatch(
  w: WatcherConfig,
  sockets: SocketConfig[],
): { option: string; message: string } | null {
  for (const socket of sockets) {
    if (socket.usePapa === w.usePapa) continue;
    const named = usesSocket(w, socket.name);
    const stdin = w.stdinSocket?.toLowerCase() === socket.name.toLowerCase();
    if (!named && !stdin) continue;
    const message = w.usePapa
      ? `socket ${socket.name} has no use_papa = true: the process kernel can hand its processes only sockets it holds`
      : `socket ${socket.name} has use_papa = true: only watchers with use_papa = true can use it`;
    return { option: stdin ? "stdin_socket" : "use_papa", message };
  }
  return null;
}

/**
 * The documented features this release parses but does not run yet, and the combinations
 * that cannot work (a watcher and the socket it names on two sides of the process kernel).
 * Rather than ignore them silently, circusd (and the library's arbiter) refuses the config
 * with a line naming the section and option.
 */
export function checkSupported(
  config: Pick<CircusConfig, "circus" | "watchers" | "sockets" | "plugins">,
): ConfigError | null {
  const later = (what: string) => `${what} is not supported yet by this release`;
  const dependencies = checkDependencies(config.watchers);
  if (dependencies) return dependencies;
  for (const socket of config.sockets) {
    const where = (option: string) =>
      sourceLocation(socket.source, `socket:${socket.name}`, option);
    if (socket.usePapa && socket.soReuseport && socket.family !== "AF_UNIX")
      return new ConfigError(later("so_reuseport with use_papa"), where("so_reuseport"));
  }
  // The seeds keep circus's support processes out of the kernel: a plugin talks to the
  // circusd that runs it, and stops and starts with it.
  const hosted = config.plugins.find((p) => p.watcher.usePapa);
  if (hosted)
    return new ConfigError(
      "a plugin runs with circusd, not in the process kernel",
      sourceLocation(hosted.watcher.source, `plugin:${hosted.name}`, "use_papa"),
    );
  // A plugin runs as a watcher, with every watcher option: the same refusals apply.
  for (const w of [...config.watchers, ...config.plugins.map((p) => p.watcher)]) {
    const section = w.source?.section ?? `watcher:${w.name}`;
    const mixed = papaMismatch(w, config.sockets);
    if (mixed)
      return new ConfigError(mixed.message, sourceLocation(w.source, section, mixed.option));
    if (w.usePapa && w.onDemand)
      return new ConfigError(
        later("on_demand with use_papa"),
        sourceLocation(w.source, section, "on_demand"),
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
