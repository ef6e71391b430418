/**
 * `[circus] statsd = true` runs circusd-stats as the watcher `circusd-stats`, as Circus does:
 * a singleton that inherits the sockets (it counts their hits on the same fds), with circusd's
 * endpoints and logging on its command line.
 *
 * A process of its own rather than a part of circusd: sampling 1000 processes holds a loop
 * for about 60 ms each second (bench/RESULTS.md, "live statistics"), which would be added to
 * circusd's replies; and users who come from Circus see the same `circusd-stats: active`.
 */
import path from "node:path";
import { DEFAULT_STATS_ENDPOINT } from "../config/defaults.js";
import type { CircusOptions, WatcherConfig } from "../config/types.js";
import { refuseCircusWatchers } from "../core/arbiter.js";
import { ownWatcherConfig } from "./plugin-watcher.js";

/** The watcher's name, as Circus's. */
export const STATS_WATCHER = "circusd-stats";

/** The circusd-stats watcher; `runner` is node's arguments that run circusd-stats. */
export function statsWatcherConfig(circus: CircusOptions, runner: string[]): WatcherConfig {
  const args = [
    ...runner,
    "--endpoint",
    circus.endpoint,
    "--pubsub",
    circus.pubsubEndpoint,
    "--statspoint",
    circus.statsEndpoint ?? DEFAULT_STATS_ENDPOINT,
  ];
  // Its stats endpoint takes the same client keys as circusd's endpoints.
  if (circus.curveClients !== null) args.push("--curve-clients", path.resolve(circus.curveClients));
  // Its socket file, as circusd's own ones: owner-only unless the config sets a umask.
  if (circus.umask === null) args.push("--ipc-owner-only");
  return ownWatcherConfig(STATS_WATCHER, circus, args, circus.statsdCloseOutputs);
}

/** The circusd-stats watcher when statsd is on; without a runner, statsd is refused. */
export function statsWatchers(
  circus: CircusOptions,
  runner: string[] | undefined,
): WatcherConfig[] {
  if (!circus.statsd) return [];
  if (!runner) return refuseCircusWatchers([], { ...circus, httpd: false });
  return [statsWatcherConfig(circus, runner)];
}
