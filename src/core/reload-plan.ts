/** What a config reload compares and keeps: the watchers' configs, the start-only options. */
import type { CircusOptions, WatcherConfig } from "../config/types.js";
import { logger } from "../log/logger.js";

/** What changed in a config reload. */
export interface ReloadSummary {
  added: string[];
  removed: string[];
  /** Restarted with their new options. */
  changed: string[];
  /** Only numprocesses changed: applied in place. */
  resized: string[];
  unchanged: string[];
}

/** Whether two watcher configs are the same, but for the fields in `ignore`. */
export function sameConfig(
  a: WatcherConfig,
  b: WatcherConfig,
  ignore: (keyof WatcherConfig)[] = [],
): boolean {
  const strip = (c: WatcherConfig) =>
    JSON.stringify({ ...c, ...Object.fromEntries(ignore.map((k) => [k, null])) });
  return strip(a) === strip(b);
}

/**
 * The `[circus]` options circusd applies once, when it starts (its endpoints, its logging, its
 * own process), by field with their names in the file.
 */
const START_OPTIONS: Partial<Record<keyof CircusOptions, string>> = {
  endpoint: "endpoint",
  endpointOwner: "endpoint_owner",
  pubsubEndpoint: "pubsub_endpoint",
  multicastEndpoint: "multicast_endpoint",
  umask: "umask",
  pidfile: "pidfile",
  loglevel: "loglevel",
  logoutput: "logoutput",
  loggerconfig: "loggerconfig",
  debugGc: "debug_gc",
  metrics: "metrics",
  metricsHost: "metrics_host",
  metricsPort: "metrics_port",
  // The folder's keys are read again as they change; which files, only at start.
  curveSecretKey: "curve_secret_key",
  curveClients: "curve_clients",
  container: "container",
  healthHost: "health_host",
  healthPort: "health_port",
};

/**
 * The reloaded `[circus]` options, but those circusd applied once at its start, which keep
 * their running values; a change to one of them is logged, rather than silently dropped.
 */
export function keepStartOptions(running: CircusOptions, next: CircusOptions): CircusOptions {
  const options = { ...next };
  for (const field of Object.keys(START_OPTIONS) as (keyof CircusOptions)[]) {
    if (JSON.stringify(next[field]) === JSON.stringify(running[field])) continue;
    logger.warning(`[circus] ${START_OPTIONS[field]} changed: restart circusd to apply it`);
    Object.assign(options, { [field]: running[field] });
  }
  return options;
}
