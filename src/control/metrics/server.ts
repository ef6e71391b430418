/**
 * The metrics endpoint's HTTP server: `GET /metrics` (and `HEAD`) answer a scrape; any other
 * path is 404, any other method 405.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { logger } from "../../log/logger.js";
import { CONTENT_TYPE } from "./exposition.js";
import type { Lease } from "./scrape-pool.js";

/** The path Prometheus scrapes by default. */
export const METRICS_PATH = "/metrics";

/** Serves the text a scrape builds. */
export class MetricsServer {
  private readonly server: http.Server;

  /** @param scrape lends one scrape's text, released once the answer is sent */
  constructor(private readonly scrape: () => Promise<Lease>) {
    // A scrape's request is one line and a few headers: a client that takes longer to send
    // them is cut off rather than kept (an idle kept-alive connection goes after Node's 5 s).
    this.server = http.createServer(
      { requestTimeout: 10_000, headersTimeout: 10_000 },
      (request, response) => this.handle(request, response),
    );
  }

  /**
   * Listens on host:port (0 takes a free port) and resolves with the address bound.
   *
   * @throws the listen error (EADDRINUSE, EADDRNOTAVAIL, ENOTFOUND...).
   */
  async listen(host: string, port: number): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen({ host, port, exclusive: true }, () => {
        this.server.off("error", reject);
        resolve();
      });
    });
    this.server.on("error", (error) => logger.warning(`metrics server: ${error.message}`));
    return this.server.address() as AddressInfo;
  }

  /** Stops listening and drops the connections kept alive by scrapers. */
  async close(): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private handle(request: http.IncomingMessage, response: http.ServerResponse): void {
    const path = (request.url ?? "/").split("?")[0];
    if (path !== METRICS_PATH) {
      reply(response, 404, "not found: the metrics are at /metrics\n");
      return;
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      reply(response, 405, "method not allowed: GET or HEAD\n", { Allow: "GET, HEAD" });
      return;
    }
    this.scrape().then(
      ({ bytes, release }) => {
        // Sent (handed to the kernel) or never to be: the bytes may be written again.
        response.once("close", release);
        response.writeHead(200, { "Content-Type": CONTENT_TYPE, "Content-Length": bytes.length });
        response.end(request.method === "HEAD" ? undefined : bytes);
      },
      (error: unknown) => {
        logger.error(`metrics: scrape failed: ${(error as Error)?.stack ?? String(error)}`);
        reply(response, 500, `scrape failed: ${(error as Error)?.message ?? String(error)}\n`);
      },
    );
  }
}

/** A short plain-text answer. */
function reply(
  response: http.ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, {
    "Content-Type": "text/plain; charset=utf-8",
    "Content-Length": Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}
