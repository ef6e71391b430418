/**
 * `[circus] httpd = true` runs circushttpd as the watcher `circushttpd`, as Circus does: a
 * singleton serving on the socket `circushttpd` (httpd_host:httpd_port) that circusd binds and
 * hands over (`--fd $(circus.sockets.circushttpd)`), with circusd's endpoints on its command
 * line. Built as the circusd-stats watcher is (stats-watcher.ts).
 */
import { isIP } from "node:net";
import path from "node:path";
import {
  DEFAULT_MULTICAST_ENDPOINT,
  DEFAULT_STATS_ENDPOINT,
  HTTPD_WATCHER,
  SOCKET_DEFAULTS,
} from "../config/defaults.js";
import type { CircusOptions, SocketConfig, WatcherConfig } from "../config/types.js";
import { ConfigError, sourceLocation } from "../config/errors.js";
import { refuseCircusWatchers } from "../core/arbiter.js";
import { isLoopbackHost } from "../sys/sockets.js";
import { ownWatcherConfig } from "./plugin-watcher.js";

/** The socket circusd binds for circushttpd, when httpd is on. */
export function httpdSockets(circus: CircusOptions): SocketConfig[] {
  if (!circus.httpd) return [];
  const host = circus.httpdHost.replace(/^\[|\]$/g, "");
  return [
    {
      ...SOCKET_DEFAULTS,
      name: HTTPD_WATCHER,
      host,
      port: circus.httpdPort,
      family: isIP(host) === 6 ? "AF_INET6" : "AF_INET",
      source: circus.source,
    },
  ];
}

/** The circushttpd watcher; `runner` is node's arguments that run circushttpd. */
export function httpdWatcherConfig(circus: CircusOptions, runner: string[]): WatcherConfig {
  const args = [
    ...runner,
    "--fd",
    `$(circus.sockets.${HTTPD_WATCHER})`,
    // Told the host too: without users, circushttpd refuses a non-loopback one.
    "--host",
    circus.httpdHost,
    "--endpoint",
    circus.endpoint,
  ];
  if (circus.statsd || circus.statsEndpoint !== null)
    args.push("--stats-endpoint", circus.statsEndpoint ?? DEFAULT_STATS_ENDPOINT);
  if (circus.httpdUsers !== null) args.push("--users", path.resolve(circus.httpdUsers));
  // The console's Discover asks circusd's own group (circushttpd's default otherwise).
  if (circus.multicastEndpoint !== null && circus.multicastEndpoint !== DEFAULT_MULTICAST_ENDPOINT)
    args.push("--multicast", circus.multicastEndpoint);
  return ownWatcherConfig(HTTPD_WATCHER, circus, args, circus.httpdCloseOutputs);
}

/** The circushttpd watcher when httpd is on; without a runner, httpd is refused. */
export function httpdWatchers(
  circus: CircusOptions,
  runner: string[] | undefined,
): WatcherConfig[] {
  if (!circus.httpd) return [];
  // Refused here too, rather than a circushttpd that exits at each of its respawns.
  if (circus.httpdUsers === null && !isLoopbackHost(circus.httpdHost))
    throw new ConfigError(
      `refusing to serve ${circus.httpdHost} without authentication: give httpd_users (lines NAME:ROLE:HASH; circushttpd hash-password prints a HASH)`,
      sourceLocation(circus.source, "circus", "httpd_host"),
    );
  if (!runner) return refuseCircusWatchers([], { statsd: false, httpd: true });
  return [httpdWatcherConfig(circus, runner)];
}
