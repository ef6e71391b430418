/**
 * The Prometheus metrics endpoint (`[circus] metrics = true`, beyond Circus): an HTTP server
 * whose `GET /metrics` answers with the watchers', processes', sockets' and circusd's own
 * figures. Processes are sampled from /proc when a scrape comes, never in between.
 */
import type { ConfigSource } from "../../config/types.js";
import type { Arbiter } from "../../core/arbiter.js";
import { logger } from "../../log/logger.js";
import type { RequestObserver } from "../controller.js";
import { baseUrl } from "../http-server.js";
import { DaemonMetrics } from "./daemon-metrics.js";
import type { Exposition } from "./exposition.js";
import { ProcessSamples } from "./process-metrics.js";
import { ScrapePool } from "./scrape-pool.js";
import { METRICS_PATH, MetricsServer } from "./server.js";
import { SocketMetrics } from "./socket-metrics.js";
import { WatcherMetrics } from "./watcher-metrics.js";

/** Where the endpoint listens, and the `[circus]` section its options came from. */
export interface MetricsOptions {
  host: string;
  port: number;
  /** For the error naming `metrics_host` or `metrics_port` when it cannot listen. */
  source: ConfigSource | null;
}

/** Builds scrapes of an arbiter and serves them over HTTP. */
export class MetricsEndpoint {
  private readonly watchers: WatcherMetrics;
  private readonly sockets: SocketMetrics;
  private readonly daemon = new DaemonMetrics();
  private readonly pool = new ScrapePool((out) => this.build(out));
  private readonly server = new MetricsServer(() => this.pool.lease());
  private address: string | null = null;
  private readonly processes = new ProcessSamples();

  constructor(
    private readonly arbiter: Arbiter,
    private readonly options: MetricsOptions,
  ) {
    this.watchers = new WatcherMetrics(arbiter);
    this.sockets = new SocketMetrics(arbiter);
  }

  /** What the Controller tells of each request it answers. */
  get observeRequest(): RequestObserver {
    return this.daemon.observeRequest;
  }

  /** `http://HOST:PORT/metrics` once listening, null before. */
  get url(): string | null {
    return this.address;
  }

  /**
   * Starts counting events and listens.
   *
   * @throws ConfigError naming `[circus] metrics_host` or `metrics_port` when it cannot listen.
   */
  async start(): Promise<void> {
    const bound = await this.server.listen({
      ...this.options,
      hostOption: "metrics_host",
      portOption: "metrics_port",
    });
    this.watchers.start();
    this.sockets.start();
    this.daemon.start();
    this.address = `${baseUrl(bound)}${METRICS_PATH}`;
    logger.info(`metrics on ${this.address}`);
  }

  /** Stops listening and counting. */
  async close(): Promise<void> {
    this.watchers.close();
    this.sockets.close();
    this.daemon.close();
    await this.server.close();
    this.address = null;
  }

  /** One scrape's text, as a copy (the endpoint's own scrapes are lent to their requests). */
  async scrape(): Promise<Buffer> {
    const lease = await this.pool.lease();
    const copy = Buffer.from(lease.bytes);
    lease.release();
    return copy;
  }

  /** One scrape: the processes sampled first, then every family written at once. */
  private async build(out: Exposition): Promise<void> {
    await this.processes.sample(this.arbiter.watchers);
    this.watchers.write(out);
    this.processes.write(out);
    this.sockets.write(out);
    this.daemon.write(out);
  }
}
