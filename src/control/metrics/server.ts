/**
 * The metrics endpoint's HTTP server: `GET /metrics` (and `HEAD`) answer a scrape; any other
 * path is 404, any other method 405 (the shape of every small endpoint: ../http-server.ts).
 */
import type { AddressInfo } from "node:net";
import { logger } from "../../log/logger.js";
import { replyText, SmallHttpServer, type ListenOptions } from "../http-server.js";
import { CONTENT_TYPE } from "./exposition.js";
import type { Lease } from "./scrape-pool.js";

/** The path Prometheus scrapes by default. */
export const METRICS_PATH = "/metrics";

/** Serves the text a scrape builds. */
export class MetricsServer {
  private readonly server: SmallHttpServer;

  /** @param scrape lends one scrape's text, released once the answer is sent */
  constructor(private readonly scrape: () => Promise<Lease>) {
    this.server = new SmallHttpServer("metrics", {
      [METRICS_PATH]: (request, response) => {
        this.scrape().then(
          ({ bytes, release }) => {
            // Sent (handed to the kernel) or never to be: the bytes may be written again.
            response.once("close", release);
            response.writeHead(200, {
              "Content-Type": CONTENT_TYPE,
              "Content-Length": bytes.length,
            });
            response.end(request.method === "HEAD" ? undefined : bytes);
          },
          (error: unknown) => {
            logger.error(`metrics: scrape failed: ${(error as Error)?.stack ?? String(error)}`);
            replyText(
              response,
              500,
              `scrape failed: ${(error as Error)?.message ?? String(error)}\n`,
            );
          },
        );
      },
    });
  }

  /**
   * Listens (port 0 takes a free one) and resolves with the address bound.
   *
   * @throws ConfigError naming `metrics_host` or `metrics_port` when it cannot listen.
   */
  listen(options: ListenOptions): Promise<AddressInfo> {
    return this.server.listen(options);
  }

  /** Stops listening and drops the connections kept alive by scrapers. */
  close(): Promise<void> {
    return this.server.close();
  }
}
