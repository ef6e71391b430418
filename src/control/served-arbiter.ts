/**
 * An arbiter served on Circus's endpoints: what circusd runs and what the library's
 * `getArbiter` returns, so that `circusctl`, plugins and `circusctl listen` drive and watch an
 * embedded arbiter exactly as they do circusd.
 */
import { ConfigError } from "../config/errors.js";
import type { CircusOptions, PluginConfig, SocketConfig, WatcherConfig } from "../config/types.js";
import { Arbiter } from "../core/arbiter.js";
import { logger } from "../log/logger.js";
import { CurveServer } from "../security/server.js";
import { isLoopbackHost } from "../sys/sockets.js";
import { Controller } from "./controller.js";
import { Discovery } from "./discovery.js";
import type { MetricsEndpoint } from "./metrics/endpoint.js";
import type { HealthEndpoint } from "./health.js";
import { httpdSockets, httpdWatchers } from "./httpd-watcher.js";
import { pluginWatchers } from "./plugin-watcher.js";
import { statsWatchers } from "./stats-watcher.js";
import { Publisher } from "./publisher.js";
import { checkSupported } from "./unsupported.js";

/** A control, pub/sub or multicast endpoint that could not be bound. */
export class EndpointError extends Error {
  override name = "EndpointError";
}

/** How a {@link ServedArbiter} answers beyond its config. */
export interface ServeOptions {
  /**
   * Called after the reply to `quit` went out; by default the arbiter stops. circusd stops
   * it and leaves.
   */
  onQuit?: () => void | Promise<void>;
  /** The process title once started (Circus's `proc_name`). */
  procName?: string;
  /**
   * node's arguments that run `circus-plugin`, for the plugins' watchers; without them an
   * active plugin is refused.
   */
  pluginRunner?: string[];
  /**
   * node's arguments that run `circusd-stats`, for `statsd = true`; without them statsd is
   * refused.
   */
  statsRunner?: string[];
  /**
   * node's arguments that run `circushttpd`, for `httpd = true`; without them httpd is
   * refused.
   */
  httpdRunner?: string[];
  /**
   * node's arguments that run `circus-papa`, the process kernel, for `use_papa`; without
   * them use_papa is refused.
   */
  papaRunner?: string[];
}

/**
 * An {@link Arbiter} with its control endpoint (a {@link Controller}), its pub/sub endpoint
 * (a {@link Publisher}), when `multicast_endpoint` is set, discovery, and with `metrics`, the
 * Prometheus metrics endpoint (a {@link MetricsEndpoint}). `start()` binds the
 * endpoints before the watchers start, as Circus does, so that their spawn events are
 * published and the daemon answers while a thousand processes start; `stop()` stops the
 * watchers, lets the last events and replies out, then closes the endpoints.
 *
 * @throws ConfigError from the constructor for an option this release does not run yet, or
 * a watcher and a socket on two sides of the process kernel, with the line circusd prints.
 */
export class ServedArbiter extends Arbiter {
  private controller: Controller | null = null;
  private publisher: Publisher | null = null;
  private discovery: Discovery | null = null;
  private metrics: MetricsEndpoint | null = null;
  private health: HealthEndpoint | null = null;
  /** From the start of `stop()` on: /healthz answers 503. */
  private leaving = false;
  /** CURVE on every endpoint, with `curve_secret_key` and `curve_clients`. */
  private curve: CurveServer | null = null;

  constructor(
    watchers: WatcherConfig[],
    options: Partial<CircusOptions> = {},
    sockets: SocketConfig[] = [],
    plugins: PluginConfig[] = [],
    private readonly serve: ServeOptions = {},
  ) {
    super(
      watchers,
      options,
      sockets,
      plugins,
      (p, circus) => [
        ...statsWatchers(circus, serve.statsRunner),
        ...httpdWatchers(circus, serve.httpdRunner),
        ...pluginWatchers(p, circus, serve.pluginRunner),
      ],
      httpdSockets,
    );
    const unsupported = checkSupported({
      circus: this.options,
      watchers,
      sockets,
      plugins,
    });
    if (unsupported) throw unsupported;
    const papa = serve.papaRunner;
    if (papa) this.kernelRunner = () => papa;
  }

  /**
   * Binds the endpoints, then starts the arbiter.
   *
   * @throws EndpointError when an endpoint cannot be bound; the arbiter's own errors (a
   * ConfigError naming a socket or hook) otherwise. Nothing stays bound either way.
   */
  override async start(): Promise<void> {
    if (this.isRunning()) return;
    await this.bindEndpoints();
    if (this.serve.procName !== undefined) process.title = this.serve.procName;
    try {
      await super.start();
    } catch (error) {
      await this.closeEndpoints();
      throw error;
    }
  }

  /** The metrics endpoint's `http://HOST:PORT/metrics` while it listens, else null. */
  get metricsUrl(): string | null {
    return this.metrics?.url ?? null;
  }

  /** The health endpoints' `http://HOST:PORT` while they listen, else null. */
  get healthUrl(): string | null {
    return this.health?.url ?? null;
  }

  /** Whether it is stopping (or stopped): the health endpoint's /healthz is 503 from then. */
  get isLeaving(): boolean {
    return this.leaving;
  }

  /**
   * Stops every watcher, lets the last events and replies out, and closes the endpoints (the
   * health endpoints last but one: they answer 503 while the watchers stop).
   */
  override async stop(): Promise<void> {
    this.leaving = true;
    await super.stop();
    await this.publisher?.flush();
    await this.closeEndpoints();
  }

  /**
   * @throws EndpointError for a control, pub/sub or multicast endpoint; ConfigError naming
   * `[circus] metrics_port` or `metrics_host` (`health_port`, `health_host`) when the metrics
   * (health) endpoint cannot listen.
   */
  private async bindEndpoints(): Promise<void> {
    const { options } = this;
    try {
      if (options.curveSecretKey !== null && options.curveClients !== null) {
        this.curve = new CurveServer(options.curveSecretKey, options.curveClients);
        await this.curve.start();
        logger.info(`CURVE on: ${this.curve.keys.size} client keys from ${options.curveClients}`);
      } else warnIfOpen(options);
      if (options.metrics) {
        // Loaded only when asked for: node:http and the collectors cost a circusd without
        // metrics nothing.
        const { MetricsEndpoint } = await import("./metrics/endpoint.js");
        this.metrics = new MetricsEndpoint(this, {
          host: options.metricsHost,
          port: options.metricsPort,
          source: options.source,
        });
      }
      // Owner-only socket files, unless the config says how files are made (umask).
      const ownerOnly = options.umask === null;
      this.controller = new Controller(this, options.endpoint, {
        endpointOwner: options.endpointOwner,
        ownerOnly,
        onQuit: this.serve.onQuit ?? (() => this.stop()),
        ...(this.metrics ? { onRequest: this.metrics.observeRequest } : {}),
        curve: this.curve,
      });
      await this.controller.start();
      this.publisher = new Publisher(this, options.pubsubEndpoint, this.curve, ownerOnly);
      await this.publisher.start();
      if (options.multicastEndpoint !== null) {
        this.discovery = new Discovery(options.multicastEndpoint, options.endpoint);
        await this.discovery.start();
      }
      // Before the watchers start: a scrape answers while a thousand processes start.
      await this.metrics?.start();
      if (options.healthPort !== null) {
        const { HealthEndpoint } = await import("./health.js");
        this.health = new HealthEndpoint(
          this,
          { host: options.healthHost, port: options.healthPort, source: options.source },
          () => this.leaving,
        );
        // Before the watchers start too: /readyz says 503 until they run.
        await this.health.start();
      }
    } catch (error) {
      await this.closeEndpoints();
      if (error instanceof ConfigError) throw error;
      throw new EndpointError(`cannot bind the control endpoints: ${(error as Error).message}`);
    }
  }

  private async closeEndpoints(): Promise<void> {
    this.discovery?.close();
    this.discovery = null;
    await this.controller?.close();
    this.controller = null;
    this.publisher?.close();
    this.publisher = null;
    await this.metrics?.close();
    this.metrics = null;
    await this.health?.close();
    this.health = null;
    this.curve?.close();
    this.curve = null;
  }
}

/**
 * Without CURVE, a tcp endpoint bound beyond loopback lets anyone who reaches it run any
 * command as circusd's user: said at startup (the config is Circus's and stays allowed).
 */
function warnIfOpen(options: CircusOptions): void {
  const endpoints: [string, string][] = [
    ["endpoint", options.endpoint],
    ["pubsub_endpoint", options.pubsubEndpoint],
  ];
  if (options.statsd) endpoints.push(["stats_endpoint", options.statsEndpoint ?? ""]);
  for (const [option, endpoint] of endpoints) {
    const host = /^tcp:\/\/(.+):\d+$/.exec(endpoint)?.[1]?.replace(/^\[|\]$/g, "");
    if (host === undefined || isLoopbackHost(host)) continue;
    logger.warning(
      `${option} ${endpoint} is reachable beyond this machine without CURVE: anyone who reaches it controls circusd; set curve_secret_key and curve_clients (README, "Security")`,
    );
  }
}
