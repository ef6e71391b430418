/**
 * Typed configuration objects. The INI loader and the library API both produce these, with
 * every default applied once (see `defaults.ts`), so the core never sees raw strings.
 */

/** The nine hooks of seed 000, and Circus 0.19's before_reap and after_reap. */
export const HOOK_NAMES = [
  "before_start",
  "after_start",
  "before_spawn",
  "after_spawn",
  "before_stop",
  "after_stop",
  "before_signal",
  "after_signal",
  "before_reap",
  "after_reap",
  "extended_stats",
] as const;
export type HookName = (typeof HOOK_NAMES)[number];

/** `hooks.NAME = module-path:export[, ignore_errors]` */
export interface HookRef {
  /** `module-path:export`, or a function when built through the library API. */
  ref: string | HookFunction;
  /** The `, true` flag: errors in the hook are ignored (the hook counts as returning true). */
  ignoreErrors: boolean;
}

/** What a hook receives; mirrors Circus's `hook(watcher, arbiter, hook_name, **kwargs)`. */
export interface HookContext {
  watcher: unknown;
  arbiter: unknown;
  hookName: HookName;
  pid?: number;
  signum?: number;
  stats?: Record<string, unknown>;
  /** after_reap: the exit code (minus the signal number for a death by signal). */
  exitCode?: number | null;
}
export type HookFunction = (ctx: HookContext) => unknown;

/** `stdout_stream.*` / `stderr_stream.*`: class plus the other keys, raw, for the stream layer. */
export interface StreamConfig {
  /** A class name (`FileStream`, `./my-stream.js:MyStream`) or, through the library, a class. */
  class: string | (new (options: Record<string, string>) => unknown);
  options: Record<string, string>;
}

/** Where a config object came from, for error messages at run time. */
export interface ConfigSource {
  /** The file of the section's (first) header. */
  file: string;
  section: string;
  /** Options read from another file than `file` (a section merged from includes). */
  optionFiles?: Record<string, string>;
}

export interface WatcherConfig {
  name: string;
  cmd: string;
  /** Extra arguments; a string is split like a shell does. */
  args: string | string[] | null;
  shell: boolean;
  shellArgs: string | null;
  executable: string | null;
  workingDir: string | null;
  uid: string | number | null;
  gid: string | number | null;
  copyEnv: boolean;
  copyPath: boolean;
  /** The environment given by `[env*]` sections or the library (already `$VAR`-expanded). */
  env: Record<string, string>;
  /** Seconds between two process spawns. */
  warmupDelay: number;
  autostart: boolean;
  numprocesses: number;
  /** rlimit name in lower case without `rlimit_` (e.g. `nofile`) -> value; null is RLIM_INFINITY. */
  rlimits: Record<string, number | null>;
  stdoutStream: StreamConfig | null;
  stderrStream: StreamConfig | null;
  stdinSocket: string | null;
  closeChildStdin: boolean;
  closeChildStdout: boolean;
  closeChildStderr: boolean;
  sendHup: boolean;
  /** Signal number. */
  stopSignal: number;
  stopChildren: boolean;
  /** -1: retry forever. */
  maxRetry: number;
  /** Seconds. */
  gracefulTimeout: number;
  priority: number;
  singleton: boolean;
  useSockets: boolean;
  /** Seconds; 0 disables. */
  maxAge: number;
  maxAgeVariance: number;
  onDemand: boolean;
  hooks: Partial<Record<HookName, HookRef>>;
  virtualenv: string | null;
  virtualenvPyVer: string | null;
  respawn: boolean;
  usePapa: boolean;
  /**
   * `readiness`: how a process shows it is ready (ours, not Circus's): `tcp:HOST:PORT`
   * accepts a connection, `http://...` answers 2xx, `exec:COMMAND` exits 0, or `notify`
   * (sd_notify's READY=1 on $NOTIFY_SOCKET); null: ready once running.
   */
  readiness: string | null;
  /** Seconds between two probes. */
  readinessInterval: number;
  /** Seconds a probe may take. */
  readinessTimeout: number;
  /** Failed probes in a row that make a ready process unready. */
  readinessFailures: number;
  /** Seconds a new process has to become ready before it is restarted; 0: forever. */
  readinessDeadline: number;
  /** Processes a readiness-gated reload replaces at once. */
  reloadBatch: number;
  /** `depends_on`: the watchers that must be ready before this one starts (lower-case). */
  dependsOn: string[];
  /**
   * Ours: when it gives up (max_retry failed spawns, or Flapping's last stop), circusd stops
   * everything and exits with code 3; and /readyz waits for it.
   */
  essential: boolean;
  /** Options not known to Circus, kept raw for plugins (`flapping.attempts`, ...). */
  options: Record<string, string>;
  /** Folder that relative hook and stream module paths resolve against. */
  baseDir: string;
  source: ConfigSource | null;
  /**
   * Options last given through the control socket (`set`), which Circus keeps with their JSON
   * types rather than the file's (a `warmup_delay` set to 1 shows as 1.0).
   */
  wireKeys?: readonly string[];
}

export type SocketFamily = "AF_UNIX" | "AF_INET" | "AF_INET6";
export type SocketType = "SOCK_STREAM" | "SOCK_DGRAM" | "SOCK_RAW" | "SOCK_RDM" | "SOCK_SEQPACKET";

export interface SocketConfig {
  name: string;
  host: string;
  port: number;
  family: SocketFamily;
  type: SocketType;
  interface: string | null;
  path: string | null;
  umask: number | null;
  replace: boolean;
  soReuseport: boolean;
  blocking: boolean;
  backlog: number;
  usePapa: boolean;
  source: ConfigSource | null;
}

export interface PluginConfig {
  name: string;
  /** The `use` value: a built-in's documented name or `module-path:Export`. */
  use: string;
  /** Every key of the section but `use`, raw (the plugin's config mapping). */
  config: Record<string, string>;
  /** `active = false`: the plugin is not run (no watcher, no process). */
  active: boolean;
  /** The watcher that runs the plugin (`plugin:NAME`), from the section's watcher options. */
  watcher: WatcherConfig;
  source: ConfigSource | null;
}

export interface CircusOptions {
  endpoint: string;
  endpointOwner: string | null;
  pubsubEndpoint: string;
  /** Only used with `use_papa`, which this release refuses. */
  papaEndpoint: string;
  statsd: boolean;
  /**
   * null when not given (circusd-stats would use `DEFAULT_STATS_ENDPOINT`): as in Circus, a
   * stats_endpoint given without statsd turns circusd-stats on all the same.
   */
  statsEndpoint: string | null;
  statsdCloseOutputs: boolean;
  /**
   * `udp://A.B.C.D:PORT` (a multicast group): circusd answers the datagrams sent there with
   * its control endpoint. null (an empty value): no discovery.
   */
  multicastEndpoint: string | null;
  /** Seconds. */
  checkDelay: number;
  /** `thread` or `gevent` (Python's choice; streams work the same way here). */
  streamBackend: "thread" | "gevent";
  /** Seconds between two watchers' start. */
  warmupDelay: number;
  httpd: boolean;
  httpdHost: string;
  httpdPort: number;
  httpdCloseOutputs: boolean;
  /**
   * Ours: circushttpd's users file (`NAME:ROLE:HASH` lines), given to it as `--users`; null:
   * anonymous admin, served on a loopback address only.
   */
  httpdUsers: string | null;
  /** The plugins' output goes to circusd's stdout and stderr, and they log at debug level. */
  debug: boolean;
  /** circusd logs every garbage collection of its own heap. */
  debugGc: boolean;
  /** No effect, as in Circus 0.19 (which builds a name from it that nothing reads). */
  fqdnPrefix: string | null;
  pidfile: string | null;
  /** null: circusd leaves its umask alone. */
  umask: number | null;
  loglevel: string;
  logoutput: string;
  loggerconfig: string | null;
  /** Serve Prometheus metrics over HTTP (beyond Circus; off by default). */
  metrics: boolean;
  /** The address the metrics endpoint listens on: loopback unless told otherwise. */
  metricsHost: string;
  /** Its TCP port; 0 takes a free one, which circusd logs. */
  metricsPort: number;
  /**
   * Ours: circusd's CURVE secret key file (a CZMQ certificate with its secret-key). With
   * `curveClients`, every ZeroMQ endpoint (control, pub/sub, stats) encrypts and accepts only
   * the clients' keys; null (the default): no CURVE, as Circus.
   */
  curveSecretKey: string | null;
  /** Ours: the folder of the accepted clients' public certificates (NAME.key, with a role). */
  curveClients: string | null;
  /**
   * Ours: container mode, an init's duties (orphans reaped, what is left ended at exit); on
   * by itself when circusd is PID 1. Not PID 1, circusd makes itself the child subreaper.
   * circusd's (cli/circusd.ts): the library's arbiter ignores it.
   */
  container: boolean;
  /** Ours: the port of the health endpoints (`/healthz`, `/readyz`); null: none. */
  healthPort: number | null;
  /** Ours: the address the health endpoints listen on: loopback unless told otherwise. */
  healthHost: string;
  /** Keys of `[circus]` that Circus does not know, kept raw. */
  options: Record<string, string>;
  /** The `[circus]` section it was read from; null for defaults and library objects. */
  source: ConfigSource | null;
}

/** A whole parsed configuration file (with its includes). */
export interface CircusConfig {
  /** Absolute path of the main config file; null when built through the library. */
  file: string | null;
  circus: CircusOptions;
  watchers: WatcherConfig[];
  sockets: SocketConfig[];
  plugins: PluginConfig[];
}
