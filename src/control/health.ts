/**
 * The health endpoints (beyond Circus; `[circus] health_port`): what Kubernetes's liveness
 * and readiness probes ask. `GET /healthz` is 200 while circusd runs and is not stopping,
 * 503 while it stops; `GET /readyz` is 200 when every essential watcher (every watcher when
 * none is essential; the plugins' and circus's own watchers left out) is ready, else 503
 * naming those it waits for. Both answer JSON.
 */
import type { AddressInfo } from "node:net";
import { HTTPD_WATCHER } from "../config/defaults.js";
import type { ConfigSource } from "../config/types.js";
import type { Arbiter } from "../core/arbiter.js";
import type { Watcher } from "../core/watcher.js";
import { logger } from "../log/logger.js";
import { baseUrl, replyText, SmallHttpServer } from "./http-server.js";
import { STATS_WATCHER } from "./stats-watcher.js";

/** The liveness probe's path. */
export const HEALTHZ_PATH = "/healthz";
/** The readiness probe's path. */
export const READYZ_PATH = "/readyz";

/**
 * Whether one watcher is ready: active, with its numprocesses running and, when it has a
 * `readiness` probe, every one of them ready ({@link Watcher.isReady}, what depends_on waits
 * for too). {@link readiness} asks it of each watcher that counts.
 */
export function watcherReady(w: Watcher): boolean {
  return w.isReady();
}

/** A watcher circus runs for itself (a plugin, circusd-stats, circushttpd), not the user's. */
export function isCircusWatcher(w: Watcher): boolean {
  return w.name.startsWith("plugin:") || w.name === STATS_WATCHER || w.name === HTTPD_WATCHER;
}

/** What /readyz answers. */
export interface Readiness {
  ready: boolean;
  /** The watchers that count and are not ready, by name, in start order. */
  waiting: string[];
}

/**
 * Whether the arbiter is ready: every essential watcher is ({@link watcherReady}), or, when
 * none is essential, every watcher of the user's that starts with circusd (`autostart`, not
 * `on_demand`). Not while the arbiter does not run.
 */
export function readiness(arbiter: Arbiter): Readiness {
  const own = arbiter.iterWatchers().filter((w) => !isCircusWatcher(w));
  const essential = own.filter((w) => w.config.essential);
  const counted =
    essential.length > 0 ? essential : own.filter((w) => w.config.autostart && !w.config.onDemand);
  const waiting = counted.filter((w) => !watcherReady(w)).map((w) => w.name);
  return { ready: arbiter.isRunning() && waiting.length === 0, waiting };
}

/** Where the endpoints listen, and the `[circus]` section that said so. */
export interface HealthOptions {
  host: string;
  port: number;
  source: ConfigSource | null;
}

/** Serves /healthz and /readyz of an arbiter. */
export class HealthEndpoint {
  private readonly server: SmallHttpServer;
  private address: string | null = null;

  /** @param stopping whether circusd is stopping (then /healthz is 503) */
  constructor(
    arbiter: Arbiter,
    private readonly options: HealthOptions,
    stopping: () => boolean,
  ) {
    const json = (status: number, body: Record<string, unknown>) =>
      `${JSON.stringify({ status: status === 200 ? "ok" : "unavailable", ...body })}\n`;
    const reply = (response: Parameters<typeof replyText>[0], status: number, text: string) =>
      replyText(response, status, text, { "Cache-Control": "no-store" }, "application/json");
    this.server = new SmallHttpServer("health", {
      [HEALTHZ_PATH]: (_request, response) => {
        const live = !stopping();
        const status = live ? 200 : 503;
        reply(response, status, json(status, live ? {} : { reason: "circusd is stopping" }));
      },
      [READYZ_PATH]: (_request, response) => {
        if (stopping()) {
          reply(response, 503, json(503, { reason: "circusd is stopping", waiting: [] }));
          return;
        }
        const { ready, waiting } = readiness(arbiter);
        const status = ready ? 200 : 503;
        const reason = ready
          ? {}
          : {
              reason:
                waiting.length > 0
                  ? `not ready: ${waiting.join(", ")}`
                  : "circusd has not started its watchers",
            };
        reply(response, status, json(status, { ...reason, waiting }));
      },
    });
  }

  /** `http://HOST:PORT` once listening, null before. */
  get url(): string | null {
    return this.address;
  }

  /**
   * Listens.
   *
   * @throws ConfigError naming `[circus] health_host` or `health_port` when it cannot.
   */
  async start(): Promise<AddressInfo> {
    const bound = await this.server.listen({
      ...this.options,
      hostOption: "health_host",
      portOption: "health_port",
    });
    this.address = baseUrl(bound);
    logger.info(`health endpoints on ${this.address}${HEALTHZ_PATH} and ${READYZ_PATH}`);
    return bound;
  }

  /** Stops listening. */
  async close(): Promise<void> {
    await this.server.close();
    this.address = null;
  }
}
