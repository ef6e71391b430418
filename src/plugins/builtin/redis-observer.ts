/**
 * Circus's `circus.plugins.redis_observer.RedisObserver`: every `loop_rate` seconds, an
 * INFO to the Redis server at `redis_url`, whose figures go to statsd as gauges
 * (`redis_stats.<field>`); no answer within `timeout` seconds, or no connection, restarts the
 * watcher named by `restart_on_timeout`. StatsdEmitter's options apply (buckets under
 * `circus.redis_observer.watcher` by default).
 *
 * ```ini
 * [plugin:redis]
 * use = circus.plugins.redis_observer.RedisObserver
 * redis_url = redis://127.0.0.1:6379/0
 * loop_rate = 10
 * timeout = 2
 * restart_on_timeout = redis
 * ```
 */
import { Redis, type RedisOptions } from "ioredis";
import { logger } from "../../log/logger.js";
import { PluginOptionError, readOptions } from "../options.js";
import { BaseObserver } from "./statsd.js";

/**
 * The INFO fields sent as gauges: the reference's list. Fields this Redis does not report
 * (the reference's list predates Redis 5's renames, e.g. `client_biggest_input_buf`) or
 * that are not numbers are left out.
 */
const OBSERVE = [
  "pubsub_channels",
  "connected_slaves",
  "lru_clock",
  "connected_clients",
  "keyspace_misses",
  "used_memory",
  "used_memory_peak",
  "total_commands_processed",
  "used_memory_rss",
  "total_connections_received",
  "pubsub_patterns",
  "used_cpu_sys",
  "used_cpu_sys_children",
  "blocked_clients",
  "used_cpu_user",
  "client_biggest_input_buf",
  "mem_fragmentation_ratio",
  "expired_keys",
  "evicted_keys",
  "client_longest_output_list",
  "uptime_in_seconds",
  "keyspace_hits",
] as const;

/** Where the server is, as redis-py's `from_url` reads it. */
export type RedisTarget = Pick<
  RedisOptions,
  "host" | "port" | "path" | "db" | "username" | "password" | "tls"
>;

/**
 * `redis://[[user]:[password]@]host[:port][/db]`, `rediss://...` (TLS) or
 * `unix://[[user]:[password]@]/path/to/socket[?db=N]` -> connection options. Throws on
 * anything else.
 */
export function parseRedisUrl(text: string): RedisTarget {
  const url = new URL(text);
  const scheme = url.protocol;
  if (scheme !== "redis:" && scheme !== "rediss:" && scheme !== "unix:")
    throw new Error(`expected a redis://, rediss:// or unix:// URL, got "${text}"`);
  const target: RedisTarget = {};
  if (url.username) target.username = decodeURIComponent(url.username);
  if (url.password) target.password = decodeURIComponent(url.password);
  const query = url.searchParams.get("db");
  let db = query ?? "";
  if (scheme === "unix:") {
    if (!url.pathname || url.pathname === "/") throw new Error(`no socket path in "${text}"`);
    target.path = decodeURIComponent(url.pathname);
  } else {
    target.host = url.hostname.replace(/^\[(.*)\]$/, "$1") || "localhost";
    target.port = url.port ? Number(url.port) : 6379;
    if (scheme === "rediss:") target.tls = { servername: target.host };
    db = query ?? url.pathname.replace(/^\//, "");
  }
  if (db !== "") {
    if (!/^\d+$/.test(db)) throw new Error(`expected a database number, got "${db}"`);
    target.db = Number(db);
  }
  return target;
}

/** The `field:value` lines of an INFO reply; numbers as numbers, `# Section` lines skipped. */
export function parseInfo(text: string): Record<string, number | string> {
  const info: Record<string, number | string> = {};
  for (const line of text.split(/\r?\n/)) {
    if (line === "" || line.startsWith("#")) continue;
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const value = line.slice(colon + 1);
    const number = Number(value);
    info[line.slice(0, colon)] = value !== "" && Number.isFinite(number) ? number : value;
  }
  return info;
}

/** The server in logs: its address, never the password. */
function where(target: RedisTarget): string {
  return target.path ?? `${target.host}:${target.port}`;
}

/** An error Redis answered with (as opposed to no answer at all). */
function isReply(error: unknown): boolean {
  return error instanceof Error && error.name === "ReplyError";
}

/** `redis_url` read, or a PluginOptionError naming it. */
function targetOf(url: string): RedisTarget {
  try {
    return parseRedisUrl(url);
  } catch (error) {
    throw new PluginOptionError("redis_url", (error as Error).message);
  }
}

/** The documented options of its own, and their defaults. */
const OPTIONS = {
  redis_url: { type: "string", default: "redis://localhost:6379/0" },
  timeout: { type: "number", default: "5", above: 0 },
  restart_on_timeout: { type: "string" },
} as const;

/** Watches a Redis server, sends its figures to statsd and restarts it when it hangs. */
export class RedisObserver extends BaseObserver {
  /** StatsdEmitter's and BaseObserver's options, and the documented ones. */
  static override readonly options = { ...BaseObserver.options, ...OPTIONS } as const;

  static override readonly defaultAppName = "redis_observer";

  override name = "redis_observer";
  /** Its own options, read (BaseObserver reads the others). */
  readonly opts = readOptions(OPTIONS, this.config);
  /** Where the server is, from `redis_url`. */
  readonly target = targetOf(this.opts.redis_url);
  /** Opened by handleInit (a constructor must not connect), closed at stop. */
  private redis: Redis | null = null;

  override handleInit(): void {
    const ms = Math.ceil(this.opts.timeout * 1000);
    const redis = new Redis({
      ...this.target,
      // Every INFO answers within `timeout` or fails: a server that hangs (stopped, stuck in
      // a slow script) keeps its connection open, so only a timer can tell.
      commandTimeout: ms,
      connectTimeout: ms,
      // While disconnected, an INFO waits for the reconnection (tried every half second at
      // most) within that same timeout rather than failing at once: a Redis that is back by
      // then, e.g. one just restarted, is up, as when redis-py connects for each request.
      maxRetriesPerRequest: null,
      retryStrategy: (times: number) => Math.min(times * 50, 500),
    });
    // Connection errors surface in the checks; without a listener ioredis prints them all.
    redis.on("error", (error: Error) => logger.debug(`${this.name}: redis: ${error.message}`));
    this.redis = redis;
    super.handleInit();
  }

  override async handleStop(): Promise<void> {
    this.redis?.disconnect();
    this.redis = null;
    await super.handleStop();
  }

  /** One INFO: gauges when Redis answers, else error counters and maybe a restart. */
  async lookAfter(): Promise<void> {
    if (!this.redis || this.inGrace()) return;
    let info: Record<string, number | string>;
    try {
      info = parseInfo(await this.redis.info());
    } catch (error) {
      await this.failed(error as Error);
      return;
    }
    for (const key of OBSERVE) {
      const value = info[key];
      if (typeof value === "number") this.statsd.gauge(`redis_stats.${key}`, value);
    }
  }

  /**
   * Counts the error; restarts `restart_on_timeout` when Redis did not answer (a timeout, no
   * connection), not when it answered an error (e.g. NOAUTH, LOADING): it is alive then.
   */
  private async failed(error: Error): Promise<void> {
    this.statsd.increment("redis_stats.error");
    const target = isReply(error) ? undefined : this.opts.restart_on_timeout;
    logger.warning(
      `${this.name}: INFO to ${where(this.target)} failed: ${error.message}` +
        (target ? `; restarting ${target}` : ""),
    );
    if (!target) return;
    this.statsd.increment("redis_stats.restart_on_error");
    await this.restartWatcher(target);
  }
}
