import type { CircusOptions, SocketConfig, WatcherConfig } from "./types.js";

/** Where circusd-stats publishes when `stats_endpoint` is not given. */
export const DEFAULT_STATS_ENDPOINT = "tcp://127.0.0.1:5557";

/** Circus's multicast group and port for cluster discovery. */
export const DEFAULT_MULTICAST_ENDPOINT = "udp://237.219.251.97:12027";

/**
 * The metrics endpoint's port when none is given. Prometheus's wiki of exporter ports (its
 * 9100-9999 range is said to be full) could not be read when it was chosen: a guess that
 * looked free, to be checked before it is registered there.
 */
export const DEFAULT_METRICS_PORT = 9500;

/** `[circus]` defaults, as seed 000 documents them (and ours beyond Circus: metrics). */
export const CIRCUS_DEFAULTS: CircusOptions = {
  endpoint: "tcp://127.0.0.1:5555",
  endpointOwner: null,
  pubsubEndpoint: "tcp://127.0.0.1:5556",
  papaEndpoint: "tcp://127.0.0.1:20202",
  statsd: false,
  statsEndpoint: null,
  statsdCloseOutputs: false,
  multicastEndpoint: DEFAULT_MULTICAST_ENDPOINT,
  checkDelay: 5,
  streamBackend: "thread",
  warmupDelay: 0,
  httpd: false,
  httpdHost: "localhost",
  httpdPort: 8080,
  httpdCloseOutputs: false,
  httpdUsers: null,
  debug: false,
  debugGc: false,
  fqdnPrefix: null,
  pidfile: null,
  umask: null,
  loglevel: "INFO",
  logoutput: "-",
  loggerconfig: null,
  metrics: false,
  metricsHost: "127.0.0.1",
  metricsPort: DEFAULT_METRICS_PORT,
  curveSecretKey: null,
  curveClients: null,
  container: false,
  healthPort: null,
  healthHost: "127.0.0.1",
  options: {},
  source: null,
};

/** `[watcher:NAME]` defaults (name and cmd have none). */
export const WATCHER_DEFAULTS: Omit<WatcherConfig, "name" | "cmd"> = {
  args: null,
  shell: false,
  shellArgs: null,
  executable: null,
  workingDir: null,
  uid: null,
  gid: null,
  copyEnv: false,
  copyPath: false,
  env: {},
  warmupDelay: 0,
  autostart: true,
  numprocesses: 1,
  rlimits: {},
  stdoutStream: null,
  stderrStream: null,
  stdinSocket: null,
  closeChildStdin: true,
  closeChildStdout: false,
  closeChildStderr: false,
  sendHup: false,
  stopSignal: 15,
  stopChildren: false,
  maxRetry: 5,
  gracefulTimeout: 30,
  priority: 0,
  singleton: false,
  useSockets: false,
  maxAge: 0,
  maxAgeVariance: 30,
  onDemand: false,
  hooks: {},
  virtualenv: null,
  virtualenvPyVer: null,
  respawn: true,
  usePapa: false,
  readiness: null,
  readinessInterval: 1,
  readinessTimeout: 1,
  readinessFailures: 3,
  readinessDeadline: 60,
  reloadBatch: 1,
  dependsOn: [],
  essential: false,
  options: {},
  baseDir: process.cwd(),
  source: null,
};

/** `[socket:NAME]` defaults. */
export const SOCKET_DEFAULTS: Omit<SocketConfig, "name"> = {
  host: "localhost",
  port: 8080,
  family: "AF_INET",
  type: "SOCK_STREAM",
  interface: null,
  path: null,
  umask: null,
  replace: false,
  soReuseport: false,
  blocking: false,
  backlog: 2048,
  usePapa: false,
  source: null,
};

/** The watcher (and socket) that runs circushttpd with `httpd = true`, as Circus names it. */
export const HTTPD_WATCHER = "circushttpd";
